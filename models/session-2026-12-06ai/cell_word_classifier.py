"""Label-free keyword directions from a cell-level word classifier: does explaining away find the
structure inside its picture?

usage: python3 models/session-2026-12-06ai/cell_word_classifier.py BUNDLE TRAIN_RUN HELDOUT_RUN [--cells N] [--l2 L]

As tools/word_directions_space.py (the RUNs are `eval localise --keep-embeddings` folders made
with BUNDLE; the frozen branch's features F are recovered from the kept maps; the transcript's
word stands in for the ASR keyword: a perfect listener). Every cell of a training picture takes the
word said over the picture as its (noisy) label, and one multinomial logistic regression from the
standardised cell to the word is fitted over all of them (N cells drawn per picture). A cell that
shows a structure seen under many words (the spine, in the kidneys' plane and the heart's) is
explained by all of them and weighs little for any one; a cell seen only under one word (the
kidney) weighs much for it. Each word's direction is its row of the classifier; the held-out map
is that row dotted with each cell, as the bundle's <u, F>. No mask enters the fit; the held-out
masks only score it (pointing game). Beside it: the mean-difference oracle and the label-free
re-weighted fit of word_directions_space.py in the same raw channels. numpy only.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from localise_bottleneck import per_structure, pointing  # noqa: E402
from word_directions_space import fit  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from probe_ceiling import standardised_cells  # noqa: E402


def classifier(names, z, per_picture, l2, steps=400, lr=0.05, seed=0):
    """Rows {word: w [C]} of a softmax regression from cells to their picture's word (Adam, full batch)."""
    rng = np.random.default_rng(seed)
    words = sorted(set(names))
    index = {w: i for i, w in enumerate(words)}
    n, c, s = z.shape
    xs, ys = [], []
    for k in range(n):
        pick = rng.choice(s, size=min(per_picture, s), replace=False)
        xs.append(z[k][:, pick].T)
        ys.append(np.full(len(pick), index[names[k]]))
    x = np.concatenate(xs).astype(np.float32)
    y = np.concatenate(ys)
    # balance the words: each word's pictures weigh the same in total
    counts = np.bincount(y, minlength=len(words)).astype(np.float64)
    weight = (len(y) / (len(words) * counts))[y].astype(np.float32)
    onehot = np.zeros((len(y), len(words)), np.float32); onehot[np.arange(len(y)), y] = 1
    w = np.zeros((c, len(words)), np.float32); b = np.zeros(len(words), np.float32)
    m = [np.zeros_like(w), np.zeros_like(b)]; v = [np.zeros_like(w), np.zeros_like(b)]
    for t in range(1, steps + 1):
        logits = x @ w + b
        logits -= logits.max(1, keepdims=True)
        p = np.exp(logits); p /= p.sum(1, keepdims=True)
        g = (p - onehot) * weight[:, None] / weight.sum()
        grads = [x.T @ g + l2 * w, g.sum(0)]
        for i, (param, grad) in enumerate(zip((w, b), grads)):
            m[i] = 0.9 * m[i] + 0.1 * grad; v[i] = 0.999 * v[i] + 0.001 * grad * grad
            param -= lr * (m[i] / (1 - 0.9 ** t)) / (np.sqrt(v[i] / (1 - 0.999 ** t)) + 1e-8)
        if t % 100 == 0:
            loss = -np.sum(weight * np.log(p[np.arange(len(y)), y] + 1e-12)) / weight.sum()
            print(f"  step {t}: loss {loss:.3f}", file=sys.stderr, flush=True)
    return {word: w[:, index[word]].astype(np.float64) for word in words}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in ("BUNDLE", "TRAIN_RUN", "HELDOUT_RUN"):
        parser.add_argument(name)
    parser.add_argument("--cells", type=int, default=128, help="cells drawn per training picture")
    parser.add_argument("--l2", type=float, default=1e-4)
    args = parser.parse_args()
    per_picture, l2 = args.cells, args.l2
    (tn, _, z), (hn, hm, zh) = standardised_cells(args.BUNDLE, args.TRAIN_RUN, args.HELDOUT_RUN)

    def score(label, directions):
        maps = np.array([np.einsum("c,cs->s", directions[n], f) if n in directions else np.zeros(f.shape[1])
                         for n, f in zip(hn, zh)])
        hits = pointing(maps, hm)
        print(f"{label}: held-out {100 * hits.mean():5.1f} %  {per_structure(hn, hits)}", flush=True)

    # the label-free re-weighted fit in the raw channels (it standardises again: already done, so u = d)
    score("label-free re-weighted fit (raw channels)", fit(tn, z, None))
    score(f"cell classifier ({per_picture} cells a picture, l2 {l2:g})", classifier(tn, z, per_picture, l2))


if __name__ == "__main__":
    main()
