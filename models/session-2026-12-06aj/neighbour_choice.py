"""Per word, without labels: the training's shared direction or the contrast with alike pictures?

usage: python3 models/session-2026-12-06aj/neighbour_choice.py BUNDLE TRAIN_RUN HELDOUT_RUN [--neighbours K] [--margin M ...] [--splits N]

As neighbour_contrast.py (perfect listener; held-out masks only score). The shared direction
(the training's: 10 rounds of the label-free fit, then the peaks' whitened contrast) finds what a
word's pictures share, right for the face and the skull, wrong for the kidneys (it finds the
spine they are always seen with); the neighbour contrast finds what tells a word's pictures from
the most alike pictures named otherwise, right for the kidneys, noise for the face. The choice is
made the way a word's direction is used: the training scans are split in two; each candidate is
fitted on one half and judged on the other by how well its picture maximum tells the word's
pictures from their alike neighbours named otherwise (AUC); a word takes the contrast when its
AUC beats the shared direction's by MARGIN, averaged over the halves or in each; with --splits N
the scans are halved N ways (alternating, then seeded shuffles). With --judge seldom-said the
negatives are instead the most alike pictures of views where the word is seldom said
(session-2026-12-06al/plane_contrast.seldom_said_neighbours, RATE), since the most alike pictures
named otherwise are mostly the same view named with its other word. Neither fit nor choice reads
a mask. numpy only.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "session-2026-12-06ai"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from localise_bottleneck import load_moments  # noqa: E402
from word_directions_space import frozen_branch  # noqa: E402
from pseudo_mask_lda import label_free_fit, peak_contrast, pointing_report, standardised_keyword_cells, within_picture_covariance  # noqa: E402
from neighbour_contrast import neighbour_contrast  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "session-2026-12-06al"))
from plane_contrast import picture_similarity, seldom_said_neighbours, word_rates  # noqa: E402


def candidates(x, names, whiten, k, top, peak_rounds):
    """{word: (shared direction, neighbour-contrast direction)} fitted on pictures x [n, D, S]."""
    names = np.asarray(names)
    means = x.mean(2)
    out = {}
    for w in sorted(set(names)):
        mine = x[names == w]
        shared = whiten @ peak_contrast(mine, label_free_fit(mine, 10), top)
        contrast = whiten @ neighbour_contrast(means, names, w, k)
        for _ in range(peak_rounds):
            contrast = whiten @ peak_contrast(mine, contrast, top)
        out[w] = (shared, contrast)
    return out


def auc(positive, negative):
    """P(a positive scores above a negative), ties half."""
    both = np.concatenate([positive, negative])
    ranks = np.argsort(np.argsort(both)) + 1.0
    return (ranks[:len(positive)].sum() - len(positive) * (len(positive) + 1) / 2) / (len(positive) * len(negative))


def specificity(u, x, names, word, k):
    """AUC of the picture maximum along u: the word's pictures against their k most alike pictures named otherwise."""
    names = np.asarray(names)
    mine, others = np.flatnonzero(names == word), np.flatnonzero(names != word)
    if len(mine) == 0:
        return float("nan")
    means = x.mean(2)
    unit = means / (np.linalg.norm(means, axis=1, keepdims=True) + 1e-9)
    nearest = np.unique(others[np.argsort(-(unit[mine] @ unit[others].T), axis=1)[:, :k]])
    peak = np.einsum("d,nds->ns", u, x).max(1)
    return auc(peak[mine], peak[nearest])


def seldom_said_negatives(x, names, words, k, ratio):
    """{word: picture indices}: the k most alike pictures (of any of the word's pictures) from views
    where the word is seldom said, among pictures x [n, D, S]; one similarity for every word."""
    similarity = picture_similarity(x)
    rates = word_rates(similarity, names, words, 20)
    return {w: seldom_said_neighbours(similarity, names, rates[w], w, k, ratio) for w in words}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in ("BUNDLE", "TRAIN_RUN", "HELDOUT_RUN"):
        parser.add_argument(name)
    parser.add_argument("--neighbours", type=int, default=20)
    parser.add_argument("--peak-rounds", type=int, default=1)
    parser.add_argument("--margin", type=float, nargs="+", default=[0.0, 0.05, 0.1])
    parser.add_argument("--splits", type=int, default=1,
                        help="halvings of the training scans: the first alternates scans, the others are seeded shuffles")
    parser.add_argument("--judge", choices=["named-otherwise", "seldom-said"], default="named-otherwise",
                        help="the negatives a candidate is judged against")
    parser.add_argument("--rate", type=float, default=0.25, help="with --judge seldom-said: under RATE times the word's own rate")
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
            if args.judge == "seldom-said":
                judged = x[judge]
                negatives = seldom_said_negatives(judged, tn[judge], [w for w in words if (tn[judge] == w).any()], k, args.rate)
                peaks = {w: [np.einsum("d,nds->ns", u, judged).max(1) for u in fitted[w]] for w in negatives if w in fitted}
                del judged
            for w in words:
                if w not in fitted or not (tn[judge] == w).any():
                    continue
                if args.judge == "seldom-said":
                    shared, contrast = (auc(peak[tn[judge] == w], peak[negatives[w]]) for peak in peaks[w])
                else:
                    shared, contrast = (specificity(u, x[judge], tn[judge], w, k) for u in fitted[w])
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
