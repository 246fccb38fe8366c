"""Is run B better than run A? Paired pointing over the same moments, pooled over datasets.

usage: python3 models/tools/compare_runs.py A_DIR[,A_DIR...] B_DIR[,B_DIR...] [LABEL_A LABEL_B]

Each DIR is one run's judged moments (OUT/localise/NAME of `showtell eval localise`); a
comma-separated list pools datasets (dev + dev2: the i-th A_DIR pairs with the i-th B_DIR). A
moment counts for both runs or neither (matched by scan and time). Reported, on the own grid, on
the 14x14 grid and within 15 screen pixels of the peak (the literature's pointing game, no grid;
runs from builds that record it): each run's pointing, the difference, the moments only A hits against only B
hits with a two-sided sign test, and a 90 % interval of the difference from resampling whole scans
(a scan's moments are not independent, so the interval, not the sign test, says whether a gap of
1-2 points is real). Standard library only.
"""
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from localise_seed_summary import load, sign_test  # noqa: E402


def paired(a_dirs, b_dirs):
    """[(scan key, a hit, b hit, a grid hit, b grid hit, a 15 px hit, b 15 px hit)] over the moments both runs judged."""
    rows = []
    for index, (a_dir, b_dir) in enumerate(zip(a_dirs, b_dirs)):
        a, b = load(a_dir), load(b_dir)
        for key in sorted(set(a) & set(b)):
            grid = [s.get("gridPointing") for s in (a[key], b[key])]
            standard = [s.get("standardPointing") for s in (a[key], b[key])]
            rows.append(((index, key[0]), a[key]["pointing"] >= 1, b[key]["pointing"] >= 1,
                         None if grid[0] is None else grid[0] >= 1, None if grid[1] is None else grid[1] >= 1,
                         None if standard[0] is None else standard[0] >= 1, None if standard[1] is None else standard[1] >= 1))
    return rows


def difference_interval(rows, column_a, column_b, rounds=2000, seed=1):
    """5th and 95th percentile of (B - A) pointing when whole scans are drawn with replacement."""
    scans = {}
    for row in rows:
        scans.setdefault(row[0], []).append(int(row[column_b]) - int(row[column_a]))
    groups, generator, draws = list(scans.values()), random.Random(seed), []
    for _ in range(rounds):
        drawn = [groups[generator.randrange(len(groups))] for _ in groups]
        draws.append(sum(map(sum, drawn)) / sum(map(len, drawn)))
    draws.sort()
    return draws[int(0.05 * rounds)], draws[int(0.95 * rounds) - 1]


def report(rows, column_a, column_b, grid_name, label_a, label_b):
    a = [row[column_a] for row in rows]
    b = [row[column_b] for row in rows]
    only_a = sum(1 for x, y in zip(a, b) if x and not y)
    only_b = sum(1 for x, y in zip(a, b) if y and not x)
    low, high = difference_interval(rows, column_a, column_b)
    n = len(rows)
    print(f"{grid_name:10s} n={n}  {label_a} {100 * sum(a) / n:5.1f} %  {label_b} {100 * sum(b) / n:5.1f} %  "
          f"B-A {100 * (sum(b) - sum(a)) / n:+5.1f} points (scans resampled 90 %: {100 * low:+.1f} to {100 * high:+.1f})  "
          f"only A {only_a}  only B {only_b}  sign test p={sign_test(only_a, only_b):.3f}")


def main():
    if len(sys.argv) not in (3, 5):
        sys.exit(__doc__)
    a_dirs, b_dirs = sys.argv[1].split(","), sys.argv[2].split(",")
    if len(a_dirs) != len(b_dirs):
        sys.exit("A and B need the same number of comma-separated folders (one per dataset)")
    for directory in a_dirs + b_dirs:
        if not os.path.isdir(directory):
            sys.exit(f"{directory}: not a folder (give OUT/localise/NAME of `showtell eval localise`)")
    labels = sys.argv[3:5] if len(sys.argv) == 5 else ["A", "B"]
    rows = paired(a_dirs, b_dirs)
    if not rows:
        sys.exit("no moment judged by both runs: are the folders from the same datasets?")
    report(rows, 1, 2, "own grid", *labels)
    if all(row[3] is not None and row[4] is not None for row in rows):
        report(rows, 3, 4, "14x14", *labels)
    if all(row[5] is not None and row[6] is not None for row in rows):
        report(rows, 5, 6, "15 px", *labels)


if __name__ == "__main__":
    main()
