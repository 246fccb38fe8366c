"""What a relevance threshold would do on held-out moments: for a bundle with a relevance head,
from its `eval localise` run (OUT/localise/NAME), the share of moments that name anatomy still
shown (recall), the share of other speech hidden, precision, and the pointing on the named
moments shown and hidden, when the lowest-scoring 5-50 % of moments are hidden.

usage: python3 models/session-2026-12-06al/relevance_curve.py RUN
"""
import glob
import json
import sys

import numpy as np


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    samples = []
    for path in sorted(glob.glob(sys.argv[1] + "/scan-*.json")):
        with open(path) as f:
            samples += json.load(f)
    if not samples or samples[0].get("relevance") is None:
        sys.exit(f"{sys.argv[1]}: no moments with a relevance score (run `eval localise` on a bundle with a relevance head)")
    score = np.array([s["relevance"] for s in samples])
    named = np.array([s["category"] == "names anatomy" for s in samples])
    hit = np.array([np.nan if s.get("pointing") is None else s["pointing"] for s in samples])
    print(f"{len(samples)} moments, {named.sum()} name anatomy; pointing over them {100 * np.nanmean(hit[named]):.1f} %")
    for share in (0.05, 0.1, 0.2, 0.3, 0.4, 0.5):
        threshold = np.quantile(score, share)
        shown = score >= threshold
        print(f"hide the lowest {100 * share:2.0f} % (threshold {threshold:.3f}): recall {100 * shown[named].mean():5.1f} %, "
              f"other speech hidden {100 * (1 - shown[~named].mean()):5.1f} %, precision {100 * named[shown].mean():5.1f} %, "
              f"pointing shown {100 * np.nanmean(hit[named & shown]):5.1f} % / hidden {100 * np.nanmean(hit[named & ~shown]):5.1f} %")


if __name__ == "__main__":
    main()
