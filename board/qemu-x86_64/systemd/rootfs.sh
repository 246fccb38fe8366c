#!/usr/bin/env bash
# A clean Debian 12 root filesystem for the systemd board test, made with mmdebstrap from
# Debian's own packages and cached as a tarball (rebuilt only when this script changes):
#
#   board/qemu-x86_64/systemd/rootfs.sh CACHE_DIR [SHOWTELL.deb]   -> prints CACHE_DIR/rootfs-<hash> (a directory)
#
# With the .deb, its Depends (what dpkg-shlibdeps found, plus adduser, udev, systemd) are
# installed too, as `apt install ./showtell.deb` would on a box with a network: the guest has
# none, and `dpkg -i` must find them. The cache key covers that list, so a new dependency
# makes a new image.
# minbase + systemd, udev, the Debian kernel (vivid, snd-aloop and bochs are modules of it) with
# a small initramfs (virtio block + ext4), the runtime libraries showtell's package depends on,
# and the tools the test drives the drivers with (aplay, v4l2-ctl). No showtell: the test
# installs the .deb with dpkg -i, as on a box. serial-getty@ttyS0 is masked (the serial line
# is the test's console).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=$1
mkdir -p "$cache"
dependencies=()
if [ -n "${2:-}" ]; then
  mapfile -t dependencies < <(dpkg-deb -f "$2" Depends | tr ',' '\n' | sed -e 's/(.*)//' -e 's/|.*//' -e 's/ //g' | grep -v '^$' | sort -u)
fi
key=$( (cat "$here/rootfs.sh"; printf '%s\n' "${dependencies[@]}") | sha256sum | cut -c1-12)
out="$cache/rootfs-$key"
if [ -d "$out" ]; then echo "$out"; exit 0; fi
command -v mmdebstrap >/dev/null || { echo "mmdebstrap is missing: apt-get install mmdebstrap (build.sh deps does)" >&2; exit 2; }

packages=(
  systemd systemd-sysv udev kmod dbus linux-image-amd64 initramfs-tools zstd e2fsprogs procps
  adduser init-system-helpers libasound2 libopenblas0 libopenblas0-pthread libfftw3-single3 libjpeg62-turbo libspeexdsp1 libsoxr0 zlib1g libdrm2 libstdc++6 libgcc-s1
  alsa-utils v4l-utils
  "${dependencies[@]}"
)
rm -rf "$out.partial"
mmdebstrap --variant=minbase --format=directory --include="$(IFS=,; echo "${packages[*]}")" \
  --essential-hook='mkdir -p "$1/etc/initramfs-tools/conf.d" && echo MODULES=list > "$1/etc/initramfs-tools/conf.d/showtell-board" && echo COMPRESS=zstd >> "$1/etc/initramfs-tools/conf.d/showtell-board" && mkdir -p "$1/etc/initramfs-tools" && printf "virtio_pci\nvirtio_blk\next4\n" > "$1/etc/initramfs-tools/modules"' \
  --customize-hook='echo showtell-board > "$1/etc/hostname"' \
  --customize-hook='printf "/dev/vda / ext4 rw,errors=remount-ro 0 1\n" > "$1/etc/fstab"' \
  --customize-hook='chroot "$1" systemctl mask serial-getty@ttyS0.service getty@tty1.service systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer e2scrub_reap.service' \
  --customize-hook='mkdir -p "$1/home/engineer" && echo private > "$1/home/engineer/notes.txt" && chmod 0755 "$1/home/engineer"' \
  --customize-hook='rm -rf "$1/usr/share/doc"/* "$1/usr/share/man"/* "$1/var/cache/apt"/*.bin' \
  bookworm "$out.partial" http://deb.debian.org/debian
mv "$out.partial" "$out"
echo "$out"
