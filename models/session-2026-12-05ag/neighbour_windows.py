"""Would the map point better with the audio of a neighbouring window (one that may hold more of the
named word) or with several windows' audio summed?

usage: python3 models/session-2026-12-05ag/neighbour_windows.py RUN

RUN is OUT/localise/NAME of `showtell eval localise --keep-embeddings` (moments every 0.25 s, so a
moment's neighbours are the windows 0.25 s and 0.5 s before and after it, when they hold
sonographer speech; otherwise the moment's own window stands in). Each named moment's frame is
scored with: its own window's audio, the previous or next window's, sums of two, three or five
windows' audio vectors (the box would show the map 0.25-0.5 s later for the ones that look
ahead), the window of three whose audio vector lies farthest from the run's mean audio vector (a
label-free "most specific" pick), and, as a ceiling that needs the mask, the best of three.
Ground truth only measures. numpy only.
"""
import glob
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from localise_bottleneck import read_safetensors  # noqa: E402

STEP = 0.25


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    paths = sorted(glob.glob(os.path.join(sys.argv[1], "scan-*.json")))
    if not paths:
        sys.exit(f"{sys.argv[1]}: no scan-*.json (give OUT/localise/NAME of an `eval localise --keep-embeddings` run)")
    scans = []
    for path in paths:
        with open(path) as f:
            samples = json.load(f)
        kept = read_safetensors(path[:-len(".json")] + ".safetensors")
        video = kept["video"].reshape(kept["video"].shape[0], kept["video"].shape[1], -1)
        scans.append((samples, kept["audio"], video, kept["mask"].reshape(len(samples), -1) > 0))
    mean_audio = np.concatenate([audio for _, audio, _, _ in scans]).mean(0)
    rules = ["own window", "previous window (0.25 s before)", "next window (0.25 s after)",
             "previous + own", "own + next", "previous + own + next", "five windows (-0.5 to +0.5 s)",
             "farthest from the mean of previous, own, next", "ceiling: best of previous, own, next (needs the mask)"]
    hits = {rule: [] for rule in rules}
    for samples, audio, video, masks in scans:
        row = {round(s["time"], 3): i for i, s in enumerate(samples)}
        for i, sample in enumerate(samples):
            if sample.get("pointing") is None:
                continue

            def near(steps):
                j = row.get(round(sample["time"] + steps * STEP, 3))
                return audio[j] if j is not None else audio[i]

            def hit(vector):
                return float(masks[i][int(np.argmax(vector @ video[i]))])

            before2, before, own, after, after2 = (near(k) for k in (-2, -1, 0, 1, 2))
            three = [before, own, after]
            scores = [hit(own), hit(before), hit(after), hit(before + own), hit(own + after), hit(sum(three)),
                      hit(before2 + before + own + after + after2),
                      hit(max(three, key=lambda a: np.linalg.norm(a - mean_audio))), max(hit(a) for a in three)]
            for rule, score in zip(rules, scores):
                hits[rule].append(score)
    for rule in rules:
        print(f"{rule:55s} {100 * np.mean(hits[rule]):5.1f} %  ({len(hits[rule])} moments)")


if __name__ == "__main__":
    main()
