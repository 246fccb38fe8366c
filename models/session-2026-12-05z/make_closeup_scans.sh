#!/usr/bin/env bash
# The twenty-sixth session's training set train50: train30 and 20 more scans of the training seed
# and voices (scan-030..049) in which every lips, profile and abdomen visit is a close-up
# (`synth --close-ups 1`), prepared like train30. About 6 minutes on 2 cores.
# From the repository, after DATA=$D ./build.sh prep-data:  D=/path/to/data models/session-2026-12-05z/make_closeup_scans.sh
# The thirty-sixth session's pans at the standard view's scale (trainp50, pan20, pan20b):
#   ZOOMS=1.2,1,1.4 CU=pan20 SET=trainp50 D=... models/session-2026-12-05z/make_closeup_scans.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
D=${D:?set D to the data folder of ./build.sh prep-data}; B=${B:-.build/release/showtell}
CU=${CU:-cu20}; SET=${SET:-train50}; Z=${ZOOMS:+--close-up-zooms $ZOOMS}
$B synth --out $D/$CU --scans 10 --first 30 --minutes 2.5 --seed 100 --voices train --close-ups 1 $Z > $D/$CU-a.log &
$B synth --out $D/${CU}b --scans 10 --first 40 --minutes 2.5 --seed 100 --voices train --close-ups 1 $Z > $D/$CU-b.log; wait
$B prep $D/$CU/scan-* --acoustic-model $D/asr-adapted --out $D/prep-${CU}a --quiet &
$B prep $D/${CU}b/scan-* --acoustic-model $D/asr-adapted --out $D/prep-${CU}b --quiet; wait
mkdir -p $D/$SET $D/prep-$SET/sessions
for s in $D/train30/scan-*; do ln -sfn ../train30/${s##*/} $D/$SET/; done
for s in $D/$CU/scan-* $D/${CU}b/scan-*; do d=${s%/*}; ln -sfn ../${d##*/}/${s##*/} $D/$SET/; done
cp -l -n $D/prep-train30/sessions/* $D/prep-${CU}a/sessions/* $D/prep-${CU}b/sessions/* $D/prep-$SET/sessions/
$B prep $D/$SET/scan-* --acoustic-model $D/asr-adapted --out $D/prep-$SET --quiet   # keeps all 50, writes the index
