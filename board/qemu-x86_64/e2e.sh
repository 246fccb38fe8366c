#!/usr/bin/env bash
# End-to-end test of the qemu-x86_64 virtual board: boots the guest with SHOWTELL_BINARY,
# runs guest-e2e.sh inside, grabs the screen through the QEMU monitor and checks the DRM
# test pattern's colours on it. Ends with "board: N passed, M failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
binary=$1
screen=$(mktemp --suffix=.ppm)
trap 'rm -f "$screen"' EXIT
log=$(SHOWTELL_SCREENDUMP=$screen "$here/boot-test.sh" "$binary" "$here/guest-e2e.sh")
echo "$log" | grep -v '^\[' | grep -v 'qemu)'
passed=$(echo "$log" | grep -c '^CHECK .* ok$')
failed=$(echo "$log" | grep -c '^CHECK .* FAILED$')

# The pattern: eight bars (white, yellow, cyan, green, magenta, red, blue, black) over the
# top two thirds of the screen, a grey ramp below.
pixel() {  # x y -> "r g b" from the binary PPM
  local header width
  header=$(head -c 20 "$screen" | head -3 | wc -c)
  width=$(head -2 "$screen" | tail -1 | cut -d' ' -f1)
  od -An -tu1 -j $((header + ($2 * width + $1) * 3)) -N3 "$screen" | tr -s ' ' | sed 's/^ //'
}
if [ -s "$screen" ]; then
  width=$(head -2 "$screen" | tail -1 | cut -d' ' -f1)
  height=$(head -2 "$screen" | tail -1 | cut -d' ' -f2)
  expected=("255 255 255" "255 255 0" "0 255 255" "0 255 0" "255 0 255" "255 0 0" "0 0 255" "0 0 0")
  ok=0
  for i in 0 1 2 3 4 5 6 7; do
    got=$(pixel $(( (2 * i + 1) * width / 16 )) $((height / 4)))
    [ "$got" = "${expected[$i]}" ] || { echo "bar $i: expected ${expected[$i]}, screen shows $got"; ok=1; }
  done
  [ "$(pixel $((width - 1)) $((height - 2)))" = "255 255 255" ] || { echo "ramp end is not white"; ok=1; }
  if [ $ok = 0 ]; then echo "CHECK drm-screen-pixels ok"; passed=$((passed + 1)); else echo "CHECK drm-screen-pixels FAILED"; failed=$((failed + 1)); fi
else
  echo "CHECK drm-screen-pixels FAILED (no screendump)"; failed=$((failed + 1))
fi
echo "board: $passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -ge 6 ]
