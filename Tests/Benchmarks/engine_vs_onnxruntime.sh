#!/usr/bin/env bash
# Side by side, one run, one thread: this project's inference engine (float and int8, video
# branch = the backbone on a 224x224 frame + projection) and onnxruntime on the same network,
# exported by `showtell model export --branch video` (float, and QDQ S8S8 per-channel int8 from
# onnxruntime's own quantiser, exact arithmetic), medians, then ratios.
#   Tests/Benchmarks/engine_vs_onnxruntime.sh BIN_DIR PYTHON [BACKBONES] [RUNS]
set -euo pipefail
bin=$1; python=$2; backbones=${3:-edge,paper}; runs=${4:-7}
here=$(cd "$(dirname "$0")" && pwd)
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
for backbone in ${backbones//,/ }; do
  ours=$("$bin/showtell" bench engine --backbone "$backbone" --runs "$runs")
  echo "$ours"
  # The network bench engine times (seed 0, D = 128), exported by showtell.
  "$bin/showtell" model init --backbone "$backbone" --dimension 128 --seed 0 --out "$work/$backbone" >/dev/null
  "$bin/showtell" model export "$work/$backbone" --branch video --onnx "$work/$backbone.onnx" >/dev/null
  theirs=$("$python" "$here/engine_onnx.py" --model "$work/$backbone.onnx" --runs "$runs" 2>/dev/null)
  of=$(echo "$theirs" | awk '$1 == "float" { $1 = ""; print }' | median)
  oi=$(echo "$theirs" | awk '$1 == "int8" { $1 = ""; print }' | median)
  sf=$(echo "$ours" | awk -v b="$backbone" '$1 == b && $2 == "video" && $3 == "float" && $4 == "(planned)" { print $5 }')
  si=$(echo "$ours" | awk -v b="$backbone" '$1 == b && $2 == "video" && $3 == "int8" { print $5 }')
  awk -v b="$backbone" -v of="$of" -v oi="$oi" -v sf="$sf" -v si="$si" 'BEGIN {
    best = of < oi ? of : oi
    printf "%s video branch, 1 thread: onnxruntime float %.1f ms, int8 %.1f ms; showtell float %.1f ms, int8 %.1f ms\n", b, of, oi, sf, si
    printf "  showtell int8 vs the faster onnxruntime precision: %.2fx faster; showtell float vs onnxruntime float: %.2fx faster\n", best / si, of / sf }'
done
