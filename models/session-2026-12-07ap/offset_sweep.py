"""Pointing of kept maps with the map's cells moved o crop px up and left (cell j spans [8j - o, 8j + 8 - o)).

usage: python3 models/session-2026-12-07ap/offset_sweep.py RUN DATASET

RUN is OUT/localise/NAME of `showtell eval localise --keep-embeddings` made with the even division
(a build before the forty-second session; 28x28 maps), DATASET the scans it judged (their
labels.jsonl polygons are rasterised again here, pixel centres, even-odd rule). Per offset: the
pointing game (the peak cell touches the mask), the same with another moment's audio (half the
moments away, as eval localise's control) and the literal rule (the peak cell's centre inside the
polygon). Offset 0 must reproduce the run's recorded pointing. numpy only.
"""
import glob, json, os, sys
import numpy as np
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from localise_bottleneck import read_safetensors

run, data = sys.argv[1], sys.argv[2]
offsets = [0, 1.5, 3.5, 5.5, 7.5]
C, R, SW, SH, N = 224, 256, 640, 480, 28
S = C // N
def inside(poly, px, py):
    """even-odd rule, points (px, py) arrays"""
    res = np.zeros(px.shape, bool)
    xs, ys = poly[:, 0], poly[:, 1]
    j = len(poly) - 1
    for i in range(len(poly)):
        xi, yi, xj, yj = xs[i], ys[i], xs[j], ys[j]
        cond = ((yi > py) != (yj > py))
        with np.errstate(divide="ignore", invalid="ignore"):
            xcross = (xj - xi) * (py - yi) / (yj - yi) + xi
        res ^= cond & (px < xcross)
        j = i
    return res
gy, gx = np.mgrid[0:C, 0:C] + 0.5
touch = {o: [] for o in offsets}; point = {o: [] for o in offsets}; recorded = []; ctl = {o: [] for o in offsets}
for path in sorted(glob.glob(os.path.join(run, "scan-*.json"))):
    samples = json.load(open(path))
    scan = samples[0]["scan"]
    labels = [json.loads(l) for l in open(os.path.join(data, scan, "labels.jsonl"))]
    t = read_safetensors(path[:-5] + ".safetensors")
    a, v = t["audio"], t["video"]
    n = len(samples)
    maps = np.einsum("nd,ndc->nc", a, v.reshape(n, v.shape[1], -1))
    # control: another moment's audio (half the moments away), as eval localise's control
    cmaps = np.einsum("nd,ndc->nc", a[(np.arange(n) + n // 2) % n], v.reshape(n, v.shape[1], -1))
    for k, s in enumerate(samples):
        if s.get("pointing") is None: continue
        recorded.append(s["pointing"])
        polys = [np.array(r["polygon"], float) for r in labels[s["frame"]]["anatomy"] if r["name"] == s["structure"]]
        pix = np.zeros((C, C), bool)
        for p in polys:
            q = np.stack([p[:, 0] * R / SW - (R - C) / 2, p[:, 1] * R / SH - (R - C) / 2], 1)
            pix ^= inside(q, gx, gy)  # parts do not overlap
        ys, xs = np.nonzero(pix)
        for o in offsets:
            cells = np.zeros((N, N), bool)
            cy = np.floor((ys + 0.5 + o) / S).astype(int); cx = np.floor((xs + 0.5 + o) / S).astype(int)
            ok = (cy < N) & (cx < N)
            cells[cy[ok], cx[ok]] = True
            for store, m in ((touch, maps[k]), (ctl, cmaps[k])):
                pk = int(np.argmax(m))
                store[o].append(cells[pk // N, pk % N])
            pk = int(np.argmax(maps[k])); r_, c_ = pk // N, pk % N
            X, Y = c_ * S + S / 2 - o, r_ * S + S / 2 - o
            xi, yi = int(np.floor(X)), int(np.floor(Y))
            point[o].append(pix[min(max(yi, 0), C - 1), min(max(xi, 0), C - 1)])
print(f"{run}: {len(recorded)} moments, recorded {100*np.mean(recorded):.2f} %")
for o in offsets:
    print(f"offset {o:4.1f} px: touch {100*np.mean(touch[o]):.2f} %  control {100*np.mean(ctl[o]):.2f} %  point-inside {100*np.mean(point[o]):.2f} %")
