#!/usr/bin/env bash
# exp.sh NAME SEED [extra train args...]: session-2026-12-02m/exp.sh (the shipped recipe plus
# CHANGES, then `eval localise` with its control) with the evaluation's embeddings kept, so runs
# can be combined afterwards (ensemble.py). From the repository:
# [CONFIG=edge-local] [EVAL_SET=dev] [PREP=prep-train30] D=DATA RUNS=OUT models/session-2026-12-04w/exp.sh NAME SEED [CHANGES...]
set -euo pipefail
cd "$(dirname "$0")/../.."
D=${D:-/work/data}; B=${B:-.build/release/showtell}; export OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=1
name=$1; seed=$2; shift 2
R=${RUNS:-$D/runs}; mkdir -p "$R"; RUN=$R/$name
$B train $D/${PREP:-prep-train} --config ${CONFIG:-edge} --variant full --out $RUN --optimizer adamw --contrastive infonce --batch 20 --lr 0.001 \
  --weight-decay 0.01 --temperature 0.1 --frames-per-clip 1 --keyword-clips-only --keyword-negatives \
  --live-image-mask --checkpoint-every 20 --threads ${THREADS:-1} --seed $seed "$@" > $RUN.train.log 2>&1
for m in --keep-embeddings --mismatched-audio; do
  ctl=; [ $m = --mismatched-audio ] && ctl=-ctl
  $B eval localise --dataset $D/${EVAL_SET:-heldout} --bundle $RUN/bundle --name $name$ctl $m --out $R/E-$name --threads 1 > $RUN.eval$ctl.log 2>&1
done
python3 models/tools/localise_seed_summary.py --per-anatomy --per-scan $R/E-$name > $RUN.summary.txt 2>&1
cat $RUN.summary.txt
