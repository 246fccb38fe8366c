#!/usr/bin/env bash
# The virtual board with a real Debian userland: systemd, udev and journald boot under QEMU
# (software emulation) from a cached mmdebstrap root filesystem (rootfs.sh), the showtell
# .deb is installed with dpkg -i, upgraded, rebooted into and purged, and the real unit and
# rules are checked (guest-checks.sh prints one "CHECK name ok|FAILED" line per check).
#
#   board/qemu-x86_64/systemd/systemd-boot-test.sh SHOWTELL.deb WORK_DIR
#
# WORK_DIR keeps the guest's console log, the screenshots and the support bundle made in the
# guest. Needs: mmdebstrap (first run, network to deb.debian.org), e2fsprogs (mkfs.ext4 -d,
# debugfs), qemu-system-x86.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
deb=$(readlink -f "$1")
work=$(mkdir -p "$2" && readlink -f "$2")
cache=${SHOWTELL_BOARD_CACHE:-$repo/.build/board-systemd}
started=$(date +%s)

rootfs=$("$here/rootfs.sh" "$cache" "$deb")
key=$(basename "$rootfs")
base="$cache/$key.img"
kernel=$(ls "$rootfs"/boot/vmlinuz-* | head -1)
initrd=$(ls "$rootfs"/boot/initrd.img-* | head -1)
if [ ! -f "$base" ]; then
  mkfs.ext4 -q -F -L showtell-root -d "$rootfs" "$base.partial" 3G
  mv "$base.partial" "$base"
fi

# This run's disk: the clean image plus the test harness (a oneshot unit that runs the checks
# at every boot, the modules the board's drivers need, the 9p share with the host).
disk="$work/disk.img"
cp --sparse=always "$base" "$disk"
share="$work/share"
rm -rf "$share"; mkdir -p "$share"
cp "$deb" "$share/showtell.deb"
# The "previous release" for the upgrade test: the same package, an older version number.
old="$work/old"; rm -rf "$old"; dpkg-deb -R "$deb" "$old"
sed -i 's/^Version: \(.*\)$/Version: \1~previous/' "$old/DEBIAN/control"
dpkg-deb --root-owner-group -Zgzip -z1 --build "$old" "$share/showtell-previous.deb" >/dev/null
rm -rf "$old"
cp "${SHOWTELL_GUEST_CHECKS:-$here/guest-checks.sh}" "$share/guest-checks.sh"
harness="$work/harness"; rm -rf "$harness"; mkdir -p "$harness"
cat > "$harness/board-test.service" <<'UNIT'
[Unit]
Description=ShowTell board test (runs the checks of the current stage)
After=multi-user.target showtelld.service
[Service]
Type=oneshot
ExecStart=/bin/sh /mnt/share/guest-checks.sh
StandardOutput=journal+console
StandardError=journal+console
TimeoutStartSec=infinity
[Install]
WantedBy=multi-user.target
UNIT
printf 'vivid\nsnd-aloop\n9pnet_virtio\n' > "$harness/showtell-board.conf"
printf 'options vivid n_devs=1 node_types=0x1 input_types=0x1\n' > "$harness/vivid.conf"
printf '/dev/vda / ext4 rw,errors=remount-ro 0 1\nshare /mnt/share 9p trans=virtio,version=9p2000.L,msize=262144,x-systemd.automount 0 0\n' > "$harness/fstab"
debugfs -w "$disk" -f - >/dev/null 2>"$work/debugfs.err" <<DEBUGFS
write $harness/board-test.service /etc/systemd/system/board-test.service
symlink /etc/systemd/system/multi-user.target.wants/board-test.service /etc/systemd/system/board-test.service
write $harness/showtell-board.conf /etc/modules-load.d/showtell-board.conf
write $harness/vivid.conf /etc/modprobe.d/vivid.conf
rm /etc/fstab
write $harness/fstab /etc/fstab
mkdir /mnt/share
DEBUGFS

