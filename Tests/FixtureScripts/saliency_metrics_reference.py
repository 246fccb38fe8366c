#!/usr/bin/env python3
"""Reference values for the Swift Evaluation metrics (Sources/Evaluation/Metrics, Saliency).

Writes Tests/EvaluationTests/Fixtures/metrics_reference.json. Everything is float64 numpy /
scipy, following the MIT saliency benchmark's MATLAB code (github.com/cvzoya/saliency,
code_forMetrics: KLdiv.m, CC.m, similarity.m, NSS.m, AUC_Judd.m with jitter off) and, for
what the benchmark does not cover, the definitions stated in the Swift doc comments:
Comp (paper eq. 5, threshold 0.5), cIoU/AUC (LVS evaluation code: median binarisation,
21 thresholds), the pointing game, macro P/R/F1 (sklearn semantics, zero_division=0), the
gaze density (Gaussian sigma 20 screen px integrated over cells) and mask coverage.
Degenerate inputs where MATLAB returns NaN get the Swift code's stated values.
"""
import json
import os

import numpy as np
from scipy.ndimage import gaussian_filter
from scipy.stats import norm

EPS = 2.2204e-16
rng = np.random.default_rng(20261130)


# ---- MIT saliency benchmark metrics -------------------------------------------------------

def minmax(m):
    lo, hi = m.min(), m.max()
    return np.zeros_like(m) if hi <= lo else (m - lo) / (hi - lo)


def as_distribution(m):
    s = m.sum()
    return np.full_like(m, 1.0 / m.size) if s <= 0 else m / s


def kl(pred, gt):                       # KLdiv.m
    p, g = as_distribution(pred), as_distribution(gt)
    return float(np.sum(g * np.log(EPS + g / (p + EPS))))


def cc(pred, gt):                       # CC.m (z-score, corr2)
    if pred.max() == pred.min() or gt.max() == gt.min():   # constant: tested exactly, not by a float std
        return 0.0
    a = (pred - pred.mean()) / pred.std(ddof=1)
    b = (gt - gt.mean()) / gt.std(ddof=1)
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def sim(pred, gt):                      # similarity.m
    return float(np.sum(np.minimum(as_distribution(minmax(pred)), as_distribution(minmax(gt)))))


def nss(pred, fix):                     # NSS.m, MATLAB std = sample std
    if pred.max() == pred.min():
        return 0.0
    sd = pred.std(ddof=1)
    z = (pred - pred.mean()) / sd
    return float(z[fix > 0].mean())


def auc_judd(pred, fix):                # AUC_Judd.m, jitter = 0
    if pred.max() == pred.min():
        return 0.5
    s = minmax(pred).ravel()
    f = fix.ravel()
    sth = s[f > 0]
    nf, n = len(sth), len(s)
    thresholds = np.sort(sth)[::-1]
    tp = np.zeros(nf + 2); fp = np.zeros(nf + 2)
    tp[-1] = 1; fp[-1] = 1
    for i, t in enumerate(thresholds):
        above = np.sum(s >= t)
        tp[i + 1] = (i + 1) / nf
        fp[i + 1] = (above - (i + 1)) / (n - nf)
    return float(np.trapezoid(tp, fp))


def comp(pred, gt, thres=0.5):          # paper eq. 5 as stated in Compactness.swift
    s, g = minmax(pred), minmax(gt)
    n = s.size
    a_s = np.count_nonzero(s > 0) / n
    hs, hg = s > thres, g > thres
    union = np.count_nonzero(hs | hg)
    iou = np.count_nonzero(hs & hg) / union if union else 0.0
    if a_s == 0:
        return dict(comp=0.0, iou=iou, saliencyArea=0.0, highArea=0.0, highRatio=0.0)
    a_h = np.count_nonzero(hs) / n
    eta = a_h / a_s
    return dict(comp=iou * eta / a_s, iou=iou, saliencyArea=a_s, highArea=a_h, highRatio=eta)


