"""Would several trained runs together point better than each alone?

usage: python3 models/tools/localise_ensemble.py RUN [RUN ...]

Each RUN is a work folder of `showtell eval localise --keep-embeddings` (OUT/localise/NAME) on
the same dataset, one per bundle. Per run the map is the bundle's <a, V>; the ensemble's map is
the sum of the runs' maps, which is what one bundle holding every run's audio and video heads
would draw (<a_1, V_1> + ... = <[a_1 ... a_K], [V_1; ...; V_K]>). Reported: pointing of each run
and of the ensemble, per structure and per scan, and each one's control (every moment's map made
with the audio of the moment half the dataset away, the same pairing for every run), with the
moments hit only with their own audio against only with the other audio.

Ground truth (names and masks) is used here only to measure; nothing goes back into training.
numpy only.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from localise_bottleneck import load_moments, per_structure, pointing  # noqa: E402
from localise_seed_summary import sign_test  # noqa: E402


def describe(label, keys, names, own, other):
    scans = sorted({s for s, _ in keys})
    per_scan = "  ".join(f"{s} {100 * np.mean([h for (t, _), h in zip(keys, own) if t == s]):.1f}%"
                         for s in scans)
    hit_own, hit_other = own > 0.5, other > 0.5
    a, b = int((hit_own & ~hit_other).sum()), int((~hit_own & hit_other).sum())
    print(f"{label:24s} n={len(own)} pointing {100 * own.mean():5.1f}% | control {100 * other.mean():5.1f}% | "
          f"own-only {a} other-only {b} p={sign_test(a, b):.3f}")
    print(f"{'':24s} {per_structure(names, own)}")
    print(f"{'':24s} {per_scan}")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    runs = [load_moments(path) for path in sys.argv[1:]]
    keys, names, masks = runs[0]["keys"], runs[0]["names"], runs[0]["masks"]
    for path, run in zip(sys.argv[1:], runs):
        if run["keys"] != keys:
            sys.exit(f"{path}: its moments differ from {sys.argv[1]}'s (evaluate every bundle on the same dataset)")
    n = len(keys)
    partner = (np.arange(n) + n // 2) % n
    total, total_other = 0, 0
    for path, run in zip(sys.argv[1:], runs):
        recorded, a, v = run["recorded"], run["audio"], run["video"]
        own_maps = np.einsum("nd,ndc->nc", a, v)
        other_maps = np.einsum("nd,ndc->nc", a[partner], v)
        own = pointing(own_maps, masks)
        assert np.allclose(own, recorded), f"{path}: the kept embeddings do not give the recorded pointing"
        describe(os.path.basename(os.path.normpath(path)), keys, names, own, pointing(other_maps, masks))
        total, total_other = total + own_maps, total_other + other_maps
    if len(runs) > 1:
        describe(f"ensemble of {len(runs)}", keys, names, pointing(total, masks), pointing(total_other, masks))


if __name__ == "__main__":
    main()
