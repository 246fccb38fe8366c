#!/usr/bin/env bash
# End to end: the release `showtell synth` makes a 2-minute phantom session that ffprobe opens
# with the right duration, frame rate and audio rate, in under 30 s per minute of session.
# Usage: synth-session.sh BIN_DIR WORK_DIR
set -euo pipefail
bin="$1"; work="$2"
rm -rf "$work/synth"; mkdir -p "$work"
start=$(date +%s.%N)
"$bin/showtell" synth --out "$work/synth" --scans 1 --minutes 2 --seed 42
seconds=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
session="$work/synth/scan-000"
"$bin/showtell" synth --preview "$session" --out "$work/synth/sheet.png" >/dev/null

fail=0
check() { # name expected actual
  if [ "$2" = "$3" ]; then echo "ok   $1 = $3"; else echo "FAIL $1: expected $2, got $3"; fail=1; fi
}
probe() { ffprobe -v error -select_streams "$1" -show_entries "$2" -of default=nw=1:nk=1 "$3"; }
check "video codec" mjpeg "$(probe v:0 stream=codec_name "$session/video.avi")"
check "video frame rate" 30/1 "$(probe v:0 stream=r_frame_rate "$session/video.avi")"
check "video frames" 3600 "$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of default=nw=1:nk=1 "$session/video.avi")"
check "video duration" 120.000000 "$(probe v:0 format=duration "$session/video.avi")"
check "audio rate" 48000 "$(probe a:0 stream=sample_rate "$session/audio.wav")"
check "audio duration" 120.000000 "$(probe a:0 stream=duration "$session/audio.wav")"
check "transcript header" WEBVTT "$(head -c 6 "$session/transcript.vtt")"
check "label lines" 3600 "$(wc -l < "$session/labels.jsonl" | tr -d ' ')"
per_minute=$(awk -v s="$seconds" 'BEGIN { printf "%.1f", s / 2 }')
echo "synth: 2-minute session in ${seconds} s (${per_minute} s per minute of session; target < 30)"
if ! awk -v p="$per_minute" 'BEGIN { exit !(p < 30) }'; then echo "FAIL synth speed"; fail=1; fi
exit $fail
