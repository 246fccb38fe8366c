#!/usr/bin/env bash
# exp-kd05wm.sh NAME SEED [CHANGES...]: the shipped (thirty-first session) command plus CHANGES, judged on dev (with
# its control, session-2026-12-04w/exp.sh) and on dev2. D = DATA=$D ./build.sh prep-data; T = the teachers
# (git show 3a6d73c/af9c3a9/af17f1f:models/edge-full -> T/eighteenth, twentieth, twentyfirst) and the
# keyword space (git show f7af040:models/edge-full -> T/prev-nn20). [EPOCHS=12 DECAY=9 BIN=.build/release/showtell PREP=prep-train30 THREADS=1]
set -euo pipefail
cd "$(dirname "$0")/../.."
D=${D:-/work/data}; B=${BIN:-.build/release/showtell}; R=${RUNS:-$D/runs}; T=${T:-/work/teachers}
name=$1; seed=$2; shift 2
S="--epochs ${EPOCHS:-12} --decay-every ${DECAY:-9} --keyword-context 4 --mosaic 0.5 --init-video $T/eighteenth --video-lr-scale 0 \
   --distill-from $T/eighteenth --distill-from $T/twentieth --distill-from $T/twentyfirst --distill-weight 0.2 --near-negatives 20 \
   --keyword-space $T/prev-nn20 --keyword-directions 0.5 --warp-frequency 0.12 --warp-time 0.1 --spec-mask 24"
PREP=${PREP:-prep-train30} EVAL_SET=dev CONFIG=edge-local-os8 B=$B D=$D RUNS=$R models/session-2026-12-04w/exp.sh $name $seed $S "$@"
export OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=1
$B eval localise --dataset $D/dev2 --bundle $R/$name/bundle --name $name --out $R/D2-$name --threads 1 > $R/$name.dev2.log 2>&1
python3 models/tools/localise_seed_summary.py --per-anatomy --per-scan $R/D2-$name > $R/$name.summary-dev2.txt 2>&1
echo done $name
