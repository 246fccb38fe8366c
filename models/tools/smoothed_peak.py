"""Does blurring the map before taking its peak point better, and is the gain the speech's?

usage: python3 models/tools/smoothed_peak.py [--sigmas 0,1,2,3] [--grid 14] RUN [RUN...]

RUN is OUT/localise/NAME of an `eval localise --keep-embeddings` run. Each moment's map <a, V>
is rebuilt from the kept embeddings, blurred by a Gaussian of SIGMA cells (scipy.ndimage, edges
repeated) and scored by the pointing game on its own grid and on GRID x GRID
(`pointing_on_grid.py`). Two controls are blurred the same way: the map drawn with the audio of
a moment naming another structure (three draws, seeded) and with the mean audio of all moments
(a fixed vector: a spatial prior that hears nothing). A blur that lifts the controls as much as
the map itself moves peaks toward where the named structures usually are, not toward what was
said. Ground truth only measures here. numpy and scipy.
"""
import argparse
import os
import sys

import numpy as np
from scipy.ndimage import gaussian_filter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from localise_bottleneck import load_moments, pointing  # noqa: E402
from pointing_on_grid import pooled_pointing  # noqa: E402


def blurred(maps, sigma):
    side = int(round(maps.shape[1] ** 0.5))
    if sigma == 0:
        return maps
    return np.stack([gaussian_filter(m.reshape(side, side), sigma, mode="nearest").reshape(-1) for m in maps])


def scores(maps, masks, grid):
    side = int(round(maps.shape[1] ** 0.5))
    return 100 * pointing(maps, masks).mean(), 100 * pooled_pointing(maps, masks, side, grid).mean()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sigmas", default="0,1,2,3", help="blur widths in map cells, comma-separated")
    parser.add_argument("--grid", type=int, default=14, help="the coarser grid also scored")
    parser.add_argument("runs", nargs="+")
    args = parser.parse_args()
    sigmas = [float(s) for s in args.sigmas.split(",")]
    for run in args.runs:
        rng = np.random.default_rng(0)  # per run: a run's figures do not depend on the others given
        m = load_moments(run)
        names = np.array(m["names"])
        maps = np.einsum("nd,ndc->nc", m["audio"], m["video"])
        others = [np.einsum("nd,ndc->nc", m["audio"][[rng.choice(np.flatnonzero(names != n)) for n in names]], m["video"])
                  for _ in range(3)]
        fixed = np.einsum("d,ndc->nc", m["audio"].mean(0), m["video"])
        print(f"{run}: {len(names)} moments; pointing own grid / {args.grid}x{args.grid}")
        print(f"{'sigma':>6} {'own audio':>14} {'other structure':>16} {'mean audio':>14}")
        for sigma in sigmas:
            own = scores(blurred(maps, sigma), m["masks"], args.grid)
            other = np.mean([scores(blurred(o, sigma), m["masks"], args.grid) for o in others], axis=0)
            mean = scores(blurred(fixed, sigma), m["masks"], args.grid)
            print(f"{sigma:6.2f} " + "  ".join(f"{a:6.1f} /{b:5.1f}" for a, b in (own, other, mean)))


if __name__ == "__main__":
    main()
