"""The label-free keyword directions, sharpened by their own peaks: a within-picture contrast, whitened.

usage: python3 models/session-2026-12-06ai/pseudo_mask_lda.py BUNDLE TRAIN_RUN HELDOUT_RUN [ROUNDS]

As tools/word_directions_space.py --oracle (perfect listener: the transcript's word stands in
for the ASR keyword; masks only score). Starts from the label-free fit through BUNDLE's
projection (ROUNDS rounds, default 5 as training, sharpness 2). Then, per word: in each of its training
pictures the TOP share of cells by the current direction stand in for the mask, and the direction
becomes Σ⁻¹ (mean of those cells - mean of the picture's other cells), Σ the cells' covariance
(within pictures); repeated ROUNDS times. With the true masks in place of the peaks the same
whitened contrast points at 92 % on dev2 (probe_ceiling.py). numpy only.
"""
import os
import sys
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from localise_bottleneck import load, per_structure, pointing  # noqa: E402
from word_directions_space import frozen_branch  # noqa: E402


def standardised_keyword_cells(projection, recover, train_video, *held_videos):
    """The frozen branch's cells through the keyword space's projection (float32), standardised per
    row by the mean and deviation over every training cell: the training pictures [n, D, S], each
    held-out set's pictures the same way [m, D, S], and the deviation [D]."""
    def projected(video):
        return np.einsum("dc,ncs->nds", projection, recover(video)).astype(np.float32)
    x = projected(train_video)
    cells = np.concatenate(list(x), axis=1)
    mean, std = cells.mean(1)[None, :, None], cells.std(1)[None, :, None] + 1e-6
    return (x - mean) / std, [(projected(v) - mean) / std for v in held_videos], std[0, :, 0]


def pointing_report(names, masks, xh):
    """report(directions, label): prints the held-out pointing of one direction per word (a word
    without one draws a flat map), overall and per structure."""
    def report(directions, label):
        maps = np.einsum("nd,nds->ns", np.array([directions.get(w, np.zeros(xh.shape[1])) for w in names]), xh)
        hits = pointing(maps, masks)
        print(f"{label}: held-out {100 * hits.mean():5.1f} %  {per_structure(names, hits)}", flush=True)
    return report


def perfect_listener(bundle, train_run, held_run, ridge=0.01):
    """What the label-free fits share: the training pictures' words `names` and standardised cells
    `x` [n, D, S], the within-picture whitening (Σ + ridge I)⁻¹, each word's `rows`, the top 1 %
    cell count `top`, and report(directions, label) on the held-out run's masks."""
    projection, recover = frozen_branch(bundle)
    tn, _, _, tv, _ = load(train_run)
    hn, _, _, hv, hm = load(held_run)
    x, (xh,), _ = standardised_keyword_cells(projection, recover, tv, hv)
    whiten = np.linalg.inv(within_picture_covariance(x) + ridge * np.eye(x.shape[1]))
    rows = {w: [k for k, name in enumerate(tn) if name == w] for w in sorted(set(tn))}
    return SimpleNamespace(names=tn, x=x, whiten=whiten, rows=rows, top=max(1, int(round(0.01 * x.shape[2]))),
                           report=pointing_report(hn, hm, xh))


def within_picture_covariance(x):
    """[D, D]: the cells' covariance about their own picture's mean cell (x standardised [n, D, S])."""
    n, _, s = x.shape
    within = x - x.mean(2, keepdims=True)
    return np.einsum("nds,nes->de", within, within, optimize=True) / (n * s)


def label_free_fit(mine, rounds, sharpness=2.0):
    """The training's fit (`KeywordDirections.fit`) over one word's standardised pictures [m, D, S]."""
    d = mine.mean(2).mean(0)
    for _ in range(rounds):
        score = np.einsum("d,nds->ns", d, mine)
        weight = np.exp(sharpness * (score - score.max(1, keepdims=True)) / (score.std(1, keepdims=True) + 1e-6))
        weight /= weight.sum(1, keepdims=True)
        d = np.einsum("nds,ns->d", mine, weight) / len(mine)
    return d


def peak_contrast(mine, d, k):
    """Mean over one word's pictures of (mean of the k cells highest on d - mean of the others) [D]."""
    return top_cells_contrast(mine, np.einsum("d,nds->ns", d, mine), k)


def top_cells_contrast(mine, score, k):
    """Mean over the pictures [m, D, S] of (mean of each picture's k cells highest on score [m, S]
    - mean of its other cells) [D]."""
    s = mine.shape[2]
    pseudo = np.zeros(score.shape, bool)
    np.put_along_axis(pseudo, np.argsort(-score, axis=1)[:, :k], True, axis=1)
    inside = np.einsum("nds,ns->nd", mine, pseudo) / k
    outside = np.einsum("nds,ns->nd", mine, ~pseudo) / (s - k)
    return (inside - outside).mean(0)


def training_directions(fit):
    """{word: direction}: the training's fit (10 rounds, then the peaks' whitened contrast, top 1 %)
    over a perfect_listener's pictures."""
    return {w: fit.whiten @ peak_contrast(fit.x[r], label_free_fit(fit.x[r], 10), fit.top) for w, r in fit.rows.items()}


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    bundle, train_run, held_run = sys.argv[1:4]
    fit_rounds = int(sys.argv[4]) if len(sys.argv) == 5 else 5
    projection, recover = frozen_branch(bundle)
    tn, _, _, tv, tm = load(train_run)
    hn, _, _, hv, hm = load(held_run)
    x, (xh,), _ = standardised_keyword_cells(projection, recover, tv, hv)
    n, dims, s = x.shape
    covariance = within_picture_covariance(x)
    words = sorted(set(tn))
    rows = {w: [k for k, name in enumerate(tn) if name == w] for w in words}

    report = pointing_report(hn, hm, xh)
    base = {w: label_free_fit(x[rows[w]], fit_rounds) for w in words}
    report(base, f"label-free fit ({fit_rounds} rounds, sharpness 2)")
    oracle = {w: np.mean([x[k][:, tm[k]].mean(1) - x[k][:, ~tm[k]].mean(1) for k in rows[w] if tm[k].any()], 0) for w in words}
    for ridge in (1e-2, 1e-1):
        whiten = np.linalg.inv(covariance + ridge * np.eye(dims))
        report({w: whiten @ d for w, d in oracle.items()}, f"oracle: true masks, whitened contrast (ridge {ridge})")
    for top in (0.01, 0.02, 0.05, 0.1):
        for ridge in (1e-2, 1e-1, 1.0):
            whiten = np.linalg.inv(covariance + ridge * np.eye(dims))
            current = dict(base)
            k = max(1, int(round(top * s)))
            for r in range(3):
                current = {w: whiten @ peak_contrast(x[rows[w]], current[w], k) for w in words}
                report(current, f"peaks' whitened contrast: top {top:.2f}, ridge {ridge:g}, round {r + 1}")


if __name__ == "__main__":
    main()
