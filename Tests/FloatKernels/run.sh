#!/usr/bin/env bash
# Float kernels (grouped and pointwise convolution) against the naive reference, for every family this machine
# can run: natively, and built with Debian's aarch64 cross compiler under user-mode QEMU (NEON).
# Part of ./build.sh test.
# usage: Tests/FloatKernels/run.sh [OUT_DIR] [CASES] [SEED]
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-.build/float-kernels}
cases=${2:-200}
seed=${3:-1}
src=Sources/CLibraries/CFloatKernels
mkdir -p "$out"
flags=(-O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -I"$src/include" -I"$src")
files=("$src"/*.c Tests/FloatKernels/float_kernel_tests.c)

echo "== float kernels, native ($(uname -m))"
cc "${flags[@]}" "${files[@]}" -lm -o "$out/float_kernel_tests"
"$out/float_kernel_tests" "$cases" "$seed"

for tool in aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu qemu-aarch64:qemu-user; do
  command -v "${tool%%:*}" >/dev/null || { echo "missing ${tool%%:*}: apt-get install ${tool##*:} (./build.sh deps)"; exit 1; }
done
aarch64-linux-gnu-gcc "${flags[@]}" -static "${files[@]}" -lm -o "$out/float_kernel_tests-aarch64"
echo "== float kernels, aarch64 under qemu-aarch64"
qemu-aarch64 -cpu max "$out/float_kernel_tests-aarch64" "$cases" "$seed"
