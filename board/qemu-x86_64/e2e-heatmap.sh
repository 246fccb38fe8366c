#!/usr/bin/env bash
# The heatmap on screen, on the virtual board: a held-out phantom scan played into vivid's
# video output (looped back into its capture) and its narration into snd-aloop, showtelld
# running the shipped model from them to the bochs screen; the screen is grabbed at chosen
# moments and judged against the phantom's ground truth (heatmap_on_screen.py).
#
#   board/qemu-x86_64/e2e-heatmap.sh BIN_DIR WORK_DIR [PYTHON]
#
# BIN_DIR holds release showtell and showtelld; PYTHON has numpy (the fixtures venv).
# The moments: the host runs `showtell localise` with the same bundle every 0.25 s, then frame
# by frame with the audio window moved by up to 0.3 s, and keeps two runs of at least 0.5 s
# where its map steadily hits the named structure, and a silent moment; the box must then
# draw what its model computes there, on the right place of the screen. The
# model's hit rate over all moments is the evaluation's business (`showtell eval localise`);
# this test checks the box: capture, audio window, int8 inference, heat, compositing, DRM.
# Screens (PPM as grabbed, PNG with the named structure's outline in green and the heat peak
# in cyan) stay in WORK_DIR/heatmap/screens.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=$(cd "$1" && pwd)
work=$(mkdir -p "$2/heatmap" && cd "$2/heatmap" && pwd)
python=${3:-python3}
model=${SHOWTELL_HEATMAP_MODEL:-$repo/models/edge-full-int8}
# The scan must hold two stretches where the shipped model's own map steadily hits the named
# structure (`choose` fails otherwise). Seed 24 does for the eleventh session's bundle
# (seeds 10-36 tried: only 24 gives two); a new bundle may need another seed.
seed=${SHOWTELL_HEATMAP_SEED:-24}
session="$work/synth-$seed/scan-000"
[ -f "$session/session.json" ] || "$bin/showtell" synth --out "$work/synth-$seed" --scans 1 --minutes 1 --seed "$seed" --voices heldout >/dev/null
# Chosen again each run (about a minute): they depend on the bundle.
OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell} "$python" "$here/heatmap_on_screen.py" choose "$session" "$bin/showtell" "$model" "$work/moments.json" || exit 1
# The box gets the recording only (video, audio, session.json): no labels, no transcript.
guest="$work/guest"; rm -rf "$guest"; mkdir -p "$guest/session"
cp -r "$model" "$guest/model"
cp "$session/video.avi" "$session/audio.wav" "$session/session.json" "$guest/session/"
cp "$work/moments.txt" "$guest/moments"
# One attempt: boot the guest, replay, grab, judge. Under software emulation the box's speed
# varies about 2x between runs on the same host (609-623 frames taken in the minute on good
# runs, 276-542 on slow ones); on a slow run its sound and picture reach it seconds apart, so
# it may hear a sentence while it shows the picture from before it. A
# failed attempt is therefore run once more (SHOWTELL_HEATMAP_ATTEMPTS); a box that misplaces
# the heat fails every attempt. Every attempt's verdict stays in the log.
attempt() {
  screens="$work/screens"; rm -rf "$screens"
  local log verdict passed failed
  log=$(SHOWTELL_SCREENDUMP_DIR=$screens SHOWTELL_GUEST_FILES="$guest/model $guest/session $guest/moments" \
        SHOWTELL_SMP=2 SHOWTELL_DISPLAY_SIZE=${SHOWTELL_HEATMAP_SCREEN:-640x480} SHOWTELL_BOOT_TIMEOUT=600 "$here/boot-test.sh" "$bin/showtell" "$here/guest-heatmap.sh")
  echo "$log" | grep -v '^\[' | grep -v '^SCREENDUMP-AT'
  echo "grabbed $(ls "$screens"/*.ppm 2>/dev/null | wc -l) screens"
  verdict=$("$python" "$here/heatmap_on_screen.py" judge "$session" "$work/moments.json" "$screens" 720 576 0.5 "$model")
  echo "$verdict"
  log="$log"$'\n'"$verdict"
  rm -f "$screens"/*.ppm
  passed=$(echo "$log" | grep -c '^CHECK .* ok$')
  failed=$(echo "$log" | grep -c '^CHECK .* FAILED')
  echo "heatmap board: $passed passed, $failed failed (screens: $screens)"
  # Both daemon checks, the silence, enough judged screens, and at least one named moment.
  [ "$failed" = 0 ] && [ "$passed" -ge 5 ] && echo "$log" | grep -q '^CHECK heatmap-points-at-.* ok$'
}
attempts=${SHOWTELL_HEATMAP_ATTEMPTS:-2}
for n in $(seq 1 "$attempts"); do
  echo "heatmap board: attempt $n of $attempts"
  attempt && exit 0
done
exit 1
