#!/usr/bin/env bash
# exp-chain.sh NAME [INPUT ARGS...]: `./build.sh train-shipped`'s command (seed 2) with other teachers or
# keyword space (INPUT ARGS: --init-video, --distill-from, --keyword-space), then `eval localise` on dev
# and dev2 into RUNS/dev and RUNS/dev2. [D=DATA RUNS=/work/runs THREADS=1]
set -euo pipefail
cd "$(dirname "$0")/../.."
export OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=1
B=.build/release/showtell D=${D:-/work/data} R=${RUNS:-/work/runs} name=$1; shift
$B train $D/prep-train30 --config edge-local-os8 --variant full --out $R/$name --optimizer adamw \
    --contrastive infonce --batch 20 --lr 0.001 --weight-decay 0.01 --temperature 0.1 --frames-per-clip 1 \
    --keyword-clips-only --keyword-negatives --live-image-mask --checkpoint-every 20 --threads ${THREADS:-1} --seed 2 \
    --epochs 12 --decay-every 9 --keyword-context 4 --mosaic 0.5 --video-lr-scale 0 --distill-weight 0.2 \
    --near-negatives 20 --keyword-directions 0.5 --warp-frequency 0.12 --warp-time 0.1 --spec-mask 24 \
    --keyword-contrast 0.01 --keyword-rounds 10 --audio-config edge "$@" > $R/$name.train.log 2>&1
for s in dev dev2; do $B eval localise --dataset $D/$s --bundle $R/$name/bundle --name $name --out $R/$s --threads 1 > $R/$name.$s.log 2>&1; done
echo done $name
