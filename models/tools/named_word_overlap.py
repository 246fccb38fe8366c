"""How much of the named word does a moment's audio window hold, and does the map point better when it holds more?

usage: python3 models/tools/named_word_overlap.py SCANS_DIR RUN [CONTROL_RUN]

RUN is OUT/localise/NAME of `showtell eval localise` on the scans in SCANS_DIR (a `showtell synth`
folder: each scan's transcript.vtt has the sonographer's words with their times). A moment at t is
scored when a sonographer word overlapping its window [t - 0.3, t + 0.3] names a structure on
screen; the word may lie wholly inside the window or only touch its edge. Per moment this finds the
named structure's words (its spoken form, e.g. "pulmonary artery") and the share of their duration
inside the window (the best occurrence), then prints pointing by that share. With CONTROL_RUN (the
same bundle with `--mismatched-audio`: each moment's map made with another moment's audio) the
control's pointing on the same moments is printed beside it: the difference is what the moment's
own audio adds, the rest is what the picture alone gives.

Ground truth (the transcript) is used here only to measure. Standard library and numpy.
"""
import glob
import json
import os
import re
import sys

import numpy as np

HALF = 0.3
BINS = [(0.0, 0.25, "under 1/4"), (0.25, 0.5, "1/4 to 1/2"), (0.5, 0.75, "1/2 to 3/4"),
        (0.75, 0.999, "3/4 to whole"), (0.999, 1.01, "whole word")]
CUE = re.compile(r"(\d+):(\d\d):(\d\d\.\d+) --> (\d+):(\d\d):(\d\d\.\d+)")
VOICE = re.compile(r"<v ([^>]+)>(.*)</v>")


def seconds(h, m, s):
    return int(h) * 3600 + int(m) * 60 + float(s)


def sonographer_words(path):
    """[(start, end, token)] of the sonographer's words, tokens lower-case letters only."""
    words, lines = [], open(path, encoding="utf-8").read().split("\n")
    for i, line in enumerate(lines[:-1]):
        cue = CUE.match(line)
        voice = VOICE.match(lines[i + 1]) if cue else None
        if voice and voice[1] == "sonographer":
            token = "".join(c for c in voice[2].lower() if c.isalpha())
            words.append((seconds(*cue.groups()[:3]), seconds(*cue.groups()[3:]), token))
    return words


def spoken(structure):
    """The evaluation's spoken form of a structure (AnatomyName.spoken)."""
    return {"pulmonary_artery": ["pulmonary", "artery"], "ventricles_brain": ["ventricles"],
            "umbilical_vein": ["umbilical", "vein"]}.get(structure, structure.split("_"))


def share_inside(words, structure, time):
    """Largest share of an occurrence of the structure's words inside the window, or None."""
    phrase, best = spoken(structure), None
    for k in range(len(words) - len(phrase) + 1):
        if [w[2] for w in words[k:k + len(phrase)]] != phrase:
            continue
        start, end = words[k][0], words[k + len(phrase) - 1][1]
        inside = max(0.0, min(end, time + HALF) - max(start, time - HALF)) / max(end - start, 1e-6)
        best = inside if best is None else max(best, inside)
    return best


def scored(run_dir):
    """{(scan, time): (structure, pointing)} over a run's moments that name a structure on screen."""
    paths = sorted(glob.glob(os.path.join(run_dir, "scan-*.json")))
    if not paths:
        sys.exit(f"{run_dir}: no scan-*.json (give OUT/localise/NAME of a `showtell eval localise` run)")
    out = {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for s in json.load(f):
                if s.get("pointing") is not None:
                    out[(s["scan"], round(s["time"], 3))] = (s["structure"], s["pointing"])
    return out


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    scans, run = sys.argv[1], scored(sys.argv[2])
    control = scored(sys.argv[3]) if len(sys.argv) == 4 else None
    if control is not None and set(control) != set(run):
        sys.exit(f"{sys.argv[3]}: not the same moments as {sys.argv[2]} (same dataset, same --every?)")
    transcripts = {}
    rows = []  # (share, own, control)
    for (scan, time), (structure, hit) in sorted(run.items()):
        if scan not in transcripts:
            vtt = os.path.join(scans, scan, "transcript.vtt")
            if not os.path.exists(vtt):
                sys.exit(f"{vtt} is missing: SCANS_DIR must be the folder the run was evaluated on")
            transcripts[scan] = sonographer_words(vtt)
        share = share_inside(transcripts[scan], structure, time)
        if share is None:
            sys.exit(f"{scan} at {time} s: no '{' '.join(spoken(structure))}' in the transcript near the window")
        rows.append((share, hit, control[(scan, time)][1] if control else np.nan))
    rows = np.array(rows, dtype=float)
    print(f"{len(rows)} moments naming a structure on screen; pointing {100 * rows[:, 1].mean():.1f} %"
          + (f", control {100 * rows[:, 2].mean():.1f} %" if control else ""))
    print("share of the named word inside the window | moments | pointing" + (" | control | own audio adds" if control else ""))
    for low, high, label in BINS:
        sel = rows[(rows[:, 0] >= low) & (rows[:, 0] < high)]
        if len(sel) == 0:
            continue
        line = f"{label:12s} | {len(sel):5d} | {100 * sel[:, 1].mean():5.1f} %"
        if control:
            line += f" | {100 * sel[:, 2].mean():5.1f} % | {100 * (sel[:, 1].mean() - sel[:, 2].mean()):+5.1f}"
        print(line)


if __name__ == "__main__":
    main()
