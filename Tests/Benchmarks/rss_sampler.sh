#!/bin/bash
# The daemon on a looped real-pace replay (null display, no client): RSS split and thread /
# descriptor counts every 30 s, for the leak hunt of issue 13. Usage:
#   Tests/Benchmarks/rss_sampler.sh SHOWTELLD SESSION_DIR BUNDLE OUT_DIR [SAMPLES]
set -euo pipefail
daemon=$1 session=$2 bundle=$3 out=$4 samples=${5:-16}
mkdir -p "$out"
OPENBLAS_CORETYPE=Haswell "$daemon" --config /dev/null --set video.source=replay:"$session" \
  --set audio.source=replay:"$session" --set video.replay_pace=realtime --set video.replay_loop=true \
  --set display.output=null --set control.socket="$out/c.sock" --set control.metrics_textfile="$out/m.prom" \
  --set control.state_directory="$out" --set model.bundle="$bundle" > "$out/daemon.log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true' EXIT
echo "seconds rss_kb anon_kb threads fds"
for i in $(seq 1 "$samples"); do
  sleep 30
  rss=$(awk '/^Rss:/{print $2}' /proc/$pid/smaps_rollup)
  anon=$(awk '/^Anonymous:/{print $2}' /proc/$pid/smaps_rollup)
  echo "$((i * 30)) $rss $anon $(ls /proc/$pid/task | wc -l) $(ls /proc/$pid/fd | wc -l)"
done
