"""Label-free keyword directions through a density ratio: find each word's cells first, then fit
one direction to them.

usage: python3 models/session-2026-12-06ai/density_ratio_directions.py BUNDLE TRAIN_RUN HELDOUT_RUN [--top SHARE] [--hidden H]

As cell_word_classifier.py (perfect listener: the transcript's word stands in for the ASR
keyword; no mask enters any fit). 1. A small MLP (C -> H -> words, ReLU) learns from every cell of
a training picture the word said over it; its log-posterior minus the word's log-prior is a
density ratio: how much more often a cell like this one is seen under the word than under any.
2. In each training picture the SHARE of cells with the highest ratio for its word stand in for
the mask. 3. One direction per word: the whitened (LDA) mean difference of those cells against the
picture's other cells, which with the true masks points at 92 % on dev2 (probe_ceiling.py).
Printed: the ratio map itself on the held-out pictures (not one direction, a diagnostic), and the
directions. numpy only.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from localise_bottleneck import per_structure, pointing  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from probe_ceiling import standardised_cells  # noqa: E402


def adam(params, grads, state, t, lr):
    for i, (p, g) in enumerate(zip(params, grads)):
        m, v = state[i]
        m *= 0.9; m += 0.1 * g; v *= 0.999; v += 0.001 * g * g
        p -= lr * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)


def mlp_fit(x, y, words, hidden, steps=600, lr=3e-3, batch=65536, seed=0):
    rng = np.random.default_rng(seed)
    c = x.shape[1]
    w1 = (rng.standard_normal((c, hidden)) * np.sqrt(2 / c)).astype(np.float32); b1 = np.zeros(hidden, np.float32)
    w2 = (rng.standard_normal((hidden, words)) * np.sqrt(1 / hidden)).astype(np.float32); b2 = np.zeros(words, np.float32)
    params = [w1, b1, w2, b2]
    state = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
    counts = np.bincount(y, minlength=words).astype(np.float64)
    weight = (len(y) / (words * counts))[y].astype(np.float32)
    for t in range(1, steps + 1):
        i = rng.choice(len(y), size=min(batch, len(y)), replace=False)
        xb, yb, wb = x[i], y[i], weight[i]
        h = np.maximum(xb @ w1 + b1, 0)
        z = h @ w2 + b2
        z -= z.max(1, keepdims=True)
        p = np.exp(z); p /= p.sum(1, keepdims=True)
        g = p.copy(); g[np.arange(len(yb)), yb] -= 1; g *= (wb / wb.sum())[:, None]
        gw2 = h.T @ g + 1e-4 * w2; gb2 = g.sum(0)
        gh = (g @ w2.T) * (h > 0)
        gw1 = xb.T @ gh + 1e-4 * w1; gb1 = gh.sum(0)
        adam(params, [gw1, gb1, gw2, gb2], state, t, lr)
        if t % 100 == 0:
            loss = -np.sum(wb * np.log(p[np.arange(len(yb)), yb] + 1e-12)) / wb.sum()
            print(f"  step {t}: loss {loss:.3f}", file=sys.stderr, flush=True)

    def log_ratio(cells):                                   # cells [S, C] -> [S, words]
        h = np.maximum(cells @ w1 + b1, 0)
        z = h @ w2 + b2
        z -= z.max(1, keepdims=True)
        return z - np.log(np.exp(z).sum(1, keepdims=True)) - np.log(1 / words)
    return log_ratio


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in ("BUNDLE", "TRAIN_RUN", "HELDOUT_RUN"):
        parser.add_argument(name)
    parser.add_argument("--top", type=float, default=0.05, help="share of a picture's cells taken as its word's (also 0.02, 0.1, 0.2)")
    parser.add_argument("--hidden", type=int, default=256, help="the MLP's hidden width")
    args = parser.parse_args()
    top, hidden = args.top, args.hidden
    (tn, _, z), (hn, hm, zh) = standardised_cells(args.BUNDLE, args.TRAIN_RUN, args.HELDOUT_RUN)
    words = sorted(set(tn)); index = {w: i for i, w in enumerate(words)}
    n, c, s = z.shape
    x = z.transpose(0, 2, 1).reshape(-1, c)
    y = np.repeat([index[w] for w in tn], s)
    log_ratio = mlp_fit(x, y, len(words), hidden)

    maps = np.array([log_ratio(f.T)[:, index[w]] if w in index else np.zeros(f.shape[1]) for w, f in zip(hn, zh)])
    hits = pointing(maps, hm)
    print(f"density-ratio map (MLP {hidden}, not one direction): held-out {100 * hits.mean():5.1f} %  {per_structure(hn, hits)}", flush=True)

    zc = x.T
    inverse = np.linalg.inv(np.cov(zc) + 1e-3 * np.eye(c))
    for share in sorted({top, 0.02, 0.05, 0.1, 0.2}):
        k = max(1, int(round(share * s)))
        directions = {}
        for word in words:
            diffs = []
            for j in [j for j, w in enumerate(tn) if w == word]:
                r = log_ratio(z[j].T)[:, index[word]]
                pseudo = np.zeros(s, bool); pseudo[np.argsort(-r)[:k]] = True
                diffs.append(z[j][:, pseudo].mean(1) - z[j][:, ~pseudo].mean(1))
            directions[word] = inverse @ np.mean(diffs, 0)
        maps = np.array([np.einsum("c,cs->s", directions[w], f) if w in directions else np.zeros(f.shape[1]) for w, f in zip(hn, zh)])
        hits = pointing(maps, hm)
        print(f"whitened direction from the top {share:.2f} of cells by ratio: held-out {100 * hits.mean():5.1f} %  {per_structure(hn, hits)}", flush=True)


if __name__ == "__main__":
    main()
