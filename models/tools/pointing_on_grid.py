"""Pointing game of a finer map judged on a coarser grid, so that maps of different output
strides are compared by one rule.

usage: python3 models/tools/pointing_on_grid.py --grid 14 RUN [RUN...]
       python3 models/tools/pointing_on_grid.py --fine FINE_RUN RUN [RUN...]

`eval localise` scores the pointing game on the map's own grid: a hit when the peak cell
overlaps the named structure's mask at all. A 28 x 28 map (edge-local-os8) is therefore judged
more strictly than a 14 x 14 one (edge-local): its cells are a quarter of the area. This tool
takes each RUN (OUT/localise/NAME of an `eval localise --keep-embeddings` run), rebuilds the
maps <a, V> from the kept embeddings (checking that they give the recorded pointing), and scores
them again on a GRID x GRID grid whose cells are blocks of the map's cells: a hit when the block
holding the map's peak overlaps the mask (exactly the mask a GRID-cell map is scored on, since a
block overlaps the structure when one of its cells does). Printed per run: pointing on its own
grid and on GRID, per structure on GRID.

The other way (--fine FINE_RUN): a coarser map is judged on the finer masks FINE_RUN kept for the
same moments (same scans and times), each coarse cell standing for its block of fine cells (a
peak block scores the share of its cells on the mask, as tied peaks do).

Ground truth only measures here. numpy only.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from localise_bottleneck import load_moments, pointing  # noqa: E402


def pooled_pointing(maps, masks, side, grid):
    """Share of each moment's tied peaks whose GRID block overlaps the mask."""
    block = side // grid
    n = len(maps)
    coarse = masks.reshape(n, grid, block, grid, block).any(axis=(2, 4)).reshape(n, -1)
    peaks = maps == maps.max(axis=1, keepdims=True)
    y, x = np.divmod(np.arange(side * side), side)
    owner = (y // block) * grid + x // block  # the GRID cell of each map cell
    hits = coarse[:, owner] & peaks
    return hits.sum(axis=1) / peaks.sum(axis=1)


def report(run, names, side, own, grid, judged):
    """Pointing on the run's own grid and on `grid`, then hits per structure on `grid`."""
    names = np.array(names)
    rows = sorted(set(names), key=lambda s: -np.sum(names == s))
    print(f"{os.path.basename(run.rstrip('/')):28s} n={len(names)}  own grid {side}x{side}: {100 * own.mean():.1f} %   "
          f"on {grid}x{grid}: {100 * judged.mean():.1f} %")
    print(" " * 29 + "  ".join(f"{s} {judged[names == s].sum():.0f}/{np.sum(names == s)}" for s in rows))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--grid", type=int, help="side of the grid to judge on (divides the map's side)")
    parser.add_argument("--fine", help="a run with finer kept masks of the same moments, to judge on")
    parser.add_argument("runs", nargs="+")
    args = parser.parse_args()
    if (args.grid is None) == (args.fine is None):
        sys.exit("give --grid N or --fine RUN")
    if args.fine:
        fine = load_moments(args.fine)
        fine_masks = dict(zip(fine["keys"], fine["masks"]))
    for run in args.runs:
        m = load_moments(run)
        maps = np.einsum("nd,ndc->nc", m["audio"], m["video"])
        own = pointing(maps, m["masks"])
        if not np.allclose(own, m["recorded"]):
            sys.exit(f"{run}: the kept embeddings do not give the recorded pointing")
        side = int(round(np.sqrt(maps.shape[1])))
        if args.fine:
            missing = [k for k in m["keys"] if k not in fine_masks]
            if missing:
                sys.exit(f"{run}: {len(missing)} moments (e.g. {missing[0]}) are not in {args.fine}")
            masks = np.array([fine_masks[k] for k in m["keys"]])
            fine_side = int(round(np.sqrt(masks.shape[1])))
            if fine_side % side:
                sys.exit(f"{run}: its {side}x{side} map does not divide the {fine_side}x{fine_side} masks")
            block = fine_side // side
            y, x = np.divmod(np.arange(fine_side * fine_side), fine_side)
            upsampled = maps[:, (y // block) * side + x // block]  # each coarse cell over its block
            report(run, m["names"], side, own, fine_side, pointing(upsampled, masks))
            continue
        if side * side != maps.shape[1] or side % args.grid:
            sys.exit(f"{run}: a {maps.shape[1]}-cell map is not square with a side divisible by --grid {args.grid}")
        report(run, m["names"], side, own, args.grid, pooled_pointing(maps, m["masks"], side, args.grid))


if __name__ == "__main__":
    main()
