"""Which named structures can a self-supervised learner tell apart at all?

usage: python3 models/tools/covisibility.py TRAIN_SCANS_DIR [RUN...]

The self-supervised model learns where a word belongs from which pictures it is said over. Two
structures that are always on screen together (each visible in at least 95 % of the other's
frames) give every word the same pictures, so no learner that reads only video and audio can
tell which of the two a word names; when their masks are apart, the one it picks is a coin
toss for the pointing game. This tool measures that from the generator's labels of the
training scans (ground truth, used only to measure): per structure, the frames it is visible
in and its partners, and for each always-together pair whether their masks overlap (pointing
at the overlap hits both, as a heart's ventricle inside the heart does).

Each RUN (OUT/localise/NAME of `showtell eval localise`) is then split: its pointing over all
named moments, over the moments whose structure has a disjoint always-together partner, and
over the rest (on the run's own grid, and on the 14x14 grid when the run recorded it).
numpy only.
"""
import glob
import json
import os
import sys

import numpy as np

TOGETHER = 0.95   # P(partner visible | structure visible), both ways
EVERY = 8         # every 8th frame (0.27 s at 30 fps)
STEP = 4          # mask raster step in screen pixels


def raster(polygon, width=640, height=480):
    """Screen pixels (every STEP) inside the polygon, even-odd rule."""
    ys, xs = np.mgrid[0:height:STEP, 0:width:STEP] + 0.5
    inside = np.zeros(xs.shape, dtype=bool)
    p = np.asarray(polygon, dtype=float)
    for i in range(len(p)):
        (x0, y0), (x1, y1) = p[i - 1], p[i]
        crosses = ((y0 <= ys) & (ys < y1)) | ((y1 <= ys) & (ys < y0))
        with np.errstate(divide="ignore", invalid="ignore"):
            xc = x0 + (ys - y0) * (x1 - x0) / (y1 - y0)
        inside ^= crosses & (xs >= xc)
    return inside


def covisibility(scans_dir):
    """(frames per structure, frames per ordered pair, frames where the pair's masks overlap)."""
    visible, together, overlapping = {}, {}, {}
    paths = sorted(glob.glob(os.path.join(scans_dir, "scan-*", "labels.jsonl")))
    if not paths:
        sys.exit(f"{scans_dir}: no scan-*/labels.jsonl (give a folder of `showtell synth` scans)")
    for path in paths:
        with open(path) as f:
            for k, line in enumerate(f):
                if k % EVERY:
                    continue
                masks = {}
                for region in json.loads(line)["anatomy"]:
                    m = raster(region["polygon"])
                    masks[region["name"]] = masks[region["name"]] | m if region["name"] in masks else m
                for s in masks:
                    visible[s] = visible.get(s, 0) + 1
                    for t in masks:
                        if t != s:
                            together[(s, t)] = together.get((s, t), 0) + 1
                            if (masks[s] & masks[t]).any():
                                overlapping[(s, t)] = overlapping.get((s, t), 0) + 1
    return visible, together, overlapping


def confusable(visible, together, overlapping):
    """{structure: [disjoint always-together partners]}, and the table's lines."""
    partners, lines = {}, []
    for s in sorted(visible, key=lambda s: -visible[s]):
        cells = []
        for t in sorted(visible, key=lambda t: -together.get((s, t), 0)):
            both = together.get((s, t), 0)
            if t == s or both < 0.5 * visible[s]:
                continue
            always = both >= TOGETHER * visible[s] and both >= TOGETHER * visible[t]
            apart = overlapping.get((s, t), 0) < 0.5 * both
            cells.append(f"{t} {100 * both / visible[s]:.0f}%" + (" (always together, masks apart)" if always and apart
                                                               else " (always together, masks overlap)" if always else ""))
            if always and apart:
                partners.setdefault(s, []).append(t)
        lines.append(f"{s:18s} {visible[s]:6d} frames  with: {', '.join(cells) or '-'}")
    return partners, lines


def split(run_dir, partners):
    samples = []
    for path in sorted(glob.glob(os.path.join(run_dir, "scan-*.json"))):
        with open(path) as f:
            samples += [s for s in json.load(f) if s.get("pointing") is not None]
    if not samples:
        sys.exit(f"{run_dir}: no judged moments (give OUT/localise/NAME of an `eval localise` run)")
    name = os.path.basename(run_dir.rstrip("/"))
    for key, label in (("pointing", "own grid"), ("gridPointing", "14x14 grid")):
        if any(s.get(key) is None for s in samples):
            continue
        def rate(group):
            return f"{100 * np.mean([s[key] >= 1 for s in group]):.1f} % of {len(group)}" if group else "-"
        hidden = [s for s in samples if s["structure"] in partners]
        rest = [s for s in samples if s["structure"] not in partners]
        print(f"{name:24s} {label:10s} all {rate(samples)};  structures with a disjoint always-together partner "
              f"{rate(hidden)};  the rest {rate(rest)}")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    visible, together, overlapping = covisibility(sys.argv[1])
    partners, lines = confusable(visible, together, overlapping)
    print(f"# {sys.argv[1]}: every {EVERY}th frame; partners on screen in at least half of the structure's frames")
    print("\n".join(lines))
    print("# not separable by co-occurrence: " + ", ".join(f"{s} (with {', '.join(t)})" for s, t in partners.items()))
    for run in sys.argv[2:]:
        split(run, partners)


if __name__ == "__main__":
    main()
