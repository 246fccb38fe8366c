#!/bin/bash
# The whole chain with stage 1 trained with --cells-where-they-look (forty-second session).
set -e
cd /work/main
export OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=1
out=/work/train-chain-look run=$out/cells-pre
if [ ! -f "$run/finished" ]; then
  resume=(); compgen -G "$run/checkpoint-*.safetensors" > /dev/null && resume=(--resume)
  start=$SECONDS
  args=(/work/data/prep-train --config edge-local --variant video-cells --optimizer adamw --batch 20 --lr 0.001 --weight-decay 0.01 --temperature 0.2 --frames-per-clip 2 --live-image-mask --epochs 8 --decay-every 6 --checkpoint-every 40 --threads 1 --seed 1 --cells-where-they-look)
  .build/release/showtell train "${args[@]}" --out "$run" "${resume[@]}" > "$out/cells-pre.log" 2>&1
  echo "cells-pre $((SECONDS - start)) s (by hand, --cells-where-they-look)" >> "$out/times.txt"
  echo "showtell train ${args[*]} --out $run" > "$run/finished"
fi
DATA=/work/data OUT=$out ./build.sh train-chain
echo CHAINDONE
