"""Is a bundle's miss the audio's direction or the video cells? Per named structure, from one
`showtell eval localise --keep-embeddings` run:

- own: the bundle's map <a, V> (its pointing);
- class-mean audio: every moment of the structure scored with the mean of their audio vectors
  (what the audio branch says about the word on average);
- cell direction (leave one scan out): `localise_bottleneck.structure_direction` (the mean cell
  inside the structure's masks minus the mean outside) from the other scans' moments of that
  structure, used as the audio vector.

The third is a labelled probe of the frozen video cells (ground truth measures here; nothing
goes back into training): where it is far above "own", the cells tell the structure apart and
the audio vector points elsewhere (the skull for "ventricles"); where it is low too, the cells
themselves do not separate it.

usage: python3 models/tools/audio_direction_gap.py OUT/localise/NAME
numpy only.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from localise_bottleneck import load_moments, pointing, structure_direction  # noqa: E402


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    m = load_moments(sys.argv[1])
    a, video, masks, names = m["audio"], m["video"], m["masks"], np.array(m["names"])
    scans = np.array([scan for scan, _ in m["keys"]])
    print(f"{'structure':18s} {'moments':>7s} {'own':>7s} {'class-mean audio':>17s} {'cell direction':>15s}")
    totals = np.zeros(3)
    for name in sorted(set(names)):
        idx = np.where(names == name)[0]
        own = pointing(np.einsum("nd,ndc->nc", a[idx], video[idx]), masks[idx]).mean()
        mean = pointing(np.einsum("d,ndc->nc", a[idx].mean(0), video[idx]), masks[idx]).mean()
        hits = []
        for scan in sorted(set(scans[idx])):
            train, test = idx[scans[idx] != scan], idx[scans[idx] == scan]
            if len(train) == 0:
                continue
            if not masks[train].any() or masks[train].all():
                continue
            direction = structure_direction(video[train], masks[train])
            hits += list(pointing(np.einsum("d,ndc->nc", direction, video[test]), masks[test]))
        probe = f"{100 * np.mean(hits):14.1f}%" if hits else f"{'-':>15s}"
        totals += [own * len(idx), mean * len(idx), np.sum(hits) if len(hits) == len(idx) else own * len(idx)]
        print(f"{name:18s} {len(idx):7d} {100 * own:6.1f}% {100 * mean:16.1f}% {probe}")
    n = len(names)
    print(f"{'all':18s} {n:7d} {100 * totals[0] / n:6.1f}% {100 * totals[1] / n:16.1f}% {100 * totals[2] / n:14.1f}%"
          "  (cell direction: the bundle's own hits where a structure has one scan only)")


if __name__ == "__main__":
    main()
