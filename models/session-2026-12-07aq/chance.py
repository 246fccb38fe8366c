"""Chance for each pointing rule: what a map with no information (every cell tied) scores, the
share of the map's cells that count as a hit, per named moment, averaged.

usage: python3 models/session-2026-12-07aq/chance.py RUN DATASET   (RUN as in pointing_within.py)
"""
import glob, json, os, sys
import numpy as np
run, data = sys.argv[1], sys.argv[2]
C, R, SW, SH, N = 224, 256, 640, 480, 28
def inside(poly, px, py):
    res = np.zeros(px.shape, bool); xs, ys = poly[:, 0], poly[:, 1]; j = len(poly) - 1
    for i in range(len(poly)):
        xi, yi, xj, yj = xs[i], ys[i], xs[j], ys[j]
        cond = ((yi > py) != (yj > py))
        with np.errstate(divide="ignore", invalid="ignore"):
            xcross = (xj - xi) * (py - yi) / (yj - yi) + xi
        res ^= cond & (px < xcross); j = i
    return res
fy, fx = np.mgrid[0:SH, 0:SW] + 0.5
cy, cx = np.mgrid[0:C, 0:C] + 0.5
# cell centres (look points) in screen px, 28x28
cc = (8 * np.arange(N) + 0.5 + (R - C) / 2)
CX = cc * SW / R; CY = cc * SH / R
own, grid, std = [], [], []
for path in sorted(glob.glob(os.path.join(run, "scan-*.json"))):
    samples = json.load(open(path)); scan = samples[0]["scan"]
    labels = [json.loads(l) for l in open(os.path.join(data, scan, "labels.jsonl"))]
    for s in samples:
        if s.get("pointing") is None: continue
        polys = [np.array(r["polygon"], float) for r in labels[s["frame"]]["anatomy"] if r["name"] == s["structure"]]
        pix = np.zeros((SH, SW), bool)
        for p in polys: pix ^= inside(p, fx, fy)
        # crop-pixel mask for the touch rules (cells [8j-3.5, 8j+4.5))
        cp = np.zeros((C, C), bool)
        for p in polys:
            q = np.stack([p[:, 0] * R / SW - (R - C) / 2, p[:, 1] * R / SH - (R - C) / 2], 1)
            cp ^= inside(q, cx, cy)
        ys, xs = np.nonzero(cp)
        cells = np.zeros((N, N), bool)
        r_ = np.floor((ys + 0.5 + 3.5) / 8).astype(int); c_ = np.floor((xs + 0.5 + 3.5) / 8).astype(int)
        ok = (r_ < N) & (c_ < N); cells[r_[ok], c_[ok]] = True
        own.append(cells.mean()); grid.append(cells.reshape(14, 2, 14, 2).any(axis=(1, 3)).mean())
        my, mx = np.nonzero(pix); my = my + 0.5; mx = mx + 0.5
        hit = np.zeros((N, N), bool)
        for i in range(N):
            for j in range(N):
                hit[i, j] = np.any((mx - CX[j]) ** 2 + (my - CY[i]) ** 2 < 225)
        std.append(hit.mean())
print(f"{run}: {len(own)} moments; chance (a map with every cell tied): own grid {100*np.mean(own):.1f} %, 14x14 {100*np.mean(grid):.1f} %, within 15 px {100*np.mean(std):.1f} %")
