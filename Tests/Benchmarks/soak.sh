#!/bin/bash
# Soak (issue 13): showtelld on a looped real-pace replay (null display, the given bundle) for
# MINUTES while a bounded stream of clients uses the control socket: a `status --json` every
# 2 s, a `metrics` every 5 s, and every 31 s a client that connects and says nothing (the
# daemon must drop it at its 5 s idle deadline; 31 s so it does not phase-lock with the
# minute samples and show as a standing thread). Every minute one CSV row: RSS, anonymous
# memory, threads, open descriptors, capture-to-display p50/p99 and the client failures so
# far. At the end, the least-squares slope of each column per hour (`flat` means flat).
#   Tests/Benchmarks/soak.sh BIN_DIR SESSION_DIR BUNDLE OUT_DIR [MINUTES]
# BIN_DIR holds showtell and showtelld (release). Writes OUT_DIR/soak.csv, OUT_DIR/slopes.txt,
# OUT_DIR/daemon.log; plot with Tests/Benchmarks/soak_plot.py OUT_DIR.
set -euo pipefail
bin=$1 session=$2 bundle=$3 out=$4 minutes=${5:-60}
for tool in "$bin/showtell" "$bin/showtelld"; do [ -x "$tool" ] || { echo "soak: $tool is not an executable (build with: swift build -c release)" >&2; exit 2; }; done
[ -f "$session/video.avi" ] || { echo "soak: $session has no video.avi (make one with: showtell synth --out DIR --minutes 2)" >&2; exit 2; }
command -v jq >/dev/null || { echo "soak: needs jq (apt-get install jq)" >&2; exit 2; }
mkdir -p "$out"; out=$(cd "$out" && pwd)
sock=$out/control.sock
OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell} "$bin/showtelld" --config /dev/null \
  --set video.source=replay:"$session" --set audio.source=replay:"$session" \
  --set video.replay_pace=realtime --set video.replay_loop=true --set display.output=null \
  --set control.socket="$sock" --set control.metrics_textfile="$out/metrics.prom" \
  --set control.state_directory="$out" --set model.bundle="$bundle" > "$out/daemon.log" 2>&1 &
pid=$!
clients=()
cleanup() { kill "${clients[@]}" 2>/dev/null || true; kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || { echo "soak: the daemon did not open $sock; its log:" >&2; cat "$out/daemon.log" >&2; exit 1; }

failures=$out/client-failures; : > "$failures"
( while :; do "$bin/showtell" status --socket "$sock" --json > /dev/null 2>&1 || echo status >> "$failures"; sleep 2; done ) & clients+=($!)
( while :; do "$bin/showtell" control --socket "$sock" metrics > /dev/null 2>&1 || echo metrics >> "$failures"; sleep 5; done ) & clients+=($!)
( while :; do python3 -c "import socket,sys,time; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); time.sleep(8)" "$sock" 2>/dev/null || true; sleep 23; done ) & clients+=($!)

echo "minute,rss_kb,anon_kb,threads,fds,p50_ms,p99_ms,frames_out,client_failures" | tee "$out/soak.csv"
for minute in $(seq 1 "$minutes"); do
  sleep 60
  kill -0 "$pid" 2>/dev/null || { echo "soak: the daemon exited at minute $minute; its log:" >&2; tail -20 "$out/daemon.log" >&2; exit 1; }
  rss=$(awk '/^Rss:/{print $2}' /proc/$pid/smaps_rollup)
  anon=$(awk '/^Anonymous:/{print $2}' /proc/$pid/smaps_rollup)
  threads=$(ls /proc/$pid/task | wc -l); fds=$(ls /proc/$pid/fd | wc -l)
  status=$("$bin/showtell" status --socket "$sock" --json 2>/dev/null || echo '{}')
  p50=$(echo "$status" | jq -r '[.latency[]? | select(.name=="capture_to_display")][0].p50_seconds // "nan" | if type=="number" then .*1000 else . end')
  p99=$(echo "$status" | jq -r '[.latency[]? | select(.name=="capture_to_display")][0].p99_seconds // "nan" | if type=="number" then .*1000 else . end')
  frames=$(echo "$status" | jq -r '.counters.frames_out // "nan"')
  echo "$minute,$rss,$anon,$threads,$fds,$p50,$p99,$frames,$(wc -l < "$failures")" | tee -a "$out/soak.csv"
done

# Least-squares slope per hour of each column over the minutes (first minute skipped: warm-up).
awk -F, 'NR > 2 { n++; x = $1; sx += x; sxx += x * x; for (c = 2; c <= 7; c++) { sy[c] += $c; sxy[c] += x * $c } }
  NR == 1 { for (c = 2; c <= 7; c++) name[c] = $c }
  END { if (n < 2) { print "too few minutes for a slope"; exit }
        for (c = 2; c <= 7; c++) printf "%-8s slope %+.3f per hour (mean %.2f over minutes 2-%d)\n", name[c], 60 * (n * sxy[c] - sx * sy[c]) / (n * sxx - sx * sx), sy[c] / n, n + 1 }' \
  "$out/soak.csv" | tee "$out/slopes.txt"
echo "client failures: $(wc -l < "$failures")" | tee -a "$out/slopes.txt"
