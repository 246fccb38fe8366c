"""How well could one linear direction per word point, if it were fitted the best way? (a ceiling)

usage: python3 models/session-2026-12-06ai/probe_ceiling.py BUNDLE TRAIN_RUN HELDOUT_RUN

The RUNs are `eval localise --keep-embeddings` work folders made with BUNDLE (as for
tools/word_directions_space.py): the frozen video branch's cells F of each named moment's frame.
Per named word, one direction w over the standardised cells, fitted from the training pictures'
masks (ground truth: a measurement of what the frozen features hold, never a training input):
- mean: mean cell inside the mask minus outside (word_directions_space.py --oracle);
- whitened: the same through the inverse of the cells' covariance (LDA);
- pointing: w maximising log sum over the mask's cells of softmax over the picture's cells of w.f
  (the pointing game's own objective, L2-regularised, started from the whitened direction).
Scored on the held-out moments: the map's peak inside the named structure's mask. numpy only.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from localise_bottleneck import load, per_structure, pointing  # noqa: E402
from word_directions_space import frozen_branch  # noqa: E402


def pointing_fit(x, masks, start, steps=300, lr=0.5, l2=1e-3):
    """x [n, C, S] standardised cells of one word's pictures, masks [n, S]: gradient ascent on the mean
    log softmax mass inside the mask."""
    w = start / (np.linalg.norm(start) + 1e-9)
    m = masks.astype(np.float64)
    for _ in range(steps):
        z = np.einsum("c,ncs->ns", w, x)
        z -= z.max(1, keepdims=True)
        p = np.exp(z); p /= p.sum(1, keepdims=True)
        q = p * m; q /= q.sum(1, keepdims=True) + 1e-12          # posterior over the mask's cells
        grad = np.einsum("ns,ncs->c", q - p, x) / len(x) - l2 * w
        w += lr * grad
    return w


def standardised_cells(bundle, train_run, held_run, dtype=np.float32):
    """The frozen branch's cells of both runs' named moments, standardised per channel over every
    training cell: (training names, masks, cells [n, C, S]), (held-out names, masks, cells)."""
    _, recover = frozen_branch(bundle)
    tn, _, _, tv, tm = load(train_run)
    hn, _, _, hv, hm = load(held_run)
    train, held = recover(tv), recover(hv)
    cells = np.concatenate(list(train), axis=1)                       # [C, all cells]
    mean, std = cells.mean(1), cells.std(1) + 1e-6
    z = ((train - mean[None, :, None]) / std[None, :, None]).astype(dtype)
    zh = ((held - mean[None, :, None]) / std[None, :, None]).astype(dtype)
    return (tn, tm, z), (hn, hm, zh)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    (tn, tm, z), (hn, hm, zh) = standardised_cells(*sys.argv[1:], dtype=np.float64)
    zc = np.concatenate(list(z), axis=1)
    inverse = np.linalg.inv(np.cov(zc) + 1e-3 * np.eye(zc.shape[0]))
    fits = {"mean": {}, "whitened": {}, "pointing": {}}
    for word in sorted(set(tn)):
        rows = [k for k, n in enumerate(tn) if n == word and tm[k].any()]
        if not rows:
            continue
        d = np.mean([z[k][:, tm[k]].mean(1) - z[k][:, ~tm[k]].mean(1) for k in rows], 0)
        fits["mean"][word] = d
        fits["whitened"][word] = inverse @ d
        fits["pointing"][word] = pointing_fit(z[rows], tm[rows], inverse @ d)
        print(f"fitted {word} ({len(rows)} pictures)", file=sys.stderr, flush=True)
    for label, directions in fits.items():
        maps = np.array([np.einsum("c,cs->s", directions[n], f) if n in directions else np.zeros(f.shape[1])
                         for n, f in zip(hn, zh)])
        hits = pointing(maps, hm)
        print(f"{label:9s}: held-out {100 * hits.mean():5.1f} %  {per_structure(hn, hits)}", flush=True)


if __name__ == "__main__":
    main()
