"""Summarise `showtell eval localise` runs and their controls, one line per run.

usage: python3 models/tools/localise_seed_summary.py [--per-anatomy] [--per-scan] EVAL_OUT_DIR...

Each EVAL_OUT_DIR is an `--out` folder of `showtell eval localise`; a run NAME is paired with
its control NAME-ctl (made with --mismatched-audio) when present. Per run: the pointing game
(and, when recorded, the pointing game on the 14x14 grid and within 15 screen pixels of the
peak, both comparable across output strides)
and gaze CC over the moments naming an anatomy on screen; with a control, its figures and a
two-sided sign test over the moments that hit only with their own audio against those that
hit only with another moment's (does the map follow the speech?). --per-anatomy adds a line
per run with hits / moments for each named structure, most frequent first (and in brackets
the hits within 15 px, where recorded); --per-scan a line
with each scan's pointing (moments of one scan are not independent: the spread between scans
says how far a few scans' figure can be trusted; with a 90 % interval from resampling whole
scans). Standard library only.
"""
import glob
import json
import math
import os
import random
import sys


def load(run_dir):
    """Judged samples of one run, keyed by (scan, time)."""
    samples = {}
    for path in sorted(glob.glob(os.path.join(run_dir, "scan-*.json"))):
        with open(path) as f:
            for sample in json.load(f):
                if sample.get("pointing") is not None:
                    samples[(sample["scan"], sample["time"])] = sample
    return samples


def mean(values):
    return sum(values) / len(values) if values else float("nan")


def sign_test(wins, losses):
    """Two-sided binomial sign test with p = 0.5."""
    n, k = wins + losses, min(wins, losses)
    if n == 0:
        return 1.0
    return min(1.0, 2 * sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n)


def per_anatomy(samples):
    """'spine 51/91  heart 26/35 ...': hits over moments per named structure; where the run
    recorded the pointing game within 15 px, its hits follow in brackets ('spine 51/91 [60]')."""
    hits, within = {}, {}
    for sample in samples.values():
        hits.setdefault(sample["structure"], []).append(1 if sample["pointing"] >= 1 else 0)
        within.setdefault(sample["structure"], []).append(sample.get("standardPointing"))
    ordered = sorted(hits.items(), key=lambda item: (-len(item[1]), item[0]))
    def bracket(name):
        values = within[name]
        return "" if any(v is None for v in values) else f" [{sum(1 for v in values if v >= 1)}]"
    return "  ".join(f"{name} {sum(values)}/{len(values)}{bracket(name)}" for name, values in ordered)


def per_scan(samples):
    """'heldout-000 71.2% (104)  ...': pointing and moments per scan."""
    hits = {}
    for (scan, _), sample in samples.items():
        hits.setdefault(scan, []).append(1 if sample["pointing"] >= 1 else 0)
    line = "  ".join(f"{scan} {100 * mean(values):.1f}% ({len(values)})" for scan, values in sorted(hits.items()))
    low, high = scan_bootstrap(list(hits.values()))
    return line + f"  | scans resampled: 90% interval {100 * low:.1f}-{100 * high:.1f}%"


def scan_bootstrap(scans, rounds=2000, seed=1):
    """5th and 95th percentile of the pooled pointing when whole scans are drawn with replacement."""
    generator = random.Random(seed)
    pooled = []
    for _ in range(rounds):
        drawn = [scans[generator.randrange(len(scans))] for _ in scans]
        pooled.append(sum(map(sum, drawn)) / sum(map(len, drawn)))
    pooled.sort()
    return pooled[int(0.05 * rounds)], pooled[int(0.95 * rounds) - 1]


def summarise(out_dir, anatomy=False, scans=False):
    runs_dir = os.path.join(out_dir, "localise")
    for run in sorted(os.listdir(runs_dir)):
        if run.endswith("-ctl") or run.endswith("-mismatched-audio"):
            continue
        own = load(os.path.join(runs_dir, run))
        if not own:
            continue
        line = f"{run:28s} n={len(own)} pointing {100 * mean([s['pointing'] for s in own.values()]):5.1f}%  "
        grid = [s["gridPointing"] for s in own.values() if s.get("gridPointing") is not None]
        if len(grid) == len(own):  # recorded since 2026-12-04 (twenty-fifth session)
            line += f"on 14x14 {100 * mean(grid):5.1f}%  "
        standard = [s["standardPointing"] for s in own.values() if s.get("standardPointing") is not None]
        if len(standard) == len(own):  # recorded since 2026-12-07 (forty-third session)
            line += f"within 15 px {100 * mean(standard):5.1f}%  "
        line += f"CC {mean([s['cc'] for s in own.values() if s.get('cc') is not None]):+.3f}"
        for suffix in ("-ctl", "-mismatched-audio"):
            other = load(os.path.join(runs_dir, run + suffix))
            if not other:
                continue
            shared = [key for key in own if key in other]
            wins = sum(1 for key in shared if own[key]["pointing"] >= 1 and other[key]["pointing"] < 1)
            losses = sum(1 for key in shared if own[key]["pointing"] < 1 and other[key]["pointing"] >= 1)
            other_standard = [s["standardPointing"] for s in other.values() if s.get("standardPointing") is not None]
            line += (f" | control {100 * mean([s['pointing'] for s in other.values()]):5.1f}% "
                     + (f"within 15 px {100 * mean(other_standard):5.1f}% " if other_standard and len(other_standard) == len(other) else "")
                     + 
                     f"CC {mean([s['cc'] for s in other.values() if s.get('cc') is not None]):+.3f}"
                     f" | own-only {wins} other-only {losses} p={sign_test(wins, losses):.3f}")
            break
        print(line)
        if anatomy:
            print(f"{'':28s} {per_anatomy(own)}")
        if scans:
            print(f"{'':28s} {per_scan(own)}")


if __name__ == "__main__":
    arguments = sys.argv[1:]
    anatomy, scans = "--per-anatomy" in arguments, "--per-scan" in arguments
    directories = [a for a in arguments if a not in ("--per-anatomy", "--per-scan")]
    if not directories:
        sys.exit(__doc__)
    for directory in directories:
        summarise(directory, anatomy, scans)
