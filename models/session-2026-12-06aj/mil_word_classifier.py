"""Label-free keyword directions from multiple-instance learning: a picture says its word when some
cell of it does.

usage: python3 models/session-2026-12-06aj/mil_word_classifier.py BUNDLE TRAIN_RUN HELDOUT_RUN [--tau T] [--l2 L]

As session-2026-12-06ai/cell_word_classifier.py (perfect listener: the transcript's word stands in
for the ASR keyword; the frozen branch's standardised cells; held-out masks only score), but the
word is the picture's, not every cell's: word w scores a picture by a soft maximum over its cells,
T log sum_s exp(<u_w, x_s> / T) + b_w, and one softmax over the words is fitted to the picture's word.
A cell must carry the word only where no other cell of the picture already does, so what every
picture of a plane shows (its background, the face around the nose) explains no word that shares the
plane, and the cell that differs between those words (the nose in a pan onto the nose, the lips in
a pan onto the lips) must. The held-out map is <u_w, x_s>. numpy only.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "session-2026-12-06ai"))
from localise_bottleneck import per_structure, pointing  # noqa: E402
from probe_ceiling import standardised_cells  # noqa: E402


def soft_max_pool(scores, tau):
    """scores [n, W, S] -> (T log sum_s exp(scores / T) [n, W], its weights over s [n, W, S])."""
    top = scores.max(2, keepdims=True)
    e = np.exp((scores - top) / tau)
    total = e.sum(2, keepdims=True)
    return (top + tau * np.log(total))[..., 0], e / total


def mil_classifier(names, z, tau, l2, steps=300, lr=0.05, report=50):
    """Rows {word: u [C]} of the multiple-instance softmax regression (Adam, full batch, words balanced)."""
    words = sorted(set(names))
    index = {w: i for i, w in enumerate(words)}
    y = np.array([index[n] for n in names])
    n, c, _ = z.shape
    counts = np.bincount(y, minlength=len(words)).astype(np.float64)
    weight = (n / (len(words) * counts))[y].astype(np.float32)
    onehot = np.zeros((n, len(words)), np.float32); onehot[np.arange(n), y] = 1
    u = np.zeros((len(words), c), np.float32); b = np.zeros(len(words), np.float32)
    m = [np.zeros_like(u), np.zeros_like(b)]; v = [np.zeros_like(u), np.zeros_like(b)]
    for t in range(1, steps + 1):
        pooled, attend = soft_max_pool(np.einsum("wc,ncs->nws", u, z, optimize=True), tau)
        logits = pooled + b
        logits -= logits.max(1, keepdims=True)
        p = np.exp(logits); p /= p.sum(1, keepdims=True)
        g = (p - onehot) * weight[:, None] / weight.sum()                      # dLoss/dlogit [n, W]
        grads = [np.einsum("nws,ncs->wc", g[:, :, None] * attend, z, optimize=True) + l2 * u, g.sum(0)]
        for i, (param, grad) in enumerate(zip((u, b), grads)):
            m[i] = 0.9 * m[i] + 0.1 * grad; v[i] = 0.999 * v[i] + 0.001 * grad * grad
            param -= lr * (m[i] / (1 - 0.9 ** t)) / (np.sqrt(v[i] / (1 - 0.999 ** t)) + 1e-8)
        if t % report == 0:
            loss = -np.sum(weight * np.log(p[np.arange(n), y] + 1e-12)) / weight.sum()
            print(f"  step {t}: loss {loss:.3f}, picture accuracy {100 * np.mean(p.argmax(1) == y):.1f} %",
                  file=sys.stderr, flush=True)
    return {word: u[index[word]].astype(np.float64) for word in words}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in ("BUNDLE", "TRAIN_RUN", "HELDOUT_RUN"):
        parser.add_argument(name)
    parser.add_argument("--tau", type=float, nargs="+", default=[1.0], help="soft-maximum temperatures to try")
    parser.add_argument("--l2", type=float, default=1e-3)
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    (tn, _, z), (hn, hm, zh) = standardised_cells(args.BUNDLE, args.TRAIN_RUN, args.HELDOUT_RUN)
    print(f"{len(tn)} training pictures, {len(set(tn))} words, {z.shape[1]} channels x {z.shape[2]} cells", flush=True)
    for tau in args.tau:
        directions = mil_classifier(tn, z, tau, args.l2, steps=args.steps)
        maps = np.array([directions[n] @ f if n in directions else np.zeros(f.shape[1]) for n, f in zip(hn, zh)])
        hits = pointing(maps, hm)
        print(f"multiple-instance classifier (T {tau:g}, l2 {args.l2:g}, {args.steps} steps): "
              f"held-out {100 * hits.mean():5.1f} %  {per_structure(hn, hits)}", flush=True)


if __name__ == "__main__":
    main()
