"""A part's direction from the cells its more general words do not explain.

usage: python3 models/session-2026-12-06al/explain_away.py BUNDLE TRAIN_RUN HELDOUT_RUN [--exclude Q ...] [--min-rate R]

As session-2026-12-06ai/pseudo_mask_lda.py (perfect listener: the transcript's word stands in for
the ASR keyword; held-out masks only score; no fit reads a mask or a plane label). The kidneys'
shared direction finds the abdomen, which the word "abdomen" is also said over in another view;
the spine is said over many views. Here a word's parents are the words said over more training
pictures that are also said around its pictures (their rate among each of its pictures' 20 most
alike pictures above MIN_RATE on average). In each of the word's pictures the cells in the top Q
of any parent's map (the training's directions) are set aside, and the training's fit (10 rounds,
then the peaks' whitened contrast, top 1 %) runs over the other cells only: what the word's
pictures share once what their general words explain is taken out. Words without parents keep
the training's directions. numpy only.
"""
import argparse
import os
import sys

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
for folder in ("../tools", "../session-2026-12-06ai", "."):
    sys.path.insert(0, os.path.join(here, folder))
from pseudo_mask_lda import perfect_listener, top_cells_contrast, training_directions  # noqa: E402
from plane_contrast import picture_similarity, word_rates  # noqa: E402


def masked_fit(mine, keep, rounds, top, sharpness=2.0):
    """The training's fit and the peaks' contrast over the kept cells of each picture (keep [m, S])."""
    d = (np.einsum("nds,ns->nd", mine, keep) / keep.sum(1, keepdims=True)).mean(0)
    for _ in range(rounds):
        score = np.einsum("d,nds->ns", d, mine)
        spread = np.sqrt((((score - (score * keep).sum(1, keepdims=True) / keep.sum(1, keepdims=True)) ** 2) * keep).sum(1, keepdims=True) / keep.sum(1, keepdims=True))
        score = np.where(keep, score, -np.inf)
        weight = np.exp(sharpness * (score - score.max(1, keepdims=True)) / (spread + 1e-6))
        weight /= weight.sum(1, keepdims=True)
        d = np.einsum("nds,ns->d", mine, weight) / len(mine)
    return top_cells_contrast(mine, np.where(keep, np.einsum("d,nds->ns", d, mine), -np.inf), top)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in ("BUNDLE", "TRAIN_RUN", "HELDOUT_RUN"):
        parser.add_argument(name)
    parser.add_argument("--exclude", type=float, nargs="+", default=[0.05, 0.1, 0.2])
    parser.add_argument("--min-rate", type=float, nargs="+", default=[0.05, 0.1])
    args = parser.parse_args()
    fit = perfect_listener(args.BUNDLE, args.TRAIN_RUN, args.HELDOUT_RUN)
    names, x, whiten, rows, top, report = np.asarray(fit.names), fit.x, fit.whiten, fit.rows, fit.top, fit.report
    words = sorted(rows)
    rates = word_rates(picture_similarity(x), names, words, 20)
    shared = training_directions(fit)
    report(shared, "the training's directions (10 rounds, then the peaks' whitened contrast, top 1 %)")
    s = x.shape[2]
    for minimum in args.min_rate:
        parents = {w: [v for v in words if v != w and len(rows[v]) > len(rows[w]) and rates[v][rows[w]].mean() > minimum] for w in words}
        print(f"parents (rate above {minimum:g}): " + "  ".join(f"{w}<-{'+'.join(p)}" for w, p in parents.items() if p), flush=True)
        for share in args.exclude:
            k = max(1, int(round(share * s)))
            current = dict(shared)
            for w in words:
                if not parents[w]:
                    continue
                mine = x[rows[w]]
                keep = np.ones((len(mine), s), bool)
                for v in parents[w]:
                    score = np.einsum("d,nds->ns", shared[v], mine)
                    np.put_along_axis(keep, np.argsort(-score, axis=1)[:, :k], False, axis=1)
                current[w] = whiten @ masked_fit(mine, keep, 10, top)
            report(current, f"  parents' top {share:.0%} cells set aside (rate above {minimum:g})")


if __name__ == "__main__":
    main()
