#!/usr/bin/env bash
# The appliance daemon on the virtual board: showtelld from vivid + snd-aloop to bochs DRM,
# with an untrained edge model, a phantom narration in the loopback, and vivid's fault
# injection (unplug, dropped buffers), then SIGTERM. Checks the guest's CHECK lines and that
# the grabbed screen shows a live picture (not the blank or test-pattern screen).
#   board/qemu-x86_64/e2e-appliance.sh BIN_DIR WORK_DIR
# BIN_DIR holds showtell and showtelld; a 2-minute phantom session is made if WORK_DIR lacks one.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "$1" && pwd); work=$2
mkdir -p "$work"; work=$(cd "$work" && pwd)
session="$work/synth/scan-000"
[ -f "$session/audio.wav" ] || "$bin/showtell" synth --out "$work/synth" --minutes 1 --seed 42 >/dev/null
rm -rf "$work/guest"; mkdir -p "$work/guest"
"$bin/showtell" model init --out "$work/guest/model" >/dev/null
sox -q "$session/audio.wav" "$work/guest/narration.wav" trim 0 50
screens="$work/appliance-screens"; rm -rf "$screens"
log=$(SHOWTELL_SCREENDUMP_DIR=$screens SHOWTELL_GUEST_FILES="$work/guest/model $work/guest/narration.wav" \
      SHOWTELL_BOOT_TIMEOUT=400 "$here/boot-test.sh" "$bin/showtell" "$here/guest-appliance.sh")
echo "$log" | grep -v '^\[' | grep -v 'qemu)'
passed=$(echo "$log" | grep -c '^CHECK .* ok$')
failed=$(echo "$log" | grep -c '^CHECK .* FAILED$')

# The grabbed screens (taken while speech was heard): one shows vivid's bars scaled in (many
# distinct colours across the picture) with the status bar saying SPEECH in green.
if python3 - "$screens"/at-live*.ppm <<'PY'
import sys
ok = False
for path in sys.argv[1:]:
    try:
        data = open(path, "rb").read()
    except OSError:
        continue
    magic, size, maxval, pixels = data.split(b"\n", 3)
    width, height = map(int, size.split())
    def rgb(x, y):
        i = (y * width + x) * 3
        return pixels[i], pixels[i + 1], pixels[i + 2]
    # Rows through the picture (the heatmap may tint them while speech is heard).
    middle = {rgb(x, height * k // 10) for k in (4, 5, 6, 7) for x in range(0, width, 4)}
    green = sum(1 for y in range(height - 24, height) for x in range(width)
                if (lambda p: p[1] > 150 and p[0] < 120 and p[2] < 120)(rgb(x, y)))
    print(f"{path.rsplit('/', 1)[-1]}: screen {width}x{height}: {len(middle)} distinct colours across the picture, {green} green status-bar pixels")
    ok = ok or (len(middle) >= 7 and green > 20)
sys.exit(0 if ok else 1)
PY
then echo "CHECK appliance-screen-live ok"; passed=$((passed + 1))
else echo "CHECK appliance-screen-live FAILED"; failed=$((failed + 1)); fi
echo "appliance board: $passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -ge 10 ]
