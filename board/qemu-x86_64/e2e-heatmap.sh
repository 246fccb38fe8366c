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
# draw what its model computes there, on the right place of the screen, and every frame it
# shows with heat around the moments must peak where the host's map of that frame does. The
# model's hit rate over all moments is the evaluation's business (`showtell eval localise`);
# this test checks the box: capture, audio window, int8 inference, heat, compositing, DRM.
# Screens (PPM as grabbed, PNG with the named structure's outline in green and the heat peak
# in cyan) stay in WORK_DIR/heatmap/screens-N (the PPMs only when attempt N failed).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=$(cd "$1" && pwd)
work=$(mkdir -p "$2/heatmap" && cd "$2/heatmap" && pwd)
python=${3:-python3}
model=${SHOWTELL_HEATMAP_MODEL:-$repo/models/edge-full-int8}
# The scan must hold two stretches where the shipped model's own map steadily hits the named
# structure and one of silence (`choose` fails otherwise). Seed 34 does for the thirty-sixth
# session's bundle with the forty-third session's relevance head, whose gate must let the map
# through too (seed 40 keeps one such stretch); 40 served the twenty-third, twenty-fourth,
# twenty-eighth, thirty-first and thirty-sixth sessions' bundles without a head, 34 the twentieth
# and twenty-first sessions' (seeds 24-42 tried on the twentieth's: 34 and 40 give all three), 24
# the bundles before; a new bundle may need another seed.
seed=${SHOWTELL_HEATMAP_SEED:-34}
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
# runs, 276-342 on slow ones, where it shows a new frame about once a second and a named
# moment's steady run of half a second may not be shown at all: such a moment is reported,
# and `heatmap-is-the-models-map` judges every frame it did show at full heat). A failed attempt
# is run once more (SHOWTELL_HEATMAP_ATTEMPTS); a box that misplaces the heat fails every
# attempt. Every attempt's verdict stays in the log, a failed attempt's screendumps in
# WORK_DIR/heatmap/screens-N.
attempt() {
  screens="$work/screens-$1"; rm -rf "$screens"
  local log verdict passed failed
  log=$(SHOWTELL_SCREENDUMP_DIR=$screens SHOWTELL_GUEST_FILES="$guest/model $guest/session $guest/moments" \
        SHOWTELL_SMP=2 SHOWTELL_DISPLAY_SIZE=${SHOWTELL_HEATMAP_SCREEN:-640x480} SHOWTELL_BOOT_TIMEOUT=600 "$here/boot-test.sh" "$bin/showtell" "$here/guest-heatmap.sh")
  echo "$log" | grep -v '^\[' | grep -v '^SCREENDUMP-AT'
  echo "grabbed $(ls "$screens"/*.ppm 2>/dev/null | wc -l) screens"
  verdict=$(OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell} "$python" "$here/heatmap_on_screen.py" judge "$session" "$work/moments.json" "$screens" 720 576 0.5 "$model" "$bin/showtell")
  echo "$verdict"
  log="$log"$'\n'"$verdict"
  passed=$(echo "$log" | grep -c '^CHECK .* ok$')
  failed=$(echo "$log" | grep -c '^CHECK .* FAILED')
  heat=$(echo "$log" | grep -c -E '^CHECK (heatmap-points-at-.*|heatmap-is-the-models-map) ok$')
  echo "heatmap board: $passed passed, $failed failed, $heat judged the heat's place (screens: $screens)"
  [ "$failed" = 0 ] || return 1
  # Nothing failed. The attempt passes when the silence and the heat's place were both judged:
  # the heat's place by a named moment a screen showed, or by frames where the host's maps
  # are selective. On a slow host the box may show neither, or no frame of the pause (a new
  # frame about once a second, heat on a handful): inconclusive, not failed.
  silence=$(echo "$log" | grep -c '^CHECK no-heatmap-in-silence-.* ok$')
  [ "$heat" -ge 1 ] && [ "$silence" -ge 1 ] && { rm -f "$screens"/*.ppm; return 0; }
  [ "$passed" -ge 3 ] && return 2
  return 1
}
attempts=${SHOWTELL_HEATMAP_ATTEMPTS:-2}
inconclusive=0
for n in $(seq 1 "$attempts"); do
  echo "heatmap board: attempt $n of $attempts"
  attempt "$n"
  case $? in
    0) exit 0 ;;
    2) inconclusive=$((inconclusive + 1)) ;;
  esac
done
if [ "$inconclusive" = "$attempts" ]; then
  # Nothing failed, and everything this host let us see passed: the daemon ran the model, drew
  # no heat in any pause it showed, stopped cleanly. Said loudly, so nobody reads it as verified.
  echo "WARNING heatmap board: on this host the emulated box showed no heat whose place could be judged, or no frame of the pause, in $attempts attempts;"
  echo "WARNING what was not judged was not checked here (ApplianceLoopTests and the compositor's tests check it off the board)"
  exit 0
fi
exit 1
