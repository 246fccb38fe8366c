"""Label-free keyword directions from what differs between a word's pictures and the most alike
pictures named with other words.

usage: python3 models/session-2026-12-06aj/neighbour_contrast.py BUNDLE TRAIN_RUN HELDOUT_RUN [--neighbours K ...]

As session-2026-12-06ai/pseudo_mask_lda.py (perfect listener: the transcript's word stands in for
the ASR keyword; the frozen branch's cells through BUNDLE's keyword space, standardised; held-out
masks only score). The label-free fit finds what a word's pictures share most, which for the nose
is the face around it. Here each picture of word w is compared with the K training pictures most
alike it (cosine of the mean cell) that are named with another word: a pan onto the nose against
pans onto the lips and standard profiles named "lips" show the same face, and their mean cells
differ by the nose. d_w = mean over w's pictures of (its mean cell - its neighbours' mean cell),
whitened by the cells' within-picture covariance; then optionally sharpened by the peaks' whitened
contrast (pseudo_mask_lda.peak_contrast). numpy only.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "session-2026-12-06ai"))
from pseudo_mask_lda import label_free_fit, peak_contrast, perfect_listener  # noqa: E402


def neighbour_contrast(means, names, word, k):
    """Mean over `word`'s pictures of (the picture's mean cell - the mean of its k most alike
    pictures named otherwise) [D]; means [n, D]."""
    names = np.asarray(names)
    mine, others = np.flatnonzero(names == word), np.flatnonzero(names != word)
    unit = means / (np.linalg.norm(means, axis=1, keepdims=True) + 1e-9)
    similarity = unit[mine] @ unit[others].T                       # [m, n - m]
    nearest = others[np.argsort(-similarity, axis=1)[:, :k]]       # [m, k]
    return (means[mine] - means[nearest].mean(1)).mean(0)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in ("BUNDLE", "TRAIN_RUN", "HELDOUT_RUN"):
        parser.add_argument(name)
    parser.add_argument("--neighbours", type=int, nargs="+", default=[5, 20, 80])
    parser.add_argument("--ridge", type=float, default=0.01)
    parser.add_argument("--mix", type=float, nargs="*", default=[],
                        help="also: the training's directions (10 rounds, then the peaks' whitened contrast, top 1 %%) "
                             "plus MIX times the whitened neighbour contrast, both scaled to one map spread; "
                             "and the same with the contrast weighted by how far apart its picture means are")
    args = parser.parse_args()
    fit = perfect_listener(args.BUNDLE, args.TRAIN_RUN, args.HELDOUT_RUN, args.ridge)
    tn, x, whiten, rows, top, report = fit.names, fit.x, fit.whiten, fit.rows, fit.top, fit.report
    words = sorted(rows)
    means = x.mean(2)

    covariance = np.linalg.inv(whiten)

    def spread(u):
        """The map's deviation over a picture's cells along u (within-picture)."""
        return float(np.sqrt(u @ covariance @ u)) + 1e-12

    if args.mix:
        base = {w: whiten @ peak_contrast(x[rows[w]], label_free_fit(x[rows[w]], 10), top) for w in words}
        report(base, "the training's directions (10 rounds, then the peaks' whitened contrast, top 1 %)")
    for k in args.neighbours if not args.mix else []:
        raw = {w: neighbour_contrast(means, tn, w, k) for w in words}
        report(raw, f"neighbour contrast, {k} neighbours")
        current = {w: whiten @ d for w, d in raw.items()}
        report(current, f"neighbour contrast, {k} neighbours, whitened (ridge {args.ridge:g})")
        for r in range(3):
            current = {w: whiten @ peak_contrast(x[rows[w]], current[w], top) for w in words}
            report(current, f"  then the peaks' whitened contrast (top 1 %), round {r + 1}")

    for k in args.neighbours if args.mix else []:
        raw = {w: neighbour_contrast(means, tn, w, k) for w in words}
        contrast = {w: whiten @ d for w, d in raw.items()}
        apart = {w: float(np.sqrt(d @ whiten @ d)) for w, d in raw.items()}   # Mahalanobis size of the contrast
        typical = float(np.median(list(apart.values())))
        print(f"{k} neighbours: the contrast's size per word " + "  ".join(f"{w} {apart[w] / typical:.2f}" for w in words), flush=True)
        for mix in args.mix:
            report({w: base[w] / spread(base[w]) + mix * contrast[w] / spread(contrast[w]) for w in words},
                   f"  training's + {mix:g} x neighbour contrast ({k} neighbours)")
            report({w: base[w] / spread(base[w]) + mix * apart[w] / typical * contrast[w] / spread(contrast[w]) for w in words},
                   f"  training's + {mix:g} x neighbour contrast ({k} neighbours) x its size")


if __name__ == "__main__":
    main()
