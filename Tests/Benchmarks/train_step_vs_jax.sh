#!/usr/bin/env bash
# Side by side, one run: one training step of the edge network (variant va-spatial, InfoNCE,
# AdamW, batch 20, 1 frame per clip: video 20x224x224 + audio 20x256x256, forward + backward +
# update) in showtell (`showtell train --synthetic`) and in JAX (models/tools/jax_showtell.py,
# grouped convolutions as block-diagonal dense ones; XLA's own grouped convolution once per
# thread count as well), at 1 and 2 threads (taskset to that many CPUs; --threads for showtell),
# interleaved rounds so machine noise hits both; medians of the per-step times and their ratio.
#   Tests/Benchmarks/train_step_vs_jax.sh BIN_DIR PYTHON [ROUNDS] [STEPS] [LAX_STEPS]
# PYTHON: a venv with jax (.build/fixtures-venv: pip install jax jaxlib numpy). LAX_STEPS = 0
# skips XLA's grouped convolution (about 10 s a step on one thread).
set -euo pipefail
bin=$1; python=$2; rounds=${3:-3}; steps=${4:-5}; lax_steps=${5:-2}
here=$(cd "$(dirname "$0")" && pwd)
helper="$here/train_step_vs_jax.py"
median() { tr ' ' '\n' | awk 'NF' | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
values() { awk -v k="$1" '$1 == k { $1 = ""; print }'; }
echo "# CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
for threads in 1 2; do
  cpus=0; [ "$threads" = 2 ] && cpus=0,1
  ours=""; dense=""; lax=""
  for round in $(seq "$rounds"); do
    out=$(taskset -c "$cpus" "$python" "$helper" ours --showtell "$bin/showtell" --threads "$threads" --steps "$steps")
    echo "$out" | grep '^#' || true; ours="$ours $(echo "$out" | values ours)"
    out=$(taskset -c "$cpus" "$python" "$helper" jax --grouped dense --threads "$threads" --steps "$steps" 2>/dev/null)
    echo "$out" | grep '^#' || true; dense="$dense $(echo "$out" | values jax-dense)"
    if [ "$round" = 1 ] && [ "$lax_steps" -gt 0 ]; then
      out=$(taskset -c "$cpus" "$python" "$helper" jax --grouped lax --threads "$threads" --steps "$lax_steps" 2>/dev/null)
      echo "$out" | grep '^#' || true; lax="$(echo "$out" | values jax-lax)"
    fi
  done
  a=$(echo $ours | median); b=$(echo $dense | median); c=$(echo "$lax" | median)
  awk -v t="$threads" -v a="$a" -v b="$b" -v c="${c:-0}" -v n="$((rounds * steps))" -v m="$(echo $lax | wc -w)" 'BEGIN {
    printf "edge training step, batch 20, %d thread(s): showtell %.0f ms (%.1f clips/s), JAX %.0f ms (%.1f clips/s) (medians of %d steps each), JAX/showtell %.2f", t, a, 20000 / a, b, 20000 / b, n, b / a
    if (c > 0) printf "; JAX with XLA grouped convolutions %.0f ms (%d steps), %.1fx showtell", c, m, c / a
    printf "\n" }'
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
