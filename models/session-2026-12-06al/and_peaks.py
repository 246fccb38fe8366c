"""A word's cells as the ones both its shared direction and a contrast direction pick: a soft AND.

usage: python3 models/session-2026-12-06al/and_peaks.py BUNDLE TRAIN_RUN HELDOUT_RUN [--neighbours K ...]

As session-2026-12-06ai/pseudo_mask_lda.py (perfect listener: the transcript's word stands in for
the ASR keyword; held-out masks only score; no fit reads a mask). The shared direction (the
training's: 10 rounds, then the peaks' whitened contrast) finds what a word's pictures share most,
which for a part is its plane (the kidneys' lands on the abdomen off the kidneys); a contrast
direction (the neighbour contrast of session-2026-12-06aj, the partner-pictures contrast of
session-2026-12-06ak) finds the part but, for a whole structure, noise. Summing the two maps keeps
the shared map's peaks. Here, per picture of word w, both maps are standardised over the picture's
cells and the pseudo-mask is the top 1 % of cells by min(z_shared, z_contrast): cells that are on the
word's plane-structure AND specific to it. The direction is the whitened contrast of those cells
(pseudo_mask_lda.peak_contrast's rule), repeated ROUNDS times with the current direction in place
of the shared one. numpy only.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "session-2026-12-06ai"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "session-2026-12-06aj"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "session-2026-12-06ak"))
from pseudo_mask_lda import label_free_fit, peak_contrast, perfect_listener, top_cells_contrast, training_directions  # noqa: E402
from neighbour_contrast import neighbour_contrast  # noqa: E402
from partner_residual import partners  # noqa: E402


def standardised_map(d, mine):
    """[m, S]: the map of direction d over each picture, standardised over the picture's cells."""
    score = np.einsum("d,nds->ns", d, mine)
    return (score - score.mean(1, keepdims=True)) / (score.std(1, keepdims=True) + 1e-6)


def and_contrast(mine, first, second, k, combine):
    """Mean over the pictures of (mean of the k cells highest on combine(z_first, z_second) -
    mean of the others) [D]."""
    return top_cells_contrast(mine, combine(standardised_map(first, mine), standardised_map(second, mine)), k)


COMBINE = {
    "min": np.minimum,
    "sum": np.add,
    "product of positive parts": lambda a, b: np.maximum(a, 0) * np.maximum(b, 0),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in ("BUNDLE", "TRAIN_RUN", "HELDOUT_RUN"):
        parser.add_argument(name)
    parser.add_argument("--neighbours", type=int, nargs="+", default=[5, 20])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    fit = perfect_listener(args.BUNDLE, args.TRAIN_RUN, args.HELDOUT_RUN)
    tn, x, whiten, rows, top, report = fit.names, fit.x, fit.whiten, fit.rows, fit.top, fit.report
    words = sorted(rows)
    means = x.mean(2)

    fits = {w: label_free_fit(x[rows[w]], 10) for w in words}
    shared = training_directions(fit)
    report(shared, "the training's directions (10 rounds, then the peaks' whitened contrast, top 1 %)")

    contrasts = {}
    for k in args.neighbours:
        current = {w: whiten @ neighbour_contrast(means, tn, w, k) for w in words}
        for _ in range(3):
            current = {w: whiten @ peak_contrast(x[rows[w]], current[w], top) for w in words}
        contrasts[f"neighbour contrast ({k} neighbours, 3 peak rounds)"] = current
    pairs = partners(fits, {w: len(rows[w]) for w in words})
    current = {w: whiten @ (means[rows[w]].mean(0) - means[rows[pairs[w][0]]].mean(0)) if w in pairs else shared[w] for w in words}
    for _ in range(3):
        current = {w: whiten @ peak_contrast(x[rows[w]], current[w], top) for w in words}
    contrasts["partner-pictures contrast (3 peak rounds)"] = current

    for label, contrast in contrasts.items():
        report(contrast, label)
        for how, combine in COMBINE.items():
            current = dict(shared)
            for r in range(args.rounds):
                current = {w: whiten @ and_contrast(x[rows[w]], current[w], contrast[w], top, combine) for w in words}
                report(current, f"  {how}(z shared, z contrast) peaks, whitened, round {r + 1}")


if __name__ == "__main__":
    main()
