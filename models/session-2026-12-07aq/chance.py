"""Chance for each pointing rule: what a map with no information (every cell tied) scores, the
share of the map's cells that count as a hit, per named moment, averaged.

usage: python3 models/session-2026-12-07aq/chance.py RUN DATASET   (RUN as in pointing_within.py)

Rules: the own 28x28 grid (a cell the structure touches; cell j spans crop [8j - 3.5, 8j + 4.5)),
the 14x14 grid (a 2x2 block of them) and within 15 screen px (a cell whose centre has a
structure pixel strictly less than 15 px away). numpy only.
"""
import glob, json, os, sys
import numpy as np
from pointing_within import C, N, R, SH, SW, inside, structure_mask


def main(run, data):
    cy, cx = np.mgrid[0:C, 0:C] + 0.5
    centres = (8 * np.arange(N) + 0.5 + (R - C) / 2)
    CX, CY = centres * SW / R, centres * SH / R
    own, grid, within = [], [], []
    for path in sorted(glob.glob(os.path.join(run, "scan-*.json"))):
        samples = json.load(open(path)); scan = samples[0]["scan"]
        labels = [json.loads(l) for l in open(os.path.join(data, scan, "labels.jsonl"))]
        for s in samples:
            if s.get("pointing") is None:
                continue
            crop = np.zeros((C, C), bool)
            for region in labels[s["frame"]]["anatomy"]:
                if region["name"] == s["structure"]:
                    p = np.array(region["polygon"], float)
                    crop ^= inside(np.stack([p[:, 0] * R / SW - (R - C) / 2, p[:, 1] * R / SH - (R - C) / 2], 1), cx, cy)
            ys, xs = np.nonzero(crop)
            cells = np.zeros((N, N), bool)
            rows, cols = np.floor((ys + 0.5 + 3.5) / 8).astype(int), np.floor((xs + 0.5 + 3.5) / 8).astype(int)
            ok = (rows < N) & (cols < N)
            cells[rows[ok], cols[ok]] = True
            own.append(cells.mean())
            grid.append(cells.reshape(N // 2, 2, N // 2, 2).any(axis=(1, 3)).mean())
            my, mx = np.nonzero(structure_mask(labels, s))
            hit = [((mx[None, :] + 0.5 - CX[:, None]) ** 2 + (my[None, :] + 0.5 - y) ** 2 < 225).any(axis=1) for y in CY]
            within.append(np.mean(hit))
    print(f"{run}: {len(own)} moments; chance (a map with every cell tied): own grid {100 * np.mean(own):.1f} %, "
          f"14x14 {100 * np.mean(grid):.1f} %, within 15 px {100 * np.mean(within):.1f} %")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
