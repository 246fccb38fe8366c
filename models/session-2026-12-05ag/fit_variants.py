"""Offline check of joint keyword-direction fits (thirty-third session): can the words' directions
be fitted together so that the kidneys' and the nose's stop pointing at what their pictures share?

usage: python3 models/session-2026-12-05ag/fit_variants.py BUNDLE TRAIN_RUN HELDOUT_RUN

Arguments as for models/tools/word_directions_space.py (`eval localise --keep-embeddings` work
folders made with BUNDLE; the transcript's words stand in for a perfect listener). Every variant
starts from the label-free fit `KeywordDirections.fit` uses (5 rounds, sharpness 2) and is scored
on the held-out moments the same way:
  - centred: each direction minus a share of the words' mean direction;
  - competitive: further rounds re-weighting each picture's cells by how much the word's score
    beats the other words' (their maximum, or a log-sum-exp of the standardised scores);
  - contrast (multiple-instance): rounds of "cells the word's pictures share" minus beta x "cells
    the same direction lights in 600 other clips' pictures";
  - whitened: the directions multiplied by the inverse of the cells' covariance (all cells, or
    within each picture), after the fit or inside its rounds.
Ground truth (masks) only measures. numpy only; about 6 minutes.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from localise_bottleneck import load, per_structure, pointing  # noqa: E402
from word_directions_space import frozen_branch  # noqa: E402


def pooled(d, x, k=2.0):
    """Mean over pictures x [n, D, S] of their cells weighted by softmax(k (d.x - max) / std)."""
    out = []
    for picture in x:
        s = d @ picture
        weight = np.exp(k * (s - s.max()) / (s.std() + 1e-6))
        out.append(picture @ (weight / weight.sum()))
    return np.mean(out, 0)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    bundle, train_run, held_run = sys.argv[1:]
    p, recover = frozen_branch(bundle)
    tn, _, _, tv, _ = load(train_run)
    hn, _, _, hv, hm = load(held_run)
    train, held = recover(tv), recover(hv)
    x = np.einsum("dc,ncs->nds", p, train)
    cells = np.concatenate(list(x), axis=1)
    mean, std = cells.mean(1), cells.std(1) + 1e-6
    x = (x - mean[None, :, None]) / std[None, :, None]
    words = sorted(set(tn))
    rows = {word: [i for i, n in enumerate(tn) if n == word] for word in words}

    def report(directions, label):
        """directions in the standardised projected space -> u = Pᵀ (d / σ), scored on the held-out moments."""
        u = {word: p.T @ (d / std) for word, d in directions.items()}
        maps = np.array([u[n] @ f if n in u else np.zeros(f.shape[1]) for n, f in zip(hn, held)])
        hits = pointing(maps, hm)
        print(f"{label}: held-out {100 * hits.mean():5.1f} %  {per_structure(hn, hits)}", flush=True)

    def fitted(rounds=5, whiten=None):
        out = {}
        for word in words:
            mine = x[rows[word]]
            d = mine.mean(2).mean(0)
            for _ in range(rounds):
                d = pooled(d if whiten is None else whiten @ d, mine)
            out[word] = d if whiten is None else whiten @ d
        return out

    base = fitted()
    report(base, "label-free fit (5 rounds, sharpness 2)")
    average = np.mean([base[word] for word in words], 0)
    for share in (0.5, 1.0):
        report({word: base[word] - share * average for word in words}, f"centred, minus {share} x the mean direction")
    for mode in ("max", "log-sum-exp"):
        current = dict(base)
        for r in range(3):
            table = np.stack([current[word] for word in words])
            new = {}
            for j, word in enumerate(words):
                out = []
                for picture in x[rows[word]]:
                    scores = table @ picture
                    if mode == "max":
                        margin = scores[j] - np.delete(scores, j, 0).max(0)
                    else:
                        z = scores / (scores.std(1, keepdims=True) + 1e-6)
                        margin = z[j] - np.log(np.exp(np.delete(z, j, 0)).sum(0))
                    weight = np.exp(2 * (margin - margin.max()) / (margin.std() + 1e-6))
                    out.append(picture @ (weight / weight.sum()))
                new[word] = np.mean(out, 0)
            current = new
            report(current, f"competitive ({mode}), round {r + 1}")
    rng = np.random.default_rng(0)
    for beta, rounds in ((0.5, 3), (0.5, 8), (1.0, 3), (1.0, 8)):
        out = {}
        for word in words:
            others = [i for i, n in enumerate(tn) if n != word]
            negatives = x[rng.choice(others, size=min(600, len(others)), replace=False)]
            d = base[word].copy()
            for _ in range(rounds):
                d = pooled(d, x[rows[word]]) - beta * pooled(d, negatives)
            out[word] = d
        report(out, f"contrast, beta {beta}, {rounds} rounds")
    centred = x - x.mean(2, keepdims=True)
    covariances = {"all cells": np.cov(np.concatenate(list(x), axis=1)),
                   "within pictures": np.einsum("nds,nes->de", centred, centred) / (centred.shape[0] * centred.shape[2])}
    for name, covariance in covariances.items():
        for ridge in (0.01, 0.1, 1.0):
            whiten = np.linalg.inv(covariance + ridge * np.eye(len(covariance)))
            report({word: whiten @ d for word, d in base.items()}, f"whitened ({name}, ridge {ridge}) after the fit")
            report(fitted(whiten=whiten), f"whitened ({name}, ridge {ridge}) inside the rounds")


if __name__ == "__main__":
    main()
