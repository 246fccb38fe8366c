"""Would the map point better if the audio vector leaned back towards the picture's prior?

usage: python3 models/session-2026-12-06ah/shrink_to_mean.py RUN [RUN ...]

RUN is OUT/localise/NAME of `showtell eval localise --keep-embeddings`. Each moment's audio vector
a is replaced by m + s (a - m), m the mean audio vector of the run's named moments (label-free),
for fixed s, and for a per-moment s = min(1, (|a - m| / median)^p) (lean on the prior when the
window sounds like the average window); prints the pointing of each. Ground truth (masks) only
measures. numpy only.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from localise_bottleneck import load_moments, pointing  # noqa: E402


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for run in sys.argv[1:]:
        moments = load_moments(run)
        a, video, masks = moments["audio"], moments["video"], moments["masks"]
        mean = a.mean(0)
        distance = np.linalg.norm(a - mean, axis=1)

        def score(vectors):
            return 100 * pointing(np.einsum("nd,ndc->nc", vectors, video), masks).mean()

        rows = [f"s={s}: {score(mean + s * (a - mean)):.1f} %" for s in (0, 0.25, 0.5, 0.75, 1.0, 1.5)]
        for p in (1, 2):
            s = np.minimum(1, (distance / np.median(distance)) ** p)[:, None]
            rows.append(f"s=min(1,(|a-m|/median)^{p}): {score(mean + s * (a - mean)):.1f} %")
        print(f"{run} ({len(a)} moments): " + " | ".join(rows))


if __name__ == "__main__":
    main()
