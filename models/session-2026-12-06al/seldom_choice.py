"""Per word, without labels: the shared direction or the neighbour contrast, judged against views where the word is seldom said.

usage: python3 models/session-2026-12-06al/seldom_choice.py BUNDLE TRAIN_RUN HELDOUT_RUN [--neighbours K] [--margin M ...] [--splits N]

As session-2026-12-06aj/neighbour_choice.py (perfect listener; held-out masks only score; the
same two candidates, fitted on one half of the training scans and judged on the other), but a
candidate is judged by how well its picture maximum tells the word's pictures from the most alike
pictures of views where the word is seldom said (plane_contrast.seldom_said_neighbours: the
word's rate among a picture's 20 most alike pictures under RATE times its rate around its own),
not from the most alike pictures named otherwise, which are mostly the same view named with its
other word (so either candidate scores near chance there). The shared direction of the kidneys
finds the abdomen, which the abdomen's own view shows as well; the kidneys' contrast fires on
the kidneys, which that view lacks. Neither fit nor choice reads a mask. numpy only.
"""
import argparse
import os
import sys

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
for folder in ("../tools", "../session-2026-12-06ai", "../session-2026-12-06aj", "."):
    sys.path.insert(0, os.path.join(here, folder))
from localise_bottleneck import load_moments  # noqa: E402
from word_directions_space import frozen_branch  # noqa: E402
from pseudo_mask_lda import pointing_report, standardised_keyword_cells, within_picture_covariance  # noqa: E402
from neighbour_choice import auc, candidates  # noqa: E402
from plane_contrast import seldom_said_neighbours, word_rates  # noqa: E402


def seldom_specificity(u, x, names, word, k, ratio):
    """AUC of the picture maximum along u: the word's pictures against the k most alike pictures
    (of any of them) from views where the word is seldom said."""
    means = x.mean(2)
    unit = means / (np.linalg.norm(means, axis=1, keepdims=True) + 1e-9)
    similarity = unit @ unit.T
    rate = word_rates(similarity, names, [word], 20)[word]
    negatives = seldom_said_neighbours(similarity, names, rate, word, k, ratio)
    peak = np.einsum("d,nds->ns", u, x).max(1)
    return auc(peak[names == word], peak[negatives])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in ("BUNDLE", "TRAIN_RUN", "HELDOUT_RUN"):
        parser.add_argument(name)
    parser.add_argument("--neighbours", type=int, default=20, help="the contrast's neighbours and the judge's")
    parser.add_argument("--peak-rounds", type=int, default=3)
    parser.add_argument("--rate", type=float, default=0.25)
    parser.add_argument("--margin", type=float, nargs="+", default=[0.0, 0.02, 0.05])
    parser.add_argument("--splits", type=int, default=3)
    args = parser.parse_args()
    projection, recover = frozen_branch(args.BUNDLE)
    train, held = load_moments(args.TRAIN_RUN), load_moments(args.HELDOUT_RUN)
    tn, hn, hm = np.asarray(train["names"]), held["names"], held["masks"]
    x, (xh,), _ = standardised_keyword_cells(projection, recover, train["video"], held["video"])
    n, dims, s = x.shape
    whiten = np.linalg.inv(within_picture_covariance(x) + 0.01 * np.eye(dims))
    top, k = max(1, int(round(0.01 * s))), args.neighbours
    words = sorted(set(tn))
    report = pointing_report(hn, hm, xh)

    scans = sorted({scan for scan, _ in train["keys"]})
    position = np.array([scans.index(scan) for scan, _ in train["keys"]])
    gain = {w: [] for w in words}
    for split in range(args.splits):
        order = np.arange(len(scans)) if split == 0 else np.random.default_rng(split).permutation(len(scans))
        half = order[position] % 2
        for fold in (0, 1):
            fit, judge = half == fold, half != fold
            fitted = candidates(x[fit], tn[fit], whiten, k, top, args.peak_rounds)
            for w in words:
                if w not in fitted or not (tn[judge] == w).any():
                    continue
                shared, contrast = (seldom_specificity(u, x[judge], tn[judge], w, k, args.rate) for u in fitted[w])
                gain[w].append(contrast - shared)
                print(f"  split {2 * split + fold}: {w:18s} AUC shared {shared:.3f}  contrast {contrast:.3f}", flush=True)
    final = candidates(x, tn, whiten, k, top, args.peak_rounds)
    report({w: d[0] for w, d in final.items()}, "shared (the training's directions)")
    report({w: d[1] for w, d in final.items()}, f"neighbour contrast ({k} neighbours, {args.peak_rounds} peak rounds)")
    for margin in args.margin:
        for rule, wins in (("mean", lambda g: np.mean(g) > margin), ("every half", lambda g: min(g) > margin)):
            chosen = {w for w in words if len(gain[w]) == 2 * args.splits and wins(gain[w])}
            report({w: final[w][1 if w in chosen else 0] for w in words},
                   f"chosen per word ({rule} above {margin:g}: the contrast for {', '.join(sorted(chosen)) or 'none'})")


if __name__ == "__main__":
    main()
