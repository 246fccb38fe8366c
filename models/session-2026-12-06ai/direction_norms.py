"""How long is a keyword direction for the map it draws? The training's fit against the same fit
followed by the peaks' whitened contrast (`--keyword-contrast 0.02`).

usage: python3 models/session-2026-12-06ai/direction_norms.py BUNDLE TRAIN_RUN

TRAIN_RUN: an `eval localise --keep-embeddings` folder made with BUNDLE on the training scans (the
transcript's words name the pictures: a perfect listener). Per word: |u| over the mean spread
(std over a picture's cells) of <u, F> on its pictures, for both fits: the distillation term
compares vectors, the map only their spread over cells. numpy only.
"""
import os, sys
import numpy as np
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from localise_bottleneck import load
from word_directions_space import frozen_branch
projection, recover = frozen_branch(sys.argv[1])
tn, _, _, tv, _ = load(sys.argv[2])
F = recover(tv)
x = np.einsum("dc,ncs->nds", projection, F).astype(np.float32)
cells = np.concatenate(list(x), axis=1); mean, std = cells.mean(1), cells.std(1) + 1e-6
x = (x - mean[None, :, None]) / std[None, :, None]; del cells
n, dims, s = x.shape
within = x - x.mean(2, keepdims=True)
cov = np.einsum("nds,nes->de", within, within, optimize=True) / (n * s); del within
ev = np.linalg.eigvalsh(cov); print("within-picture covariance eigenvalues: min %.2e median %.2e max %.2e" % (ev.min(), np.median(ev), ev.max()))
whiten = np.linalg.inv(cov + 0.01 * np.eye(dims))
words = sorted(set(tn)); rows = {w: [k for k, t in enumerate(tn) if t == w] for w in words}
for w in words:
    mine = x[rows[w]]
    d = mine.mean(2).mean(0)
    for _ in range(5):
        sc = np.einsum("d,nds->ns", d, mine); wt = np.exp(2 * (sc - sc.max(1, keepdims=True)) / (sc.std(1, keepdims=True) + 1e-6)); wt /= wt.sum(1, keepdims=True)
        d = np.einsum("nds,ns->d", mine, wt) / len(mine)
    sc = np.einsum("d,nds->ns", d, mine); k = 16
    top = np.argsort(-sc, axis=1)[:, :k]; pm = np.zeros(sc.shape, bool); np.put_along_axis(pm, top, True, axis=1)
    c = (np.einsum("nds,ns->nd", mine, pm) / k - np.einsum("nds,ns->nd", mine, ~pm) / (s - k)).mean(0)
    d2 = whiten @ c
    def ratio(v):
        u = projection.T @ (v / std)
        m = np.einsum("c,ncs->ns", u, F[rows[w]])
        return np.linalg.norm(u) / m.std(1).mean()
    print(f"{w:18s} norm / map spread: fit {ratio(d):8.3f}  contrast {ratio(d2):8.3f}  x{ratio(d2)/ratio(d):.1f}")