console="$work/console.log"
monitor="$work/monitor.sock"
: > "$console"
pidfile="$work/qemu.pid"
rm -f "$pidfile" "$work/qemu-stopped"
# stop_guest WHY: a guest that hangs is stopped here with the reason, long before the overall
# timeout, so a stuck boot fails this test in minutes instead of eating CI's budget.
stop_guest() {
  echo "$1" > "$work/qemu-stopped"
  [ -s "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
}
# Screenshots: the guest prints SCREENDUMP name; the host grabs the bochs display then. The
# same loop watches for a hang: a console silent for 10 minutes (every wait in the checks is
# 3 minutes at most), or a guest still up 2 minutes after its last stage said done.
(
  done_names=""
  last_size=-1 quiet=0 after_done=0
  while [ ! -e "$work/qemu-done" ]; do
    size=$(stat -c %s "$console")
    if [ "$size" = "$last_size" ]; then quiet=$((quiet + 1)); else quiet=0; last_size=$size; fi
    if [ "$quiet" -ge 1200 ]; then stop_guest "the guest's console was silent for 600 s"; quiet=0; fi
    if grep -q "STAGE done" "$console"; then after_done=$((after_done + 1)); fi
    if [ "$after_done" = 240 ]; then stop_guest "the guest did not power off within 120 s of STAGE done"; fi
    for name in $(tr -d '\r' < "$console" | sed -n 's/^.*SCREENDUMP \([a-z0-9-]*\)$/\1/p'); do
      case " $done_names " in *" $name "*) continue ;; esac
      python3 - "$monitor" "$work/screen-$name.ppm" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); time.sleep(0.2)
s.sendall(f"screendump {sys.argv[2]}\n".encode()); time.sleep(1.0); s.close()
PY
      done_names="$done_names $name"
      : > "$share/screendump-$name.done"
    done
    sleep 0.5
  done
) &
grabber=$!
boot_started=$(date +%s)
timeout "${SHOWTELL_BOOT_TIMEOUT:-1800}" qemu-system-x86_64 -machine q35 -cpu max -smp 2 -m 2048 -pidfile "$pidfile" \
  -display none -vga none -device bochs-display -serial stdio -monitor "unix:$monitor,server,nowait" \
  -drive file="$disk",format=raw,if=virtio \
  -virtfs local,path="$share",mount_tag=share,security_model=none,id=share \
  -kernel "$kernel" -initrd "$initrd" \
  -append "root=/dev/vda rw console=ttyS0 panic=-1 loglevel=4 systemd.show_status=auto" > "$console" 2>&1 || true
touch "$work/qemu-done"
wait "$grabber" 2>/dev/null || true
ended=$(date +%s)
rm -f "$disk"

# journald forwards the unit's output to the console as "[   12.3] sh[275]: LINE".
results="$work/results.txt"
tr -d '\r' < "$console" | sed -n 's/^\[ *[0-9.]*\] [^ ]*\[[0-9]*\]: //p' | grep -E "^(CHECK|INFO|STAGE|SCREENDUMP) " > "$results" || true
# The screen grabbed while the daemon ran: vivid's picture composed by showtelld on the bochs
# DRM display (many colours), not a text console or a blank screen.
if [ -f "$work/screen-running.ppm" ]; then
  colours=$(python3 - "$work/screen-running.ppm" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
parts = data.split(maxsplit=4)
w, h = int(parts[1]), int(parts[2])
pixels = parts[4][: w * h * 3]
print(len({pixels[i:i + 3] for i in range(0, len(pixels), 3 * 7)}))
PY
)
  if [ "${colours:-0}" -gt 50 ]; then echo "CHECK screen-shows-the-picture ok" >> "$results"; else echo "CHECK screen-shows-the-picture FAILED ($colours colours)" >> "$results"; fi
fi
if [ -f "$work/qemu-stopped" ]; then echo "CHECK guest-ran-to-its-end FAILED (QEMU stopped by the host: $(cat "$work/qemu-stopped"))" >> "$results"; fi
for ppm in "$work"/screen-*.ppm; do
  [ -f "$ppm" ] || continue
  ffmpeg -v error -y -i "$ppm" "${ppm%.ppm}.png" 2>/dev/null && rm -f "$ppm" && echo "screenshot: ${ppm%.ppm}.png"
done
cat "$results"
ok=$(grep -c "^CHECK .* ok$" "$results" || true)
failed=$(grep -c "^CHECK .* FAILED" "$results" || true)
finished=$(grep -c "^STAGE done$" "$results" || true)
echo "systemd board: $ok checks ok, $failed failed; QEMU $((ended - boot_started)) s, whole test $((ended - started)) s (console: $console)"
[ "$failed" = 0 ] && [ "$ok" -gt 0 ] && [ "$finished" = 1 ]
