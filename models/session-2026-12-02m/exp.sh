#!/usr/bin/env bash
# exp.sh NAME SEED [extra train args...]: train the shipped recipe with changes, then eval + control.
# From the repository: [CONFIG=edge-local] [EVAL_SET=dev] [PREP=prep-train30] D=DATA RUNS=OUT models/session-2026-12-02m/exp.sh NAME SEED [CHANGES...]; the shipped command of models/README.md plus CHANGES (give --epochs and --decay-every).
set -euo pipefail
cd "$(dirname "$0")/../.."
D=${D:-/work/data}; B=${B:-.build/release/showtell}; export OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=1
name=$1; seed=$2; shift 2
mkdir -p "${RUNS:-$D/runs}"; RUN=${RUNS:-$D/runs}/$name
$B train $D/${PREP:-prep-train} --config ${CONFIG:-edge} --variant full --out $RUN --optimizer adamw --contrastive infonce --batch 20 --lr 0.001 \
  --weight-decay 0.01 --temperature 0.1 --frames-per-clip 1 --keyword-clips-only --keyword-negatives \
  --live-image-mask --checkpoint-every 20 --threads ${THREADS:-1} --seed $seed "$@" > $RUN.train.log 2>&1
for m in "" --mismatched-audio; do
  $B eval localise --dataset $D/${EVAL_SET:-heldout} --bundle $RUN/bundle --name $name${m:+-ctl} $m --out ${RUNS:-$D/runs}/E-$name --threads 1 > $RUN.eval${m:+-ctl}.log 2>&1
done
python3 models/tools/localise_seed_summary.py ${RUNS:-$D/runs}/E-$name > $RUN.summary.txt 2>&1
cat $RUN.summary.txt
