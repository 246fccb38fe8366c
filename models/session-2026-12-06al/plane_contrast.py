"""A word's pictures against the most alike pictures of views where the word is seldom said.

usage: python3 models/session-2026-12-06al/plane_contrast.py BUNDLE TRAIN_RUN HELDOUT_RUN [--neighbours K ...] [--rate R ...]

As session-2026-12-06ai/pseudo_mask_lda.py (perfect listener: the transcript's word stands in for
the ASR keyword; held-out masks only score; no fit reads a mask or a plane label). The neighbour
contrast (session-2026-12-06aj) compares each picture of word w with the most alike pictures named
otherwise; those are mostly the same view named with the view's other word (a transventricular
picture named "skull" for one named "brain's ventricles"), so the difference is noise. Here a
picture only serves as w's contrast when w is seldom said over pictures like it: its RATE_K most
alike training pictures (cosine of the mean cell) name w at under R times the rate they do around
w's own pictures. What is left nearest is a sibling view (the transcerebellar plane for the
brain's ventricles, the abdomen's plane for the kidneys), and the difference is the structure the
two views do not share. d_w = whitened mean of (picture's mean cell - its K nearest such
pictures' mean cell), then the peaks' whitened contrast (top 1 %), 3 rounds. numpy only.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "session-2026-12-06ai"))
from pseudo_mask_lda import peak_contrast, perfect_listener, training_directions  # noqa: E402


def picture_similarity(x):
    """[n, n]: the cosine of the pictures' mean cells (x [n, D, S]), how alike two pictures are."""
    means = x.mean(2)
    unit = means / (np.linalg.norm(means, axis=1, keepdims=True) + 1e-9)
    return unit @ unit.T


def word_rates(similarity, names, words, k):
    """{w: [n]}: the share of each picture's k most alike other pictures that are named w."""
    order = np.argsort(-similarity, axis=1)[:, 1:k + 1]
    return {w: (names[order] == w).mean(1) for w in words}


def plane_contrast(means, similarity, names, rate, word, k, ratio):
    """Mean over `word`'s pictures of (its mean cell - the mean of its k most alike pictures among
    those around which `word` is said at under `ratio` times its rate around its own pictures) [D]."""
    mine = np.flatnonzero(names == word)
    pool = np.flatnonzero((names != word) & (rate < ratio * rate[mine].mean()))
    nearest = pool[np.argsort(-similarity[np.ix_(mine, pool)], axis=1)[:, :k]]
    return (means[mine] - means[nearest].mean(1)).mean(0), len(pool)


def seldom_said_neighbours(similarity, names, rate, word, k, ratio):
    """The pictures (indices, each once) among the k most alike of any of `word`'s pictures, out of those
    around which `word` is said at under `ratio` times its rate around its own pictures."""
    mine = np.flatnonzero(names == word)
    pool = np.flatnonzero((names != word) & (rate < ratio * rate[mine].mean()))
    return np.unique(pool[np.argsort(-similarity[np.ix_(mine, pool)], axis=1)[:, :k]])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in ("BUNDLE", "TRAIN_RUN", "HELDOUT_RUN"):
        parser.add_argument(name)
    parser.add_argument("--neighbours", type=int, nargs="+", default=[5, 20])
    parser.add_argument("--rate", type=float, nargs="+", default=[0.1, 0.25, 0.5])
    parser.add_argument("--rate-neighbours", type=int, default=20)
    parser.add_argument("--subtract", type=float, nargs="*", default=[],
                        help="instead: from the training's directions, ROUNDS times d <- whitened (the peaks' contrast over "
                             "the word's pictures - SUBTRACT x the same over its seldom-said neighbours' pictures)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    fit = perfect_listener(args.BUNDLE, args.TRAIN_RUN, args.HELDOUT_RUN)
    names, x, whiten, rows, top, report = np.asarray(fit.names), fit.x, fit.whiten, fit.rows, fit.top, fit.report
    words = sorted(rows)
    means = x.mean(2)
    similarity = picture_similarity(x)
    rates = word_rates(similarity, names, words, args.rate_neighbours)
    print("rate around own pictures: " + "  ".join(f"{w} {rates[w][rows[w]].mean():.2f}" for w in words), flush=True)

    shared = training_directions(fit)
    report(shared, "the training's directions (10 rounds, then the peaks' whitened contrast, top 1 %)")
    for ratio in args.rate if args.subtract else []:
        for k in args.neighbours:
            negatives = {w: seldom_said_neighbours(similarity, names, rates[w], w, k, ratio) for w in words}
            print(f"rate under {ratio:g}, {k} neighbours: negatives per word " + "  ".join(f"{w} {len(negatives[w])}" for w in words), flush=True)
            for beta in args.subtract:
                current = dict(shared)
                for r in range(args.rounds):
                    current = {w: whiten @ (peak_contrast(x[rows[w]], current[w], top) - beta * peak_contrast(x[negatives[w]], current[w], top))
                               for w in words}
                    report(current, f"  minus {beta:g} x the seldom-said neighbours' peaks, round {r + 1}")
    for ratio in args.rate if not args.subtract else []:
        for k in args.neighbours:
            raw, pools = {}, {}
            for w in words:
                raw[w], pools[w] = plane_contrast(means, similarity, names, rates[w], w, k, ratio)
            current = {w: whiten @ d for w, d in raw.items()}
            report(current, f"rate under {ratio:g}, {k} neighbours, whitened")
            for r in range(3):
                current = {w: whiten @ peak_contrast(x[rows[w]], current[w], top) for w in words}
                report(current, f"  then the peaks' whitened contrast, round {r + 1}")


if __name__ == "__main__":
    main()
