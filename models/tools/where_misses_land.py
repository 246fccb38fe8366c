"""Where a bundle's map peaks when it misses the named structure.

usage: python3 models/tools/where_misses_land.py RUN SCANS_DIR

RUN is OUT/localise/NAME of `showtell eval localise` on the scans in SCANS_DIR (a `showtell
synth` folder). For every missed moment the peak cell's centre is mapped back to the screen
(the 640x480 screen resized to 256x256 and centre-cropped to 224, as the model sees it) and
looked up in that frame's labels: which labelled structures it lies in, or none. Printed per
named structure: its misses and the four commonest landing places. Ground truth only measures
here. Standard library and numpy.
"""
import collections
import glob
import json
import os
import sys

import numpy as np

SCREEN_W, SCREEN_H, RESIZE, CROP = 640, 480, 256, 224
MARGIN = (RESIZE - CROP) / 2


def inside(point, polygon):
    """Even-odd rule."""
    x, y = point
    result = False
    for i in range(len(polygon)):
        (x0, y0), (x1, y1) = polygon[i - 1], polygon[i]
        if (y0 <= y) != (y1 <= y) and x >= x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            result = not result
    return result


def peak_on_screen(values):
    """Screen point of the first maximal cell of a row-major square map."""
    side = int(round(len(values) ** 0.5))
    row, column = divmod(int(np.argmax(values)), side)
    cell = CROP / side
    return (((column + 0.5) * cell + MARGIN) * SCREEN_W / RESIZE, ((row + 0.5) * cell + MARGIN) * SCREEN_H / RESIZE)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    run, scans = sys.argv[1:]
    landed = collections.defaultdict(collections.Counter)
    labels = {}
    paths = sorted(glob.glob(os.path.join(run, "scan-*.json")))
    if not paths:
        sys.exit(f"{run}: no scan-*.json (give OUT/localise/NAME of an `eval localise` run)")
    for path in paths:
        with open(path) as f:
            samples = json.load(f)
        for sample in samples:
            if sample.get("pointing") is None or sample["pointing"] >= 1:
                continue
            scan = sample["scan"]
            if scan not in labels:
                with open(os.path.join(scans, scan, "labels.jsonl")) as f:
                    labels[scan] = [json.loads(line)["anatomy"] for line in f]
            point = peak_on_screen(sample["map"])
            on = sorted({region["name"] for region in labels[scan][sample["frame"]] if inside(point, region["polygon"])})
            landed[sample["structure"]][", ".join(on) or "(no labelled structure)"] += 1
    for named, places in sorted(landed.items(), key=lambda item: -sum(item[1].values())):
        print(f"{named:18s} {sum(places.values()):4d} misses: " + "; ".join(f"{k} {v}" for k, v in places.most_common(4)))


if __name__ == "__main__":
    main()
