#!/usr/bin/env bash
# The qemu-x86_64 virtual board: boots Debian's kernel under QEMU (software emulation) with a
# busybox initramfs holding the showtell binary and the real test drivers (vivid: V4L2 capture,
# snd-aloop: ALSA loopback), runs a script inside, and prints the guest console.
#
#   board/qemu-x86_64/boot-test.sh SHOWTELL_BINARY GUEST_SCRIPT
#
# GUEST_SCRIPT runs as root in the guest after the modules are loaded; its exit status is
# printed as "GUEST-EXIT <n>" and becomes this script's exit status. With
# SHOWTELL_SCREENDUMP=FILE.ppm, the screen (a bochs-display, driven by the bochs DRM driver)
# is grabbed through the QEMU monitor when the guest prints SCREENDUMP-NOW (SCREENDUMP-NOW-2
# grabs a second one into FILE-2.ppm); with SHOWTELL_SCREENDUMP_DIR=DIR, every line
# "SCREENDUMP-AT <name>" grabs DIR/at-<name>.ppm at once (screen_grabber.py). The daemon `showtelld` is copied too when it sits beside
# SHOWTELL_BINARY, and v4l2-ctl when installed (vivid's fault-injection controls);
# SHOWTELL_GUEST_FILES="PATH ..." copies files or folders to /data in the guest. Needs the apt
# packages qemu-system-x86, busybox-static, cpio (build.sh installs them); the kernel package
# is fetched with apt-get download into a cache folder on first use.
set -euo pipefail

binary=$(readlink -f "$1")
guest_script=$(readlink -f "$2")
here=$(cd "$(dirname "$0")" && pwd)
cache=${SHOWTELL_BOARD_CACHE:-$here/../../.build-board}
kernel_package=${SHOWTELL_KERNEL_PACKAGE:-$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}')}
[ -n "$kernel_package" ] || { echo "cannot resolve the kernel package (run apt-get update)"; exit 2; }

mkdir -p "$cache"
if [ ! -d "$cache/$kernel_package" ]; then
  (cd "$cache" && apt-get download "$kernel_package" >/dev/null 2>&1)
  dpkg-deb -x "$cache/$kernel_package"_*.deb "$cache/$kernel_package"
  rm -f "$cache/$kernel_package"_*.deb
fi
kroot="$cache/$kernel_package"
version=$(ls "$kroot/lib/modules")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/root"
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,run,lib64,etc,usr/share}

# busybox and its applets
cp /bin/busybox "$root/bin/busybox"
for applet in sh mount modprobe insmod rmmod poweroff sleep cat echo ls mkdir ln dmesg grep head tail kill wc \
              awk sed cut tr test date rm cp; do
  ln -s busybox "$root/bin/$applet"
done

