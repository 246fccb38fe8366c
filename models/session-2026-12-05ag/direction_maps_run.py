"""Write the label-free keyword directions' maps as an `eval localise` run folder, so the run tools
(models/tools/where_misses_land.py) can say where they peak.

usage: python3 models/session-2026-12-05ag/direction_maps_run.py BUNDLE TRAIN_RUN HELDOUT_RUN OUT

Arguments as for models/tools/word_directions_space.py; OUT gets one scan-*.json per held-out scan
with each named moment's map replaced by the fitted direction of the word it names (a perfect
listener) dotted with the frame's features, and its pointing rescored. numpy only.
"""
import glob
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from localise_bottleneck import load, load_moments  # noqa: E402
from word_directions_space import fit, frozen_branch  # noqa: E402


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    bundle, train_run, held_run, out = sys.argv[1:]
    projection, recover = frozen_branch(bundle)
    tn, _, _, tv, _ = load(train_run)
    held = load_moments(held_run)
    features = recover(held["video"])
    directions = fit(tn, recover(tv), projection)
    row = {key: i for i, key in enumerate(held["keys"])}
    os.makedirs(out, exist_ok=True)
    for path in sorted(glob.glob(os.path.join(held_run, "scan-*.json"))):
        with open(path) as f:
            samples = [s for s in json.load(f) if s.get("pointing") is not None]
        for s in samples:
            i = row[(s["scan"], round(s["time"], 3))]
            values = directions[s["structure"]] @ features[i]
            s["map"] = values.tolist()
            s["pointing"] = float(held["masks"][i][int(np.argmax(values))])
        with open(os.path.join(out, os.path.basename(path)), "w") as f:
            json.dump(samples, f)


if __name__ == "__main__":
    main()
