# Runs inside the qemu-x86_64 guest (busybox sh): the heatmap on screen. vivid gets a video
# output whose picture loops back into its capture (S-Video in and out, PAL, "Loop Video"), so
# `showtell replay` plays a phantom scan into the grabber as a scanner would and, from the same
# clock, its narration into snd-aloop; showtelld runs the shipped model from the loopbacks to
# the bochs DRM screen. At the moments listed in /data/moments (seconds of the recording) the
# guest prints SCREENDUMP-AT <t> and the host grabs the screen; the host judges the pictures.
. /guest-lib.sh  # check, metric, wait_for, stages

rmmod vivid
modprobe vivid n_devs=1 node_types=0x101 input_types=0x2 output_types=0x0 2>&1
# Loop the output into the capture, without vivid's text overlay (its OSD) on the picture.
/bin/v4l2-ctl -d /dev/video0 --set-ctrl loop_video=1,osd_text_mode=2 2>&1
mkdir -p /tmp/st
cat > /tmp/st/showtell.toml <<TOML
[video]
source = "v4l2:/dev/video0"
width = 720
height = 576
pixel_format = "GREY"
fps = 25

[audio]
source = "alsa:hw:Loopback,1,0"
# 320 ms of ALSA buffer instead of 40: under software emulation the capture thread can wait
# that long for a core (the appliance fills lost audio with silence, but silence is not speech).
period_ms = 20
periods = 16

[display]
output = "drm:/dev/dri/card0"

[model]
bundle = "/data/model"

[loop]
window = "centred"
heatmap_alpha = 0.5

[control]
socket = "/tmp/st/control.sock"
metrics_textfile = "/tmp/st/showtell.prom"
TOML
/bin/showtelld --config /tmp/st/showtell.toml > /tmp/st/log 2>&1 &
daemon=$!
wait_for 180 '[ "$(metric showtell_model_loaded)" = 1 ] && [ "$(metric showtell_frames_out_total)" -gt 20 ] 2>/dev/null'
check heatmap-board-daemon-running-with-the-model $?
head -5 /tmp/st/log

marks=""
for t in $(cat /data/moments); do marks="$marks --mark $t"; done
# At most 12 frames a second: the emulated box takes 5-10, and every frame the replay decodes
# and vivid loops back costs the guest CPU its drivers' threads need (on slow hosts vivid
# then delivered frames up to 7 s late).
/bin/showtell replay /data/session --video-out /dev/video1 --audio-out hw:Loopback,0,0 --max-fps 12 --stamp $marks 2>&1 | while read -r line; do
  case "$line" in
    MARK*) set -- $line; echo "$line (guest uptime $(cut -d" " -f1 /proc/uptime))"; echo "SCREENDUMP-AT $2" ;;
    *) echo "$line" ;;
  esac
done
echo "audio windows $(metric showtell_audio_windows_total), frames in $(metric showtell_frames_in_total), out $(metric showtell_frames_out_total), dropped $(metric showtell_frames_dropped_total), shown without inference $(metric showtell_frames_skipped_total), speech windows $(metric showtell_speech_windows_total), anatomy windows $(metric showtell_anatomy_windows_total), audio overruns $(metric showtell_audio_xruns_total)"
stages
kill -TERM $daemon; wait $daemon
check heatmap-board-daemon-stopped-cleanly $?
tail -3 /tmp/st/log
