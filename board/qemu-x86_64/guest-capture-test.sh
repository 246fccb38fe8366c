# Runs inside the qemu-x86_64 guest (busybox sh): the real V4L2 and ALSA paths against the
# kernel's vivid and snd-aloop drivers.
set -e
out=$(/bin/showtell capture-test --device /dev/video0 --frames 30 --width 640 --height 480 --json)
echo "$out"
echo "$out" | grep -q '"driver":"vivid"'
echo "$out" | grep -q '"frames":"30"'
echo "$out" | grep -q '"dropped":"0"'
echo "$out" | grep -q '"stalls":"0"'
echo "capture-test on vivid: ok"

# A 1 kHz tone at -6 dBFS peak played into the loopback comes back on its capture side.
/bin/aplay -q -D hw:Loopback,0,0 /tone.wav &
player=$!
out=$(/bin/showtell mic-test --device hw:Loopback,1,0 --seconds 2 --json)
kill $player 2>/dev/null || true
echo "$out"
echo "$out" | grep -q '"overruns":"0"'
echo "$out" | grep -q '"peak_dbfs":"-6.'
echo "mic-test on snd-aloop: ok"
