"""The label-free keyword directions with a perfect listener, on any held-out run (test included).

usage: python3 models/session-2026-12-06al/perfect_listener.py BUNDLE TRAIN_RUN HELDOUT_RUN

As session-2026-12-06ai/pseudo_mask_lda.py: the transcript's word stands in for the ASR keyword,
held-out masks only score. Prints the label-free fit (5 and 10 rounds) with and without the
peaks' whitened contrast (top 1 %, ridge 0.01): the training's directions. What the trained
bundle would point at if its audio branch always heard the whole named word. numpy only.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "session-2026-12-06ai"))
from pseudo_mask_lda import label_free_fit, peak_contrast, perfect_listener  # noqa: E402


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    fit = perfect_listener(*sys.argv[1:4])
    x, whiten, rows, top = fit.x, fit.whiten, fit.rows, fit.top
    for rounds in (5, 10):
        shared = {w: label_free_fit(x[rows[w]], rounds) for w in rows}
        fit.report(shared, f"label-free fit, {rounds} rounds")
        fit.report({w: whiten @ peak_contrast(x[rows[w]], d, top) for w, d in shared.items()},
                   f"label-free fit, {rounds} rounds, then the peaks' whitened contrast")


if __name__ == "__main__":
    main()
