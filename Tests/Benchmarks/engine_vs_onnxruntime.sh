#!/usr/bin/env bash
# Side by side, one thread: this project's inference engine (float and int8, video branch = the
# backbone on a 224x224 frame + projection) and onnxruntime on the same network, exported by
# `showtell model export --branch video` (float, and QDQ S8S8 per-channel int8 from onnxruntime's
# own quantiser, exact arithmetic), medians, then ratios. BLOCKS alternates the two engines
# (ours RUNS rounds, then onnxruntime RUNS rounds, BLOCKS times), so load that comes and goes on
# a shared machine hits both; the verdict is the median over blocks of each block's ratio.
#   Tests/Benchmarks/engine_vs_onnxruntime.sh BIN_DIR PYTHON [BACKBONES] [RUNS] [BLOCKS]
set -euo pipefail
bin=$1; python=$2; backbones=${3:-edge,paper}; runs=${4:-7}; blocks=${5:-1}
here=$(cd "$(dirname "$0")" && pwd)
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
for backbone in ${backbones//,/ }; do
  # The network bench engine times (seed 0, D = 128), exported by showtell.
  "$bin/showtell" model init --backbone "$backbone" --dimension 128 --seed 0 --out "$work/$backbone" >/dev/null
  "$bin/showtell" model export "$work/$backbone" --branch video --onnx "$work/$backbone.onnx" >/dev/null
  int8_ratios=""; float_ratios=""
  for block in $(seq 1 "$blocks"); do
    ours=$("$bin/showtell" bench engine --backbone "$backbone" --runs "$runs")
    [ "$block" = 1 ] && echo "$ours"
    theirs=$("$python" "$here/engine_onnx.py" --model "$work/$backbone.onnx" --runs "$runs" 2>/dev/null)
    of=$(echo "$theirs" | awk '$1 == "float" { $1 = ""; print }' | median)
    oi=$(echo "$theirs" | awk '$1 == "int8" { $1 = ""; print }' | median)
    sf=$(echo "$ours" | awk -v b="$backbone" '$1 == b && $2 == "video" && $3 == "float" && $4 == "(planned)" { print $5 }')
    si=$(echo "$ours" | awk -v b="$backbone" '$1 == b && $2 == "video" && $3 == "int8" { print $5 }')
    line=$(awk -v b="$backbone" -v of="$of" -v oi="$oi" -v sf="$sf" -v si="$si" 'BEGIN {
      best = of < oi ? of : oi
      printf "%s video branch, 1 thread: onnxruntime float %.1f ms, int8 %.1f ms; showtell float %.1f ms, int8 %.1f ms\n", b, of, oi, sf, si
      printf "  showtell int8 vs the faster onnxruntime precision: %.2fx faster; showtell float vs onnxruntime float: %.2fx faster\n", best / si, of / sf
      printf "RATIOS %.4f %.4f\n", best / si, of / sf }')
    echo "$line" | grep -v '^RATIOS' | sed "s/^$backbone video/$backbone (block $block of $blocks) video/"
    int8_ratios+=" $(echo "$line" | awk '$1 == "RATIOS" { print $2 }')"
    float_ratios+=" $(echo "$line" | awk '$1 == "RATIOS" { print $3 }')"
  done
  if [ "$blocks" -gt 1 ]; then
    printf "%s, median over %d alternating blocks: showtell int8 %.2fx faster than the faster onnxruntime precision (blocks:%s); float %.2fx onnxruntime float (blocks:%s)\n" \
      "$backbone" "$blocks" "$(echo "$int8_ratios" | median)" "$int8_ratios" "$(echo "$float_ratios" | median)" "$float_ratios"
  fi
done
