"""A word's direction minus its more general partner's: does "ventricles" minus "skull" find the ventricles?

usage: python3 models/session-2026-12-06ak/partner_residual.py BUNDLE TRAIN_RUN HELDOUT_RUN [--shares S ...]

As session-2026-12-06ai/pseudo_mask_lda.py (perfect listener: the transcript's word stands in for
the ASR keyword; held-out masks only score). The label-free fit finds what a word's pictures share,
and for a part of a larger structure that is the larger structure: the brain's ventricles and the
cerebellum land on the skull, the kidneys on the spine. Those words' partners are named over more
pictures (the skull over both brain planes, the spine over most planes), so the part's pictures
share something the partner's do not: the part itself. Here each word's partner is the word with
more training pictures whose fitted direction is most alike (cosine of the standardised directions),
and the word keeps its direction minus SHARE times its projection on the partner's, before the
training's whitened contrast of the peaks (ridge 0.01, top 1 %); only words whose partner's cosine
is above MIN take the residual. No fit reads a mask. numpy only.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "session-2026-12-06ai"))
from pseudo_mask_lda import label_free_fit, peak_contrast, perfect_listener  # noqa: E402


def partners(fits, counts):
    """{word: (partner, cosine)}: the most alike direction among words named over more pictures."""
    out = {}
    for w, d in fits.items():
        best = None
        for v, e in fits.items():
            if counts[v] <= counts[w]:
                continue
            cosine = float(d @ e / (np.linalg.norm(d) * np.linalg.norm(e) + 1e-12))
            if best is None or cosine > best[1]:
                best = (v, cosine)
        if best:
            out[w] = best
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in ("BUNDLE", "TRAIN_RUN", "HELDOUT_RUN"):
        parser.add_argument(name)
    parser.add_argument("--shares", type=float, nargs="+", default=[0.5, 1.0])
    parser.add_argument("--mix", type=float, nargs="*", default=[0.5, 1.0, 2.0])
    parser.add_argument("--min-cosine", type=float, nargs="+", default=[0.0, 0.5, 0.8])
    args = parser.parse_args()
    fit = perfect_listener(args.BUNDLE, args.TRAIN_RUN, args.HELDOUT_RUN)
    x, whiten, rows, top, report = fit.x, fit.whiten, fit.rows, fit.top, fit.report
    words = sorted(rows)

    fits = {w: label_free_fit(x[rows[w]], 10) for w in words}
    counts = {w: len(rows[w]) for w in words}
    pairs = partners(fits, counts)
    print("partners: " + "  ".join(f"{w}->{v} {c:.2f}" for w, (v, c) in sorted(pairs.items())), flush=True)

    def sharpened(d, w):
        return whiten @ peak_contrast(x[rows[w]], d, top)

    def taking(minimum):
        return sorted(w for w in words if w in pairs and pairs[w][1] > minimum)

    base = {w: sharpened(fits[w], w) for w in words}
    report(base, "the training's directions (10 rounds, then the peaks' whitened contrast, top 1 %)")
    for share in args.shares:
        for minimum in args.min_cosine:
            residual = dict(fits)
            for w in taking(minimum):
                d, e = fits[w], fits[pairs[w][0]]
                residual[w] = d - share * (d @ e) / (e @ e) * e
            report({w: sharpened(residual[w], w) for w in words},
                   f"minus {share:g} x the partner's (cosine above {minimum:g}: {', '.join(taking(minimum))}), then the peaks' contrast")
            report(residual, f"minus {share:g} x the partner's (cosine above {minimum:g}), no contrast")

    means = x.mean(2)
    covariance = np.linalg.inv(whiten)

    def unit(u):
        return u / (np.sqrt(u @ covariance @ u) + 1e-12)   # one within-picture map spread
    for minimum in args.min_cosine:
        chosen = taking(minimum)
        current = dict(base)
        for w in chosen:
            current[w] = whiten @ (means[rows[w]].mean(0) - means[rows[pairs[w][0]]].mean(0))
        report(current, f"partner's pictures contrast (cosine above {minimum:g}: {', '.join(chosen)}), whitened")
        for r in range(3):
            current = {w: whiten @ peak_contrast(x[rows[w]], current[w], top) if w in chosen else current[w] for w in words}
            report(current, f"  then the peaks' whitened contrast, round {r + 1}")
        for mix in args.mix:
            report({w: unit(base[w]) + mix * unit(current[w]) if w in chosen else base[w] for w in words},
                   f"  the training's + {mix:g} x the partner's pictures contrast (3 peak rounds), both at one map spread")

if __name__ == "__main__":
    main()
