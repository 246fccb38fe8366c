# Runs inside the qemu-x86_64 guest (busybox sh): streams from the vivid driver through
# the real V4L2 path and checks what came back.
set -e
out=$(/bin/showtell capture-test --device /dev/video0 --frames 30 --width 640 --height 480 --json)
echo "$out"
echo "$out" | grep -q '"driver":"vivid"'
echo "$out" | grep -q '"frames":"30"'
echo "$out" | grep -q '"dropped":"0"'
echo "$out" | grep -q '"stalls":"0"'
echo "capture-test on vivid: ok"
