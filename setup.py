"""Build of coodie's C extension (``coodie._native``).

The protocol core (``native/src``) is plain C with no Python in it; the binding
(``native/python``) wraps it. Both are compiled into one extension module here;
``native/Makefile`` builds the same core alone for the C tests and the fuzzers.

Build knobs (environment variables):
  COODIE_SANITIZE=1   build with AddressSanitizer + UndefinedBehaviorSanitizer
  COODIE_DEBUG=1      -O0 -g3 instead of -O2
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup

ROOT = Path(__file__).parent
NATIVE = ROOT / "native"
PKG_CONFIG_MODULES = ("liblz4", "openssl")
APT_PACKAGES = "liblz4-dev libssl-dev pkg-config"


def pkg_config(*args: str) -> list[str]:
    try:
        out = subprocess.run(
            ["pkg-config", *args, *PKG_CONFIG_MODULES], check=True, capture_output=True, text=True
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        sys.exit(
            f"coodie: cannot find the C libraries {', '.join(PKG_CONFIG_MODULES)} through pkg-config "
            f"({exc}). Install them with: apt-get install -y {APT_PACKAGES}"
        )
    return shlex.split(out)


def flag_values(flags: list[str], prefix: str) -> list[str]:
    return [f[len(prefix) :] for f in flags if f.startswith(prefix)]


def native_extension() -> Extension:
    sources = sorted(str(p.relative_to(ROOT)) for p in (NATIVE / "src").glob("*.c"))
    sources += sorted(str(p.relative_to(ROOT)) for p in (NATIVE / "python").glob("*.c"))
    cflags = pkg_config("--cflags")
    libs = pkg_config("--libs")
    compile_args = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-fvisibility=hidden"]
    link_args: list[str] = []
    if os.environ.get("COODIE_DEBUG"):
        compile_args += ["-O0", "-g3"]
    else:
        compile_args += ["-O2"]
    if os.environ.get("COODIE_SANITIZE"):
        san = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=undefined"]
        compile_args += san
        link_args += san
    return Extension(
        "coodie._native",
        sources=sources,
        include_dirs=[str(NATIVE / "include"), *flag_values(cflags, "-I")],
        library_dirs=flag_values(libs, "-L"),
        libraries=flag_values(libs, "-l"),
        extra_compile_args=compile_args,
        extra_link_args=link_args,
    )


setup(ext_modules=[native_extension()])
