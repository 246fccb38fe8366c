"""How long is a keyword direction for the map it draws? The training's fit against the same fit
followed by the peaks' whitened contrast (`--keyword-contrast 0.02`).

usage: python3 models/session-2026-12-06ai/direction_norms.py BUNDLE TRAIN_RUN

TRAIN_RUN: an `eval localise --keep-embeddings` folder made with BUNDLE on the training scans (the
transcript's words name the pictures: a perfect listener). Per word: |u| over the mean spread
(std over a picture's cells) of <u, F> on its pictures, for both fits: the distillation term
compares vectors, the map only their spread over cells. numpy only.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from localise_bottleneck import load  # noqa: E402
from word_directions_space import frozen_branch  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pseudo_mask_lda import standardised_keyword_cells, label_free_fit, peak_contrast, within_picture_covariance  # noqa: E402


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    projection, recover = frozen_branch(sys.argv[1])
    tn, _, _, tv, _ = load(sys.argv[2])
    features = recover(tv)
    x, _, std = standardised_keyword_cells(projection, recover, tv)
    covariance = within_picture_covariance(x)
    values = np.linalg.eigvalsh(covariance)
    print("within-picture covariance eigenvalues: min %.2e median %.2e max %.2e" % (values.min(), np.median(values), values.max()))
    whiten = np.linalg.inv(covariance + 0.01 * np.eye(len(covariance)))
    for word in sorted(set(tn)):
        rows = [k for k, name in enumerate(tn) if name == word]
        d = label_free_fit(x[rows], rounds=5)
        contrasted = whiten @ peak_contrast(x[rows], d, k=16)

        def ratio(v):
            u = projection.T @ (v / std)
            return np.linalg.norm(u) / np.einsum("c,ncs->ns", u, features[rows]).std(1).mean()
        print(f"{word:18s} norm / map spread: fit {ratio(d):8.3f}  contrast {ratio(contrasted):8.3f}  x{ratio(contrasted) / ratio(d):.1f}")


if __name__ == "__main__":
    main()
