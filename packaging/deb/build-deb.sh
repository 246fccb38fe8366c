#!/usr/bin/env bash
# Builds showtell_VERSION_ARCH.deb with dpkg-deb from release binaries:
#
#   packaging/deb/build-deb.sh BIN_DIR OUT_DIR [VERSION]
#
# BIN_DIR holds showtell and showtelld (built with --static-swift-stdlib, so the box needs no
# Swift runtime). VERSION defaults to the CLI's version plus the commit count (monotonic, so
# each build upgrades the last). The model shipped is models/edge-full-int8 (the box runs int8),
# else models/edge-full (float), else an untrained edge bundle made now (its manifest says
# trained: false, the screen says UNTRAINED MODEL and the package description says so).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=$(readlink -f "$1")
out=$(mkdir -p "$2" && readlink -f "$2")
base=$(sed -n 's/.*static let string = "\(.*\)".*/\1/p' "$repo/Sources/showtell/ShowTell.swift")
version=${3:-$base+$(git -C "$repo" rev-list --count HEAD 2>/dev/null || echo 0)}
arch=$(dpkg --print-architecture)
for b in showtell showtelld; do [ -x "$bin/$b" ] || { echo "no $bin/$b: build with swift build -c release --static-swift-stdlib" >&2; exit 2; }; done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/showtell_${version}_$arch"
install -d "$root/DEBIAN" "$root/usr/bin" "$root/usr/lib/showtell" "$root/etc/showtell" \
  "$root/lib/systemd/system" "$root/lib/udev/rules.d" "$root/usr/share/doc/showtell"
install -m 0755 -s "$bin/showtell" "$bin/showtelld" "$root/usr/bin/"
install -m 0644 "$repo/board/generic-x86_64/showtell.toml" "$root/etc/showtell/showtell.toml"
install -m 0644 "$repo/systemd/showtelld.service" "$root/lib/systemd/system/"
install -m 0644 "$repo/udev/70-showtell.rules" "$root/lib/udev/rules.d/"
install -m 0644 "$repo/README.md" "$root/usr/share/doc/showtell/README.md"
for board in "$repo"/board/*/; do
  name=$(basename "$board")
  install -d "$root/usr/share/doc/showtell/boards/$name"
  find "$board" -maxdepth 1 -type f \( -name '*.md' -o -name '*.toml' -o -name '*.conf' -o -name '*.rules' \) -exec install -m 0644 {} "$root/usr/share/doc/showtell/boards/$name/" \;
done
printf 'showtell (%s) unstable; urgency=medium\n\n  * Built from %s.\n\n -- ShowTell <showtell@localhost>  %s\n' \
  "$version" "$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)" "$(date -R)" | gzip -9n > "$root/usr/share/doc/showtell/changelog.Debian.gz"
printf 'ShowTell appliance. See README.md.\n' > "$root/usr/share/doc/showtell/copyright"

# The model bundle.
model=
for candidate in edge-full-int8 edge-full; do
  if [ -f "$repo/models/$candidate/manifest.json" ]; then model="$repo/models/$candidate"; break; fi
done
if [ -n "$model" ]; then
  cp -r "$model" "$root/usr/lib/showtell/model"
  label="model bundle $(basename "$model") from models/"
else
  "$bin/showtell" model init --backbone edge --seed 0 --out "$root/usr/lib/showtell/model" >/dev/null
  label="UNTRAINED edge model bundle made at build time (no trained bundle in models/): heatmaps mean nothing"
fi
"$bin/showtell" model verify "$root/usr/lib/showtell/model" --runs 1 >/dev/null
trained=$(grep -o '"trained" *: *[a-z]*' "$root/usr/lib/showtell/model/manifest.json" | grep -o '[a-z]*$')
chmod -R a+rX,go-w "$root/usr/lib/showtell"

# Runtime dependencies from the binaries' shared libraries (dpkg-shlibdeps wants a source tree).
mkdir -p "$work/src/debian"
printf 'Source: showtell\n\nPackage: showtell\nArchitecture: any\n' > "$work/src/debian/control"
depends=$(cd "$work/src" && dpkg-shlibdeps -O "$root/usr/bin/showtell" "$root/usr/bin/showtelld" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "dpkg-shlibdeps found no dependencies (is dpkg-dev installed?)" >&2; exit 2; }

cat > "$root/DEBIAN/control" <<CONTROL
Package: showtell
Version: $version
Architecture: $arch
Maintainer: ShowTell <showtell@localhost>
Depends: $depends, init-system-helpers (>= 1.52), adduser, udev, systemd (>= 252)
Recommends: alsa-utils, v4l-utils
Section: science
Priority: optional
Installed-Size: $(du -sk "$root" | cut -f1)
Description: audio-guided anatomy overlay for ultrasound (ShowTell appliance)
 showtelld captures the ultrasound machine's video (V4L2) and the room microphone (ALSA)
 and overlays a heatmap of the anatomy the sonographer names; showtell is the field
 engineers' tool (selftest, devices, mic-test --live, support-bundle, status).
 Model: $label (trained: $trained).
CONTROL
echo /etc/showtell/showtell.toml > "$root/DEBIAN/conffiles"
install -m 0755 "$here/postinst" "$here/prerm" "$here/postrm" "$root/DEBIAN/"

deb="$out/showtell_${version}_$arch.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
echo "model: $label" >&2