def saliency_case(name, pred, fix_points, sigma_cells):
    h, w = pred.shape
    fix = np.zeros((h, w))
    for (y, x) in fix_points:
        fix[y, x] += 1
    density = gaussian_filter(fix, sigma_cells, mode="constant", truncate=6.0)
    density /= density.sum()
    return dict(name=name, width=w, height=h, prediction=pred.ravel().tolist(),
                density=density.ravel().tolist(), fixations=fix.ravel().tolist(),
                kl=kl(pred, density), cc=cc(pred, density), sim=sim(pred, density),
                nss=nss(pred, fix), auc=auc_judd(pred, fix), comp=comp(pred, density))


def random_points(h, w, k):
    return [(int(rng.integers(h)), int(rng.integers(w))) for _ in range(k)]


saliency = []
pts = random_points(14, 14, 6)
saliency.append(saliency_case("random 14x14", rng.gamma(2.0, 1.0, (14, 14)), pts, 1.5))
saliency.append(saliency_case("random 32x24", rng.random((24, 32)) ** 3, random_points(24, 32, 9), 2.0))
sparse = np.maximum(rng.normal(0, 1, (14, 14)) - 0.8, 0)
saliency.append(saliency_case("sparse (ReLU) prediction", sparse, pts, 1.5))
blob_fix = [(5, 6), (6, 6), (5, 7)]
base = saliency_case("identical", np.ones((14, 14)), blob_fix, 1.5)
same = np.array(base["density"]).reshape(14, 14)
saliency.append(saliency_case("identical", same, blob_fix, 1.5))
saliency.append(saliency_case("constant prediction", np.full((14, 14), 0.3), pts, 1.5))
saliency.append(saliency_case("zero prediction", np.zeros((14, 14)), pts, 1.5))

# ---- classification -----------------------------------------------------------------------

K = 14
truth = rng.integers(0, 12, 300)                       # classes 12, 13 never true
pred = np.where(rng.random(300) < 0.7, truth, rng.integers(0, 13, 300))  # 13 never predicted
conf = np.zeros((K, K), dtype=int)
for t, p in zip(truth, pred):
    conf[t, p] += 1
tp = np.diag(conf).astype(float)
predicted = conf.sum(0).astype(float)
support = conf.sum(1).astype(float)
precision = np.divide(tp, predicted, out=np.zeros(K), where=predicted > 0)
recall = np.divide(tp, support, out=np.zeros(K), where=support > 0)
f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros(K), where=(precision + recall) > 0)
present = np.union1d(np.unique(truth), np.unique(pred))
classification = dict(classes=K, truth=truth.tolist(), predicted=pred.tolist(), confusion=conf.ravel().tolist(),
                      precision=precision.tolist(), recall=recall.tolist(), f1=f1.tolist(),
                      macroPrecision=float(precision[present].mean()), macroRecall=float(recall[present].mean()),
                      macroF1=float(f1[present].mean()), accuracy=float(tp.sum() / conf.sum()))

# ---- geometry, gaze density, mask coverage ------------------------------------------------

SW, SH, RESIZE, CROP, MAP = 640, 480, 256, 224, 14
SIGMA = 20.0
MARGIN = (RESIZE - CROP) / 2


def screen_from_crop(cx, cy):
    return (cx + MARGIN) * SW / RESIZE, (cy + MARGIN) * SH / RESIZE


edges_x = np.array([screen_from_crop(i * CROP / MAP, 0)[0] for i in range(MAP + 1)])
edges_y = np.array([screen_from_crop(0, i * CROP / MAP)[1] for i in range(MAP + 1)])


def gaze_density(points):
    d = np.zeros((MAP, MAP))
    for (x, y) in points:
        mx = np.diff(norm.cdf((edges_x - x) / SIGMA))
        my = np.diff(norm.cdf((edges_y - y) / SIGMA))
        d += np.outer(my, mx)
    return d / d.sum()


