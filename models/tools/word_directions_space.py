"""Design check for `showtell train --keyword-space`: in which space should the keyword directions be fitted?

usage: python3 models/tools/word_directions_space.py [--sweep | --oracle] BUNDLE TRAIN_RUN HELDOUT_RUN [SPACE_BUNDLE ...]

The RUNs are `eval localise --keep-embeddings` work folders made with BUNDLE (as for
word_directions.py). Its video maps V = W_v F + b_v are turned back into the frozen video
branch's features F (W_v is square for the edge configurations, D = C = 128), and the
directions of word_directions.py are fitted again (the same re-weighting, the transcript's words
standing in for the ASR keywords) in the raw channels and through each SPACE_BUNDLE's video
projection (BUNDLE's own first), then scored on the held-out moments as u = Pᵀ (d / σ) dotted
with F: what `KeywordDirections.fit` computes. The SPACE_BUNDLEs must share BUNDLE's frozen
video branch. With --sweep, only BUNDLE's own projection, fitted at several sharpnesses κ
and numbers of re-weighting rounds (`KeywordDirections.fit` uses κ = 2, 5 rounds; κ = 0 or no
rounds is the plain mean cell of the word's pictures). With --oracle, the ceiling of one
direction per word in BUNDLE's projection: each word's direction is the mean of its training
pictures' cells inside the named structure's mask minus the mean of the cells outside (ground
truth, so a measurement only, never a training input), beside the label-free fit. numpy only.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from localise_bottleneck import load, per_structure, pointing, read_safetensors  # noqa: E402


def fit(names, features, projection, rounds=5, sharpness=2.0):
    """{word: u [C]} from features [n, C, S] seen through projection [D, C] (None: the raw channels)."""
    x = features if projection is None else np.einsum("dc,ncs->nds", projection, features)
    cells = np.concatenate(list(x), axis=1)
    mean, std = cells.mean(1), cells.std(1) + 1e-6
    x = (x - mean[None, :, None]) / std[None, :, None]
    directions = {}
    for word in sorted(set(names)):
        rows = [k for k, n in enumerate(names) if n == word]
        d = np.mean([x[k].mean(1) for k in rows], 0)
        for _ in range(rounds):
            pooled = []
            for k in rows:
                score = d @ x[k]
                weight = np.exp(sharpness * (score - score.max()) / (score.std() + 1e-6))
                pooled.append(x[k] @ (weight / weight.sum()))
            d = np.mean(pooled, 0)
        directions[word] = (d / std) if projection is None else projection.T @ (d / std)
    return directions


def frozen_branch(bundle):
    """BUNDLE's video projection P [D, C] (float32) and a function turning its kept video maps
    V = P F + b [n, D, S] back into the frozen branch's features F [n, C, S] (P must be square)."""
    weights = read_safetensors(os.path.join(bundle, "model.safetensors"))
    w = weights["video_projection.weight"].astype(np.float64)
    b = weights["video_projection.bias"].astype(np.float64)
    if w.shape[0] != w.shape[1]:
        sys.exit(f"{bundle}: video projection {w.shape} is not square; F cannot be recovered from the kept maps")
    inverse = np.linalg.inv(w)
    return w.astype(np.float32), lambda v: np.einsum("cd,nds->ncs", inverse, v - b[None, :, None]).astype(np.float32)


def oracle(names, features, masks, projection):
    """{word: u [C]}: mean standardised cell inside the named structure's mask minus outside (ground truth)."""
    x = np.einsum("dc,ncs->nds", projection, features)
    cells = np.concatenate(list(x), axis=1)
    mean, std = cells.mean(1), cells.std(1) + 1e-6
    x = (x - mean[None, :, None]) / std[None, :, None]
    directions = {}
    for word in sorted(set(names)):
        rows = [k for k, n in enumerate(names) if n == word and masks[k].any()]
        if rows:
            d = np.mean([x[k][:, masks[k]].mean(1) - x[k][:, ~masks[k]].mean(1) for k in rows], 0)
            directions[word] = projection.T @ (d / std)
    return directions


def main():
    args = sys.argv[1:]
    sweep, with_oracle = "--sweep" in args, "--oracle" in args
    args = [a for a in args if a not in ("--sweep", "--oracle")]
    if len(args) < 3:
        sys.exit(__doc__)
    bundle, train_run, held_run, spaces = args[0], args[1], args[2], args[3:]
    own, recover = frozen_branch(bundle)
    tn, _, _, tv, tm = load(train_run)
    hn, _, _, hv, hm = load(held_run)
    train, held = recover(tv), recover(hv)
    if with_oracle:
        projection = own
        for label, directions in [("label-free fit (5 rounds, sharpness 2)", fit(tn, train, projection)),
                                  ("oracle (training masks)", oracle(tn, train, tm, projection))]:
            maps = np.array([directions[n] @ f if n in directions else np.zeros(f.shape[1]) for n, f in zip(hn, held)])
            hits = pointing(maps, hm)
            print(f"{label}: held-out {100 * hits.mean():5.1f} %  {per_structure(hn, hits)}", flush=True)
        return
    if sweep:
        projection = own
        for rounds, sharpness in [(0, 0.0), (5, 1.0), (5, 2.0), (5, 4.0), (5, 8.0), (10, 2.0), (10, 4.0)]:
            directions = fit(tn, train, projection, rounds=rounds, sharpness=sharpness)
            maps = np.array([directions[n] @ f if n in directions else np.zeros(f.shape[1]) for n, f in zip(hn, held)])
            hits = pointing(maps, hm)
            print(f"rounds {rounds:2d} sharpness {sharpness:3.1f}: held-out {100 * hits.mean():5.1f} %  {per_structure(hn, hits)}", flush=True)
        return
    for label, path in [("raw channels", None), (bundle, bundle)] + [(s, s) for s in spaces]:
        projection = None if path is None else read_safetensors(os.path.join(path, "model.safetensors"))["video_projection.weight"].astype(np.float32)
        directions = fit(tn, train, projection)
        maps = np.array([directions[n] @ f if n in directions else np.zeros(f.shape[1]) for n, f in zip(hn, held)])
        hits = pointing(maps, hm)
        print(f"{label}: held-out {100 * hits.mean():5.1f} %  {per_structure(hn, hits)}", flush=True)


if __name__ == "__main__":
    main()
