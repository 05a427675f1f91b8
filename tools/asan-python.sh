#!/bin/sh
# Builds coodie._native with ASan/UBSan into build/asan and runs the native
# driver's Python tests against it (the interpreter itself is not sanitized,
# so libasan is preloaded and pymalloc is switched off).
set -eu
py="$1"
rm -rf build/asan
mkdir -p build/asan
cp -r src/coodie build/asan/coodie
find build/asan/coodie -name '*.so' -delete
COODIE_SANITIZE=1 "$py" setup.py -q build_ext --build-lib build/asan --build-temp build/asan-tmp
LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)" \
PYTHONMALLOC=malloc ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
PYTHONPATH=build/asan "$py" -m pytest -q -p no:cacheprovider tests/unit/native
