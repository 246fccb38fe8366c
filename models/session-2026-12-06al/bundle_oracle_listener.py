"""How far is a bundle's listener from the best its own word vectors allow?

usage: python3 models/session-2026-12-06al/bundle_oracle_listener.py RUN [RUN ...]

RUN is OUT/localise/NAME of `showtell eval localise --keep-embeddings`. Each named moment's frame
is scored with: its own audio embedding (the bundle as it is); the mean audio embedding of every
moment of RUN that names the same structure (an oracle listener in the bundle's own space: it
reads the transcript and the masks' structure names, so it is a bound, never a method); and one
mean audio embedding for all moments (the map without the speech). Per structure: own / oracle
hits / moments. numpy only.
"""
import glob
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from localise_bottleneck import read_safetensors  # noqa: E402


def named_moments(run):
    """[(structure, audio [D], video [D, S], mask [S] bool)] over the run's scored moments."""
    out = []
    paths = sorted(glob.glob(os.path.join(run, "scan-*.json")))
    if not paths:
        sys.exit(f"{run}: no scan-*.json (give OUT/localise/NAME of an `eval localise --keep-embeddings` run)")
    for path in paths:
        with open(path) as f:
            samples = json.load(f)
        kept = read_safetensors(path[:-len(".json")] + ".safetensors")
        video = kept["video"].reshape(kept["video"].shape[0], kept["video"].shape[1], -1)
        masks = kept["mask"].reshape(len(samples), -1) > 0
        out += [(s["structure"], kept["audio"][i], video[i], masks[i]) for i, s in enumerate(samples) if s.get("pointing") is not None]
    return out


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for run in sys.argv[1:]:
        moments = named_moments(run)
        words = sorted({w for w, *_ in moments})
        word_mean = {w: np.mean([a for x, a, _, _ in moments if x == w], 0) for w in words}
        overall = np.mean([a for _, a, _, _ in moments], 0)

        def hit(vector, video, mask):
            return bool(mask[int(np.argmax(vector @ video))])
        own = [hit(a, v, m) for _, a, v, m in moments]
        oracle = [hit(word_mean[w], v, m) for w, _, v, m in moments]
        fixed = [hit(overall, v, m) for _, _, v, m in moments]
        print(f"{run}: {len(moments)} moments; own audio {100 * np.mean(own):.1f} %, the word's mean audio (oracle) "
              f"{100 * np.mean(oracle):.1f} %, one mean audio {100 * np.mean(fixed):.1f} %")
        print("  own / oracle / moments: " + "  ".join(
            f"{w} {sum(o for (x, *_), o in zip(moments, own) if x == w)}/{sum(o for (x, *_), o in zip(moments, oracle) if x == w)}"
            f"/{sum(1 for x, *_ in moments if x == w)}" for w in words))


if __name__ == "__main__":
    main()
