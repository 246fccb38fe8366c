"""The pointing game as the literature plays it, recomputed from kept maps, independently of Swift.

usage: python3 models/session-2026-12-07aq/pointing_within.py RUN DATASET

RUN is OUT/localise/NAME of `showtell eval localise --keep-embeddings` (a 28x28 map), DATASET the
scans it judged. Each named moment's map is a . v per cell; its maximum, as a point on the 640x480
screen (the peak cell's centre where it looks: crop pixel 8j + 0.5, the crop 16 px into the
256x256 resize of the screen), is a hit when a pixel of the named structure (its labels.jsonl
polygons rasterised again at screen resolution, pixel centres, even-odd rule) lies within the
tolerance (Zhang et al. 2016; TorchRay's PointingGame: strictly less than 15 px). Tolerance 0 is
the literal rule (the peak point inside the mask). With another moment's audio (half the moments
away) as the control. numpy only (and localise_bottleneck's reader).
"""
import glob, json, os, sys
import numpy as np
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from localise_bottleneck import read_safetensors

C, R, SW, SH, N = 224, 256, 640, 480, 28
S = C // N


def inside(poly, px, py):
    """even-odd rule at points (px, py)"""
    res = np.zeros(px.shape, bool); xs, ys = poly[:, 0], poly[:, 1]; j = len(poly) - 1
    for i in range(len(poly)):
        xi, yi, xj, yj = xs[i], ys[i], xs[j], ys[j]
        cond = ((yi > py) != (yj > py))
        with np.errstate(divide="ignore", invalid="ignore"):
            xcross = (xj - xi) * (py - yi) / (yj - yi) + xi
        res ^= cond & (px < xcross); j = i
    return res


def structure_mask(labels, sample):
    """The named structure of a judged moment on the 640x480 screen (all its polygons)."""
    fy, fx = np.mgrid[0:SH, 0:SW] + 0.5
    pix = np.zeros((SH, SW), bool)
    for region in labels[sample["frame"]]["anatomy"]:
        if region["name"] == sample["structure"]:
            pix ^= inside(np.array(region["polygon"], float), fx, fy)
    return pix


def main(run, data):
    tolerances = [0, 5, 10, 15, 20]
    hits = {t: [] for t in tolerances}; ctl = {t: [] for t in tolerances}; recorded = []
    for path in sorted(glob.glob(os.path.join(run, "scan-*.json"))):
        samples = json.load(open(path)); scan = samples[0]["scan"]
        labels = [json.loads(l) for l in open(os.path.join(data, scan, "labels.jsonl"))]
        t = read_safetensors(path[:-5] + ".safetensors"); a, v = t["audio"], t["video"]; n = len(samples)
        maps = np.einsum("nd,ndc->nc", a, v.reshape(n, v.shape[1], -1))
        cmaps = np.einsum("nd,ndc->nc", a[(np.arange(n) + n // 2) % n], v.reshape(n, v.shape[1], -1))
        for k, s in enumerate(samples):
            if s.get("pointing") is None:
                continue
            recorded.append(s.get("standardPointing"))
            pix = structure_mask(labels, s)
            ys, xs = np.nonzero(pix); ys = ys + 0.5; xs = xs + 0.5
            for store, m in ((hits, maps[k]), (ctl, cmaps[k])):
                pk = int(np.argmax(m)); r_, c_ = pk // N, pk % N
                X = (S * c_ + 0.5 + (R - C) / 2) * SW / R; Y = (S * r_ + 0.5 + (R - C) / 2) * SH / R
                dmin = np.sqrt(((xs - X) ** 2 + (ys - Y) ** 2).min()) if len(xs) else np.inf
                for tol in tolerances:
                    store[tol].append(dmin < tol if tol > 0 else pix[min(int(Y), SH - 1), min(int(X), SW - 1)])
    line = f"{run}: {len(hits[15])} named moments"
    if all(r is not None for r in recorded):  # recorded by eval localise since the forty-third session
        same = sum(float(h) == r for h, r in zip(hits[15], recorded))
        line += f"; eval localise recorded within 15 px {100 * np.mean(recorded):.1f} %, the same verdict here on {same} of {len(recorded)}"
    print(line)
    for tol in tolerances:
        print(f"tolerance {tol:2d} screen px{' (the peak inside the mask)' if tol == 0 else ''}: pointing {100 * np.mean(hits[tol]):.1f} %  control {100 * np.mean(ctl[tol]):.1f} %")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
