"""How much of the named structure can be read from a bundle's audio embedding, on held-out voices?

usage: python3 models/session-2026-12-06ah/audio_probe.py NAME=RUN [NAME=RUN ...]

RUN is OUT/localise/NAME of `showtell eval localise --keep-embeddings` on the dev scans (heldout-*
and valid-*). A linear probe (tools/localise_bottleneck.py's softmax regression) from the audio
embedding to the named structure is fitted on the moments of one half (heldout-*) and scored on the
other (valid-*), then the other way round; the accuracy over both is printed. The probe reads the
transcript's names: a measurement of the listener, nothing goes back into training. numpy only.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from localise_bottleneck import linear_probe, load_moments  # noqa: E402


def main():
    if len(sys.argv) < 2 or any("=" not in a for a in sys.argv[1:]):
        sys.exit(__doc__)
    for name, run in (a.split("=", 1) for a in sys.argv[1:]):
        moments = load_moments(run)
        classes = sorted(set(moments["names"]))
        y = np.array([classes.index(n) for n in moments["names"]])
        first = np.array([scan.startswith("heldout") for scan, _ in moments["keys"]])
        if first.all() or not first.any():
            sys.exit(f"{run}: needs moments of both heldout-* and valid-* scans (the dev set)")
        correct = 0
        for fit in (first, ~first):
            _, predicted = linear_probe(moments["audio"][fit], y[fit], moments["audio"][~fit], len(classes))
            correct += int((predicted == y[~fit]).sum())
        print(f"{name}: audio embedding -> named structure, linear probe across dev's halves: "
              f"{100 * correct / len(y):.1f} % of {len(y)} moments")


if __name__ == "__main__":
    main()
