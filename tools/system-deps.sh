#!/bin/sh
# Checks the system packages coodie needs to build and test; installs them with
# apt-get when they are missing and we are root, otherwise prints the command.
set -eu
missing=""
have_pc() { pkg-config --exists "$1" 2>/dev/null; }
command -v pkg-config >/dev/null 2>&1 || missing="$missing pkg-config"
have_pc liblz4 || missing="$missing liblz4-dev"
have_pc openssl || missing="$missing libssl-dev"
command -v cc >/dev/null 2>&1 || missing="$missing build-essential"
command -v clang >/dev/null 2>&1 || missing="$missing clang"
[ -n "$(clang -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null | grep /)" ] \
  && [ -f "$(clang -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null)" ] || missing="$missing libclang-rt-14-dev"
command -v valgrind >/dev/null 2>&1 || missing="$missing valgrind"
command -v mvn >/dev/null 2>&1 || missing="$missing maven"
ls -d /usr/lib/jvm/*17* >/dev/null 2>&1 || missing="$missing openjdk-17-jdk-headless"
# headless browser: the comparison report tests render report.html in it
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "coodie: installing system packages:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq $missing >/dev/null
else
  echo "coodie: missing system packages:$missing" >&2
  echo "coodie: install them with: sudo apt-get install -y$missing" >&2
  exit 1
fi
