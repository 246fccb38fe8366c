# Runs inside the qemu-x86_64 guest (busybox sh) as the board's end-to-end test: the real
# V4L2, ALSA, fbdev and DRM paths against the kernel's vivid, snd-aloop and bochs drivers.
# Prints one "CHECK name ok|FAILED" line per check; the host counts them.
. /guest-lib.sh  # check, metric, wait_for

out=$(/bin/showtell devices --json)
echo "$out"
echo "$out" | grep -q '"driver":"vivid"' && echo "$out" | grep -q '"id":"Loopback"' && echo "$out" | grep -q '"path":"\\/dev\\/dri\\/card0"'
check devices-listed $?

out=$(/bin/showtell capture-test --device /dev/video0 --frames 30 --width 640 --height 480 --json)
echo "$out"
echo "$out" | grep -q '"driver":"vivid"' && echo "$out" | grep -q '"frames":"30"' \
  && echo "$out" | grep -q '"dropped":"0"' && echo "$out" | grep -q '"stalls":"0"'
check v4l2-capture-vivid $?

# A 1 kHz tone at half scale played into the loopback comes back on its capture side.
/bin/aplay -q -D hw:Loopback,0,0 /tone.wav &
player=$!
sleep 0.5  # the loopback takes its rate from whichever side opens first: let the player be first
# A 320 ms buffer (32 periods): this checks the capture path and the level, not real-time
# scheduling of a debug build in an emulated guest (CI once saw one overrun with 40 ms).
# The appliance board test checks overrun recovery on purpose.
out=$(/bin/showtell mic-test --device hw:Loopback,1,0 --seconds 2 --periods 32 --json)
kill $player 2>/dev/null
echo "$out"
echo "$out" | grep -q '"overruns":"0"' && echo "$out" | grep -q '"peak_dbfs":"-6.'
check alsa-capture-snd-aloop $?

out=$(/bin/showtell display-test --backend fbdev --seconds 0.5 2>&1)
echo "$out" | grep -v PATTERN
echo "$out" | grep -q "fbdev /dev/fb0"
check fbdev-display $?

# DRM last: its picture stays up while the host grabs the screen.
: > /tmp/display.log
/bin/showtell display-test --backend drm --seconds 1 > /tmp/display.log 2>&1 &
n=0
while ! grep -q PATTERN-SHOWN /tmp/display.log && [ $n -lt 100 ]; do sleep 0.2; n=$((n + 1)); done
grep -v PATTERN /tmp/display.log
grep -q "DRM /dev/dri/card0" /tmp/display.log
check drm-display $?
echo SCREENDUMP-NOW
wait