# Kernel modules: vivid and snd-aloop with their dependency closure, then depmod.
modules=(vivid snd-aloop bochs)
declare -A seen
add_module() {
  local name=$1 file deps dep
  [ -n "${seen[$name]:-}" ] && return
  seen[$name]=1
  file=$(find "$kroot/lib/modules/$version" -name "$name.ko*" -o -name "${name//-/_}.ko*" | head -1)
  [ -n "$file" ] || return 0  # built in
  mkdir -p "$root/$(dirname "${file#$kroot/}")"
  cp "$file" "$root/${file#$kroot/}"
  deps=$(modinfo -F depends "$file" 2>/dev/null | tr ',' ' ')
  for dep in $deps; do add_module "$dep"; done
}
for m in "${modules[@]}"; do add_module "$m"; done
cp "$kroot/lib/modules/$version"/modules.{order,builtin,builtin.modinfo} "$root/lib/modules/$version/" 2>/dev/null || true
depmod -b "$root" "$version"

# The binaries, aplay (to play into the ALSA loopback), v4l2-ctl and every shared library they load.
programs=("$binary" /usr/bin/aplay)
cp "$binary" "$root/bin/showtell"
cp /usr/bin/aplay "$root/bin/aplay"
if [ -x "$(dirname "$binary")/showtelld" ]; then
  cp "$(dirname "$binary")/showtelld" "$root/bin/showtelld"
  programs+=("$(dirname "$binary")/showtelld")
fi
if command -v v4l2-ctl >/dev/null; then
  cp "$(command -v v4l2-ctl)" "$root/bin/v4l2-ctl"
  programs+=("$(command -v v4l2-ctl)")
fi
# Symbols stripped from the copies: the initramfs is unpacked in emulation at every boot.
strip --strip-unneeded "$root"/bin/showtell* 2>/dev/null || true
mkdir -p "$root/data"
for extra in ${SHOWTELL_GUEST_FILES:-}; do cp -rL "$extra" "$root/data/"; done
for program in "${programs[@]}"; do
  ldd "$program" | awk '/=> \//{print $3} /^\t\/lib64/{print $1}' | while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
done
# Test media for the guest: 10 s of a 1 kHz tone at half scale, 48 kHz mono S16_LE.
sox -q -n -r 48000 -c 1 -b 16 "$root/tone.wav" synth 10 sine 1000 vol 0.5
cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"
cp -r /usr/share/alsa "$root/usr/share/alsa"
cp "$guest_script" "$root/guest.sh"
cp "$here/guest-lib.sh" "$root/guest-lib.sh"

cat > "$root/init" <<INIT
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
modprobe vivid n_devs=1 node_types=0x1 input_types=0x1 2>&1
modprobe snd-aloop 2>&1
modprobe bochs 2>&1
sleep 1
echo GUEST-START
sh /guest.sh
echo "GUEST-EXIT \$?"
poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet) > "$work/initrd"

console="$work/console.log"
monitor="$work/monitor.sock"
: > "$console"
if [ -n "${SHOWTELL_SCREENDUMP:-}" ]; then
  # Grab the screen when the guest asks (it keeps the picture up for a few seconds).
  (
    grab() {  # MARKER FILE: grab the screen once the guest prints MARKER on a line of its own
      for _ in $(seq 1 1200); do
        [ -e "$work/qemu-done" ] && return
        if tr -d '\r' < "$console" 2>/dev/null | grep -qx "$1"; then
          python3 - "$monitor" "$2" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); time.sleep(0.3)
s.sendall(f"screendump {sys.argv[2]}\n".encode()); time.sleep(1.5); s.close()
PY
          return
        fi
        sleep 0.25
      done
    }
    grab SCREENDUMP-NOW "$SHOWTELL_SCREENDUMP"
    grab SCREENDUMP-NOW-2 "${SHOWTELL_SCREENDUMP%.ppm}-2.ppm"
  ) &
fi
if [ -n "${SHOWTELL_SCREENDUMP_DIR:-}" ]; then
  mkdir -p "$SHOWTELL_SCREENDUMP_DIR"
  python3 "$here/screen_grabber.py" "$monitor" "$console" "$(readlink -f "$SHOWTELL_SCREENDUMP_DIR")" "$work/qemu-done" &
fi
# SHOWTELL_DISPLAY_SIZE=WxH: the screen's preferred mode (its EDID), e.g. a small one where
# the emulated CPU must keep up with compositing every frame.
display=bochs-display
if [ -n "${SHOWTELL_DISPLAY_SIZE:-}" ]; then
  display="bochs-display,xres=${SHOWTELL_DISPLAY_SIZE%x*},yres=${SHOWTELL_DISPLAY_SIZE#*x}"
fi
timeout "${SHOWTELL_BOOT_TIMEOUT:-300}" qemu-system-x86_64 -machine q35 -cpu max -smp "${SHOWTELL_SMP:-1}" -m 1536 \
  -display none -vga none -device "$display" -serial stdio -monitor "unix:$monitor,server,nowait" \
  -no-reboot -kernel "$kroot/boot/vmlinuz-$version" -initrd "$work/initrd" \
  -append "console=ttyS0 panic=-1 quiet loglevel=3" > "$console" 2>&1 || true
touch "$work/qemu-done"
wait
sed -n '/GUEST-START/,$p' "$console" | tr -d '\r'
status=$(tr -d '\r' < "$console" | awk '/^GUEST-EXIT/{print $2}' | tail -1)
[ -n "$status" ] || { echo "guest did not finish; console:"; tail -30 "$console"; exit 3; }
exit "$status"
