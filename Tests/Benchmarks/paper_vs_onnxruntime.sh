#!/usr/bin/env bash
# Side by side, one run: our float forward of the `paper` backbone against onnxruntime on the
# same network (Tests/Benchmarks/resnext_onnx.py), both on one thread, batch 1, 224x224,
# interleaved rounds so machine noise hits both; reports medians and their ratio.
#   Tests/Benchmarks/paper_vs_onnxruntime.sh BIN_DIR PYTHON [ROUNDS]
set -euo pipefail
bin=$1; python=$2; rounds=${3:-3}
here=$(cd "$(dirname "$0")" && pwd)
median() { tr ' ' '\n' | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
for stride in 32 16; do
  flag=""; [ "$stride" = 32 ] && flag="--output-stride32"
  ours=""; theirs=""
  for _ in $(seq "$rounds"); do
    ours="$ours $("$bin/showtell" bench neural --paper-inference-only $flag --runs 5)"
    theirs="$theirs $("$python" "$here/resnext_onnx.py" --stride "$stride" --runs 5)"
  done
  a=$(echo $ours | median); b=$(echo $theirs | median)
  awk -v s="$stride" -v a="$a" -v b="$b" -v n="$((rounds * 5))" 'BEGIN {
    printf "paper backbone, output stride %s, 1 thread, 224x224: showtell %.1f ms, onnxruntime %.1f ms (medians of %d runs each), ratio %.2f\n", s, a, b, n, a / b }'
done
