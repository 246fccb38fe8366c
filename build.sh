#!/usr/bin/env bash
# ShowTell build entry point.
#   ./build.sh demo   install what is needed, build (release), run the main job
#   ./build.sh test   install what is needed, build and run every test
#   ./build.sh deps   install the Debian packages only (idempotent)
#   ./build.sh fixtures  regenerate the committed numpy/scipy reference fixtures (Python venv)
set -euo pipefail
cd "$(dirname "$0")"

# C libraries the package links, and tools the generator, demo and tests call.
APT_PACKAGES=(
  pkg-config libasound2-dev libv4l-dev libopenblas-dev libfftw3-dev libjpeg-dev
  libspeexdsp-dev libsoxr-dev zlib1g-dev libdrm-dev
  espeak-ng libespeak-ng1 sox ffmpeg alsa-utils v4l-utils
  qemu-system-x86 busybox-static cpio kmod
)

deps() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  command -v swift >/dev/null || { echo "swift is not on PATH (Swift 6.2 or later is needed)"; exit 1; }
}

demo() {
  deps
  swift build -c release --product showtell
  local bin; bin="$(swift build -c release --show-bin-path)/showtell"
  mkdir -p out
  # A sonographer's sentence over fan noise, as the microphone would hear it.
  espeak-ng -v en-gb -s 150 -w out/speech.wav "and here are both kidneys, next to the spine"
  sox -q out/speech.wav -r 48000 -c 1 out/speech48.wav pad 1 1
  sox -q -n -r 48000 -c 1 out/noise.wav synth 4.5 brownnoise synth 4.5 sine mix 100 vol 0.05
  sox -q -m out/speech48.wav out/noise.wav -b 16 out/narration.wav
  "$bin" spectrogram out/narration.wav --at 2.0 --out out/spectrogram.png
  echo "wrote out/spectrogram.png"
  "$bin" bench frontend --windows 1000 --repetitions 3
}

tests() {
  deps
  swift build --build-tests
  swift test --skip-build
  # End to end on the virtual board: real V4L2, ALSA, fbdev and DRM drivers under QEMU.
  board/qemu-x86_64/e2e.sh "$(swift build --show-bin-path)/showtell"
  # End to end with release binaries: a 2-minute phantom session that ffprobe opens.
  swift build -c release
  Tests/EndToEnd/synth-session.sh "$(swift build -c release --show-bin-path)" .build/e2e
}

# The Swift tests need no Python: they read fixtures committed with the scripts that made them.
fixtures() {
  deps
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  dpkg-query -W -f='${Status}' python3-venv 2>/dev/null | grep -q "install ok installed" \
    || DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
  [ -x .build/fixtures-venv/bin/python ] || python3 -m venv .build/fixtures-venv
  .build/fixtures-venv/bin/pip install -q numpy scipy safetensors
  for script in Tests/FixtureScripts/*.py; do .build/fixtures-venv/bin/python "$script"; done
  git status --short -- Tests
}

case "${1:-}" in
  demo) demo ;;
  test) tests ;;
  deps) deps ;;
  fixtures) fixtures ;;
  *) echo "usage: $0 demo|test|deps|fixtures"; exit 2 ;;
esac
