#!/usr/bin/env bash
# Int8 convolution throughput of every family this CPU runs, on ResNeXt layer shapes (one thread,
# medians). usage: Tests/Benchmarks/int8_kernels_bench.sh [GHZ] [REPEATS]; GHZ (the core's clock,
# for "share of peak") defaults to /proc/cpuinfo's "cpu MHz".
set -euo pipefail
cd "$(dirname "$0")/../.."
ghz=${1:-$(awk '/cpu MHz/ {printf "%.2f", $4 / 1000; exit}' /proc/cpuinfo)}
src=Sources/CLibraries/CInt8Kernels
mkdir -p .build/int8-kernels
cc -O2 -std=c11 -D_GNU_SOURCE -ffp-contract=off -I"$src/include" -I"$src" "$src"/*.c Tests/Benchmarks/int8_kernels_bench.c -lm -o .build/int8-kernels/bench
echo "clock ${ghz} GHz (peak% = GMAC/s / (family's MAC/cycle x clock))"
.build/int8-kernels/bench "$ghz" "${2:-15}"
