# Helpers for the guest scripts (busybox sh), sourced as /guest-lib.sh (boot-test.sh puts it
# beside the script).
# check NAME STATUS: one "CHECK name ok|FAILED" line for the host to count.
check() { if [ "$2" = 0 ]; then echo "CHECK $1 ok"; else echo "CHECK $1 FAILED"; fi; }
# metric NAME: a value from the daemon's Prometheus textfile (/tmp/st/showtell.prom).
metric() { awk -v name="$1" '$1 == name { print $2 }' /tmp/st/showtell.prom 2>/dev/null; }
# stages: where the emulated box's time goes (median and 99th percentile seconds per loop
# stage, capture to display) and its frame counters, for reading a slow run.
stages() {
  grep -E '^showtell_(stage_latency|capture_to_display)_seconds\{.*quantile="0.(5|99)"' /tmp/st/showtell.prom | tr '\n' ' '; echo
  echo "frames in $(metric showtell_frames_in_total), dropped $(metric showtell_frames_dropped_total), skipped $(metric showtell_frames_skipped_total), audio windows $(metric showtell_audio_windows_total), audio samples passed over $(metric showtell_audio_samples_skipped_total), cpu $(metric showtell_process_cpu_seconds_total) s"
}
# wait_for SECONDS CONDITION: polls the condition every 0.2 s.
wait_for() {
  n=0; limit=$(($1 * 5))
  while [ $n -lt $limit ]; do eval "$2" && return 0; sleep 0.2; n=$((n + 1)); done
  return 1
}
