"""Design check for the next objective: per-word directions in the video space from co-occurrence.

usage: python3 models/tools/word_directions.py TRAIN_RUN HELDOUT_RUN

The RUNs are as for localise_bottleneck.py (OUT/localise/NAME of `eval localise
--keep-embeddings`, training and held-out scans, one bundle). For each word it finds a direction
in the bundle's (standardised) video cells without masks: start from the mean cell of the moments
that name the word, then five times re-weight each such moment's cells by a softmax of their
score on the direction and average again (the cells that the word's pictures share, not the
whole picture). Held-out moments are scored with the true word against its mask:
- the word direction alone, and
- the bundle's map with a fixed audio vector (the training moments' mean: the prior the box
  draws today) plus L x the word direction, both standardised over the cells: what an audio
  embedding of the form mean + L * direction(word heard) would draw.

The words here are the transcript's (the named structure), standing in for the prep's ASR
keywords (86 % precision, 59 % recall on the training voices), so this is an upper bound for a
listener that always recognises the word. numpy only.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from localise_bottleneck import load, per_structure, pointing  # noqa: E402


def word_directions(names, video, mean, std, rounds=5, sharpness=2.0):
    """{word: direction [D]} over standardised cells (video [n, D, C])."""
    directions = {}
    for word in sorted(set(names)):
        cells = [(video[k] - mean[:, None]) / std[:, None] for k, n in enumerate(names) if n == word]
        direction = np.mean([c.mean(1) for c in cells], 0)
        for _ in range(rounds):
            pooled = []
            for c in cells:
                score = direction @ c
                weight = np.exp(sharpness * (score - score.max()) / (score.std() + 1e-6))
                pooled.append(c @ (weight / weight.sum()))
            direction = np.mean(pooled, 0)
        directions[word] = direction
    return directions


def standardised(x):
    return (x - x.mean(axis=1, keepdims=True)) / (x.std(axis=1, keepdims=True) + 1e-12)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    tn, _, ta, tv, _ = load(sys.argv[1])
    hn, _, _, hv, hm = load(sys.argv[2])
    cells = np.concatenate(list(tv), axis=1)
    mean, std = cells.mean(1), cells.std(1) + 1e-6
    directions = word_directions(tn, tv, mean, std)
    word = standardised(np.array([directions[n] @ ((v - mean[:, None]) / std[:, None]) if n in directions
                                  else np.zeros(v.shape[1]) for n, v in zip(hn, hv)]))
    prior = standardised(np.einsum("d,ndc->nc", ta.mean(0), hv))
    alone = pointing(word, hm)
    print(f"word direction alone:     held-out {100 * alone.mean():5.1f} %  {per_structure(hn, alone)}")
    print(f"prior alone:              held-out {100 * pointing(prior, hm).mean():5.1f} %")
    for weight in (0.25, 0.5, 1.0, 2.0):
        hits = pointing(prior + weight * word, hm)
        print(f"prior + {weight:4.2f} x word:    held-out {100 * hits.mean():5.1f} %  {per_structure(hn, hits)}")


if __name__ == "__main__":
    main()
