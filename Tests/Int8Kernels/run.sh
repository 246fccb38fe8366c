#!/usr/bin/env bash
# Int8 kernels bit-exact against the scalar reference, for every family this machine can run:
# natively (generic + the x86-64 families of this CPU) and, with Debian's aarch64 cross compiler,
# under user-mode QEMU (NEON; SDOT with -cpu max; -cpu cortex-a72 has no dot product, so it
# checks the plain NEON fallback is what dispatch picks there). Part of ./build.sh test.
# usage: Tests/Int8Kernels/run.sh [OUT_DIR] [CASES] [SEED]
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-.build/int8-kernels}
cases=${2:-300}
seed=${3:-1}
src=Sources/CLibraries/CInt8Kernels
mkdir -p "$out"
# -ffp-contract=off as in Package.swift: a fused multiply-add would round differently.
flags=(-O2 -std=c11 -D_GNU_SOURCE -ffp-contract=off -Wall -Wextra -Werror -I"$src/include" -I"$src")
files=("$src"/*.c Tests/Int8Kernels/int8_kernel_tests.c)

echo "== int8 kernels, native ($(uname -m))"
cc "${flags[@]}" "${files[@]}" -lm -o "$out/int8_kernel_tests"
"$out/int8_kernel_tests" "$cases" "$seed"

for tool in aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu qemu-aarch64:qemu-user; do
  command -v "${tool%%:*}" >/dev/null || { echo "missing ${tool%%:*}: apt-get install ${tool##*:} (./build.sh deps)"; exit 1; }
done
aarch64-linux-gnu-gcc "${flags[@]}" -static "${files[@]}" -lm -o "$out/int8_kernel_tests-aarch64"
for cpu in max cortex-a72; do
  echo "== int8 kernels, aarch64 under qemu-aarch64 -cpu $cpu"
  qemu-aarch64 -cpu "$cpu" "$out/int8_kernel_tests-aarch64" "$cases" "$seed"
done
