#!/usr/bin/env bash
# The heatmap on screen, on the virtual board: a held-out phantom scan played into vivid's
# video output (looped back into its capture) and its narration into snd-aloop, showtelld
# running the shipped model from them to the bochs screen; the screen is grabbed at chosen
# moments and judged against the phantom's ground truth (heatmap_on_screen.py).
#
#   board/qemu-x86_64/e2e-heatmap.sh BIN_DIR WORK_DIR [PYTHON]
#
# BIN_DIR holds release showtell and showtelld; PYTHON has numpy (the fixtures venv).
# The moments: the host runs `showtell localise` with the same bundle every 0.25 s and keeps
# two stretches of a second where its map hits the named structure, and a silent moment; the
# box must then draw what its model computes there, on the right place of the screen. The
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
seed=${SHOWTELL_HEATMAP_SEED:-9}
session="$work/synth/scan-000"
[ -f "$session/session.json" ] || "$bin/showtell" synth --out "$work/synth" --scans 1 --minutes 1 --seed "$seed" --voices heldout >/dev/null
if [ ! -s "$work/moments.json" ]; then
  ats=$(awk 'BEGIN { for (t = 1; t <= 59; t += 0.25) printf " --at %.2f", t }')
  # shellcheck disable=SC2086
  OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell} "$bin/showtell" localise "$session" --model "$model" $ats --out "$work/localise.png" > "$work/localise.txt" \
    || { echo "showtell localise failed:"; tail -5 "$work/localise.txt"; exit 1; }
  "$python" "$here/heatmap_on_screen.py" choose "$session" "$work/localise.txt" "$work/moments.json" || exit 1
fi
# The box gets the recording only (video, audio, session.json): no labels, no transcript.
guest="$work/guest"; rm -rf "$guest"; mkdir -p "$guest/session"
cp -r "$model" "$guest/model"
cp "$session/video.avi" "$session/audio.wav" "$session/session.json" "$guest/session/"
cp "$work/moments.txt" "$guest/moments"
screens="$work/screens"; rm -rf "$screens"
log=$(SHOWTELL_SCREENDUMP_DIR=$screens SHOWTELL_GUEST_FILES="$guest/model $guest/session $guest/moments" \
      SHOWTELL_SMP=2 SHOWTELL_BOOT_TIMEOUT=600 "$here/boot-test.sh" "$bin/showtell" "$here/guest-heatmap.sh")
echo "$log" | grep -v '^\[' | grep -v '^SCREENDUMP-AT'
grabbed=$(ls "$screens"/*.ppm 2>/dev/null | wc -l)
echo "grabbed $grabbed screens"
verdict=$("$python" "$here/heatmap_on_screen.py" judge "$session" "$work/moments.json" "$screens" 720 576 0.5 "$model")
echo "$verdict"
log="$log"$'\n'"$verdict"
rm -f "$screens"/*.ppm
passed=$(echo "$log" | grep -c '^CHECK .* ok$')
failed=$(echo "$log" | grep -c '^CHECK .* FAILED')
echo "heatmap board: $passed passed, $failed failed (screens: $screens)"
[ "$failed" = 0 ] && [ "$passed" -ge 5 ]
