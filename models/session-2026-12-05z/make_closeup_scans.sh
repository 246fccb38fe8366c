#!/usr/bin/env bash
# The twenty-sixth session's training set train50: train30 and 20 more scans of the training seed
# and voices (scan-030..049) in which every lips, profile and abdomen visit is a close-up
# (`synth --close-ups 1`), prepared like train30. About 6 minutes on 2 cores.
# From the repository, after DATA=$D ./build.sh prep-data:  D=/path/to/data models/session-2026-12-05z/make_closeup_scans.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
D=${D:?set D to the data folder of ./build.sh prep-data}; B=${B:-.build/release/showtell}
$B synth --out $D/cu20 --scans 10 --first 30 --minutes 2.5 --seed 100 --voices train --close-ups 1 > $D/cu20-a.log &
$B synth --out $D/cu20b --scans 10 --first 40 --minutes 2.5 --seed 100 --voices train --close-ups 1 > $D/cu20-b.log; wait
$B prep $D/cu20/scan-* --acoustic-model $D/asr-adapted --out $D/prep-cu20a --quiet &
$B prep $D/cu20b/scan-* --acoustic-model $D/asr-adapted --out $D/prep-cu20b --quiet; wait
mkdir -p $D/train50 $D/prep-train50/sessions
for s in $D/train30/scan-*; do ln -sfn ../train30/${s##*/} $D/train50/; done
for s in $D/cu20/scan-* $D/cu20b/scan-*; do d=${s%/*}; ln -sfn ../${d##*/}/${s##*/} $D/train50/; done
cp -l -n $D/prep-train30/sessions/* $D/prep-cu20a/sessions/* $D/prep-cu20b/sessions/* $D/prep-train50/sessions/
$B prep $D/train50/scan-* --acoustic-model $D/asr-adapted --out $D/prep-train50 --quiet   # keeps all 50, writes the index