def gaze_density_by_blur(points):
    """Independent check: impulses on a 4x finer screen grid, scipy gaussian_filter, area sums."""
    f = 4
    img = np.zeros((SH * f, SW * f))
    for (x, y) in points:
        img[int(y * f), int(x * f)] += 1
    blur = gaussian_filter(img, SIGMA * f, mode="constant", truncate=8.0)
    crop = blur[int(edges_y[0] * f):int(edges_y[-1] * f), int(edges_x[0] * f):int(edges_x[-1] * f)]
    cells = crop.reshape(MAP, crop.shape[0] // MAP, MAP, crop.shape[1] // MAP).sum(axis=(1, 3))
    return cells / cells.sum()


def fixation_counts(points):
    m = np.zeros((MAP, MAP))
    for (x, y) in points:
        cx, cy = x * RESIZE / SW - MARGIN, y * RESIZE / SH - MARGIN
        if 0 <= cx < CROP and 0 <= cy < CROP:
            m[min(int(cy * MAP / CROP), MAP - 1), min(int(cx * MAP / CROP), MAP - 1)] += 1
    return m


gaze_points = [(320.3, 241.7), (333.9, 250.2), (101.2, 77.8), (590.5, 60.1), (20.0, 200.0), (330.0, 470.0)]
density = gaze_density(gaze_points)
check = gaze_density_by_blur(gaze_points)
assert np.abs(density - check).max() < 2e-3, np.abs(density - check).max()
gaze = dict(screenWidth=SW, screenHeight=SH, resize=RESIZE, crop=CROP, mapSize=MAP, sigma=SIGMA,
            points=[list(p) for p in gaze_points], density=density.ravel().tolist(),
            fixationMap=fixation_counts(gaze_points).ravel().tolist(),
            blurCheckMaxDifference=float(np.abs(density - check).max()))


def coverage(polygon, side=MAP):
    poly = np.array([[x * RESIZE / SW - MARGIN, y * RESIZE / SH - MARGIN] for (x, y) in polygon])
    ys, xs = np.mgrid[0:CROP, 0:CROP] + 0.5
    inside = np.zeros((CROP, CROP), dtype=bool)
    n = len(poly)
    for i in range(n):                      # even-odd crossing test, half-open in y
        x0, y0 = poly[i - 1]; x1, y1 = poly[i]
        crosses = ((y0 <= ys) & (ys < y1)) | ((y1 <= ys) & (ys < y0))
        with np.errstate(divide="ignore", invalid="ignore"):
            xc = x0 + (ys - y0) * (x1 - x0) / (y1 - y0)
        inside ^= crosses & (xs >= xc)
    s = CROP // side
    return inside.reshape(side, s, side, s).mean(axis=(1, 3))


def regular_polygon(cx, cy, rx, ry, k, phase):
    a = phase + 2 * np.pi * np.arange(k) / k
    return [[float(cx + rx * np.cos(t)), float(cy + ry * np.sin(t))] for t in a]


polygons = [regular_polygon(300.4, 220.7, 90.3, 60.2, 9, 0.3),
            regular_polygon(120.2, 380.9, 33.3, 25.1, 7, 1.1),
            [[500.5, 40.2], [630.7, 80.3], [610.1, 200.9], [520.3, 150.6], [560.2, 110.4]]]
masks = [dict(polygon=p, coverage=coverage(p).ravel().tolist()) for p in polygons]

# ---- localisation: pointing game, cIoU, AUC ----------------------------------------------


def pointing(pred, cov):
    peak = pred.max()
    tied = pred == peak
    return float(np.count_nonzero(tied & (cov > 0)) / np.count_nonzero(tied))


def ciou(pred, mask):                   # LVS: median threshold on the min-max normalised map
    p = minmax(pred)
    thr = np.sort(p.ravel())[p.size // 2]
    on = p > thr
    return float(np.sum(on * mask) / (np.sum(mask) + np.sum(on * (mask == 0))))


def binary(cov):
    cut = min(0.5, cov.max())
    return (cov >= cut).astype(float)


local_cases = []
for k, m in enumerate(masks):
    cov = np.array(m["coverage"]).reshape(MAP, MAP)
    for kind in ["random", "near", "constant"]:
        if kind == "random":
            pred = rng.random((MAP, MAP))
        elif kind == "near":
            yy, xx = np.mgrid[0:MAP, 0:MAP]
            cy, cx = np.argwhere(cov == cov.max())[0]
            pred = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 8.0) + 0.05 * rng.random((MAP, MAP))
        else:
            pred = np.full((MAP, MAP), 0.7)
        local_cases.append(dict(name=f"polygon {k} {kind}", prediction=pred.ravel().tolist(), coverage=m["coverage"],
                                mask=binary(cov).ravel().tolist(), pointing=pointing(pred, cov),
                                ciou=ciou(pred, binary(cov))))



def pointing_on_grid(pred, cov, grid):
    """A 28x28 map judged on a coarser grid: a peak counts when its block touches the mask."""
    side = pred.shape[0]
    b = side // grid
    touched = (cov > 0).reshape(grid, b, grid, b).any(axis=(1, 3))
    tied = np.argwhere(pred == pred.max())
    return float(np.mean([touched[y // b, x // b] for y, x in tied]))


# Output stride 8 (a 28x28 map) judged on the 14x14 grid; own rng so the cases above stay as they were.
grid_rng = np.random.default_rng(20261204)
FINE = 28
grid_cases = []
for k, p in enumerate(polygons):
    cov = coverage(p, FINE)
    for kind in ["random", "beside", "constant"]:
        if kind == "random":
            pred = grid_rng.random((FINE, FINE))
        elif kind == "beside":  # the peak on a cell off the mask whose 2x2 block touches it: a miss on 28, a hit on 14
            yy, xx = np.mgrid[0:FINE, 0:FINE]
            touched = np.kron((cov > 0).reshape(MAP, 2, MAP, 2).any(axis=(1, 3)), np.ones((2, 2))) > 0
            cy, cx = np.argwhere(touched & (cov == 0))[0]
            pred = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 2.0)
        else:
            pred = np.full((FINE, FINE), 0.3)
        grid_cases.append(dict(name=f"polygon {k} {kind}", side=FINE, grid=MAP, prediction=pred.ravel().tolist(),
                               coverage=cov.ravel().tolist(), pointing=pointing(pred, cov),
                               gridPointing=pointing_on_grid(pred, cov, MAP)))

# Cells centred where they look (ScreenGeometry.cellOrigin): a stride-s map's cell j spans crop
# [origin + s*j, origin + s*(j + 1)); crop pixels past the last cell belong to none.
def pixels_inside(poly, width, height):
    """[height, width]: pixels whose centre is inside the polygon (even-odd rule, PolygonMask's)."""
    ys, xs = np.mgrid[0:height, 0:width] + 0.5
    inside = np.zeros((height, width), dtype=bool)
    for i in range(len(poly)):
        x0, y0 = poly[i - 1]; x1, y1 = poly[i]
        crosses = ((y0 <= ys) & (ys < y1)) | ((y1 <= ys) & (ys < y0))
        with np.errstate(divide="ignore", invalid="ignore"):
            xc = x0 + (ys - y0) * (x1 - x0) / (y1 - y0)
        inside ^= crosses & (xs >= xc)
    return inside


def coverage_registered(polygon, side, origin):
    poly = np.array([[x * RESIZE / SW - MARGIN, y * RESIZE / SH - MARGIN] for (x, y) in polygon])
    inside = pixels_inside(poly, CROP, CROP)
    index = np.floor((np.arange(CROP) + 0.5 - origin) / (CROP / side)).astype(int)
    keep = (index >= 0) & (index < side)
    hits, counts = np.zeros((side, side)), np.zeros((side, side))
    rows, cols = np.meshgrid(index, index, indexing="ij")
    k2 = keep[:, None] & keep[None, :]
    np.add.at(hits, (rows[k2], cols[k2]), inside[k2])
    np.add.at(counts, (rows[k2], cols[k2]), 1)
    return hits / counts


def gaze_density_registered(points, side, origin):
    ex = np.array([screen_from_crop(origin + i * CROP / side, 0)[0] for i in range(side + 1)])
    ey = np.array([screen_from_crop(0, origin + i * CROP / side)[1] for i in range(side + 1)])
    d = np.zeros((side, side))
    for (x, y) in points:
        d += np.outer(np.diff(norm.cdf((ey - y) / SIGMA)), np.diff(norm.cdf((ex - x) / SIGMA)))
    return d / d.sum()


assert np.array_equal(coverage_registered(polygons[0], MAP, 0.0), coverage(polygons[0]))  # origin 0 is the even division
registered = [dict(side=side, origin=origin,
                   coverage=[coverage_registered(p, side, origin).ravel().tolist() for p in polygons],
                   density=gaze_density_registered(gaze_points, side, origin).ravel().tolist())
              for side, origin in [(28, -3.5), (14, -7.5)]]

# The pointing game as the literature plays it (Zhang et al. 2016; TorchRay's PointingGame,
# tolerance 15): the map's maximum as a screen point (the peak cell's centre, where it looks) is
# a hit when a mask pixel (screen resolution, pixel centres, even-odd rule) lies strictly less
# than the tolerance from it; tied maxima share. Own rng so the cases above stay as they were.
def screen_mask(polygon):
    return pixels_inside(np.array(polygon, dtype=float), SW, SH)


def standard_pointing(pred, mask, side, origin, tolerance):
    ys, xs = np.nonzero(mask)
    ys = ys + 0.5; xs = xs + 0.5
    hits = []
    for r, c in np.argwhere(pred == pred.max()):
        px, py = screen_from_crop(origin + (c + 0.5) * CROP / side, origin + (r + 0.5) * CROP / side)
        hits.append(bool(np.any((xs - px) ** 2 + (ys - py) ** 2 < tolerance ** 2)))
    return float(np.mean(hits))


standard_rng = np.random.default_rng(20261207)
standard_cases = []
for k, p in enumerate(polygons):
    mask = screen_mask(p)
    for side, origin in [(28, -3.5), (14, -7.5)]:
        for kind in ["random", "edge", "constant"]:
            if kind == "random":
                pred = standard_rng.random((side, side))
            elif kind == "edge":  # the peak on the cell whose centre is nearest to 14 px outside the mask: a hit at 15, a miss at 10
                ys, xs = np.nonzero(mask)
                centres = np.array([[screen_from_crop(origin + (c + 0.5) * CROP / side, origin + (r + 0.5) * CROP / side) for c in range(side)] for r in range(side)])
                d = np.min(np.sqrt((xs[None, :] + 0.5 - centres[..., 0].reshape(-1, 1)) ** 2 + (ys[None, :] + 0.5 - centres[..., 1].reshape(-1, 1)) ** 2), axis=1)
                best = int(np.argmin(np.abs(d - 12.5)))
                pred = standard_rng.random((side, side)) * 0.5
                pred.ravel()[best] = 1.0
            else:
                pred = np.full((side, side), 0.4)
            standard_cases.append(dict(name=f"polygon {k} {side} {kind}", side=side, origin=origin, polygonIndex=k,
                                       prediction=pred.ravel().tolist(), maskPixels=int(mask.sum()),
                                       tolerances=[10.0, 15.0, 30.0],
                                       pointing=[standard_pointing(pred, mask, side, origin, t) for t in (10.0, 15.0, 30.0)]))

ciou_values = rng.random(37).tolist() + [0.5, 0.0, 1.0]
thr = np.array([0.05 * i for i in range(21)])
success = np.array([np.mean(np.array(ciou_values) >= t) for t in thr])
summary = dict(values=ciou_values, ciouAt05=float(np.mean(np.array(ciou_values) >= 0.5)),
               auc=float(np.trapezoid(success, thr)), meanCIoU=float(np.mean(ciou_values)))

fold_values = [0.768, 0.781, 0.755]
mean_std = dict(values=fold_values, mean=float(np.mean(fold_values)), std=float(np.std(fold_values)))

out = dict(generator="Tests/FixtureScripts/saliency_metrics_reference.py", epsilon=EPS, saliency=saliency,
           classification=classification, gaze=gaze, masks=masks, localisation=local_cases, gridLocalisation=grid_cases,
           ciouSummary=summary, meanStd=mean_std, registered=registered,
           standardPointing=standard_cases)
here = os.path.dirname(os.path.abspath(__file__))
path = os.path.join(here, "..", "EvaluationTests", "Fixtures", "metrics_reference.json")
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, "w") as f:
    json.dump(out, f, indent=1, sort_keys=True)
    f.write("\n")
print(f"wrote {os.path.normpath(path)}: {len(saliency)} saliency cases, {len(local_cases)} localisation cases; "
      f"gaze density vs blur check max difference {gaze['blurCheckMaxDifference']:.2e}")
