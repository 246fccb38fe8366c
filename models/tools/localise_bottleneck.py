"""Where does a bundle's pointing game get lost: in the video features or in the audio?

usage: python3 models/tools/localise_bottleneck.py TRAIN_RUN HELDOUT_RUN

Each RUN is a work folder of `showtell eval localise --keep-embeddings` (OUT/localise/NAME),
one on the training scans and one on the held-out scans, made with the same bundle. From the
kept audio embeddings a [n, D], video maps V [n, D, H, W] and scored masks it reports, over the
moments that name a structure on screen:

1. bundle map: <a, V> (must equal the pointing `eval localise` recorded);
2. prior: the map made with the mean audio embedding of the training moments, the same for
   every moment (what the map shows without listening);
3. listening: how far each audio embedding is from that mean, and a linear probe (softmax
   regression) from the audio embedding to the named structure, fitted on the training moments
   and scored on the held-out ones, next to always guessing the most frequent structure;
4. features: a per-structure direction in the video space (mean of the training moments' cells
   inside the named structure's mask minus the mean of the cells outside), queried with the
   true name on the held-out moments: what these video features give a listener that always
   knows the word and has one vector per word.

Ground truth (names and masks) is used here only to measure; nothing goes back into training.
numpy only.
"""
import glob
import json
import os
import sys

import numpy as np


def read_safetensors(path):
    """{name: array} of a safetensors file (F32 tensors)."""
    with open(path, "rb") as f:
        size = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(size))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", f"{path}: {name} is {info['dtype']}, expected F32"
        start, end = info["data_offsets"]
        out[name] = np.frombuffer(data[start:end], dtype="<f4").reshape(info["shape"])
    return out


def load_moments(run_dir):
    """Named moments of one run: {keys: (scan, time), names, recorded pointing, audio a [n, D], video V [n, D, C], masks [n, C]}."""
    keys, names, recorded, audio, video, masks = [], [], [], [], [], []
    paths = sorted(glob.glob(os.path.join(run_dir, "scan-*.json")))
    if not paths:
        sys.exit(f"{run_dir}: no scan-*.json (give OUT/localise/NAME of an `eval localise --keep-embeddings` run)")
    for path in paths:
        kept = path[:-len(".json")] + ".safetensors"
        if not os.path.exists(kept):
            sys.exit(f"{kept} is missing: run `showtell eval localise` again with --keep-embeddings")
        with open(path) as f:
            samples = json.load(f)
        tensors = read_safetensors(kept)
        a, v, m = tensors["audio"], tensors["video"], tensors["mask"]
        assert len(samples) == len(a) == len(v) == len(m), f"{kept}: {len(a)} moments for {len(samples)} samples"
        for k, sample in enumerate(samples):
            if sample.get("pointing") is None:
                continue
            keys.append((sample["scan"], round(sample["time"], 3)))
            names.append(sample["structure"])
            recorded.append(sample["pointing"])
            audio.append(a[k])
            video.append(v[k].reshape(v.shape[1], -1))
            masks.append(m[k].reshape(-1) > 0)
    return {"keys": keys, "names": names, "recorded": np.array(recorded), "audio": np.array(audio),
            "video": np.array(video), "masks": np.array(masks)}


def load(run_dir):
    """Named moments of one run: structure names, recorded pointing, a [n, D], V [n, D, C], masks [n, C]."""
    m = load_moments(run_dir)
    return m["names"], m["recorded"], m["audio"], m["video"], m["masks"]


def pointing(maps, masks):
    """Per moment: share of the map's tied maxima on the mask (as LocalisationMetrics.pointingGame)."""
    peaks = maps == maps.max(axis=1, keepdims=True)
    return (peaks & masks).sum(axis=1) / peaks.sum(axis=1)


def structure_direction(video, masks):
    """One structure's direction in the video space from its moments (V [n, D, C], masks [n, C]):
    the mean over moments of the mean cell inside the mask minus the mean over moments of the mean cell outside."""
    inside = np.array([v[:, m].mean(1) for v, m in zip(video, masks)])
    outside = np.array([v[:, ~m].mean(1) for v, m in zip(video, masks) if (~m).any()])
    return inside.mean(0) - outside.mean(0)


def per_structure(names, hits):
    totals = {}
    for name, hit in zip(names, hits):
        totals.setdefault(name, []).append(hit)
    ordered = sorted(totals.items(), key=lambda item: (-len(item[1]), item[0]))
    return "  ".join(f"{name} {sum(v):.0f}/{len(v)}" for name, v in ordered)


def linear_probe(x_train, y_train, x_test, classes, steps=2000, rate=0.1, decay=1e-3):
    """Softmax regression on standardised features by full-batch gradient descent."""
    mean, std = x_train.mean(0), x_train.std(0) + 1e-6
    xs, xt = (x_train - mean) / std, (x_test - mean) / std
    w, b = np.zeros((xs.shape[1], classes)), np.zeros(classes)
    onehot = np.eye(classes)[y_train]
    for _ in range(steps):
        z = xs @ w + b
        z -= z.max(1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(1, keepdims=True)
        g = (p - onehot) / len(xs)
        w -= rate * (xs.T @ g + 2 * decay * w)
        b -= rate * g.sum(0)
    return (xs @ w + b).argmax(1), (xt @ w + b).argmax(1)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    train, held = load(sys.argv[1]), load(sys.argv[2])
    (tn, trec, ta, tv, tm), (hn, hrec, ha, hv, hm) = train, held
    print(f"moments naming a structure on screen: training {len(tn)}, held-out {len(hn)}")

    shipped = pointing(np.einsum("nd,ndc->nc", ha, hv), hm)
    assert np.allclose(shipped, hrec), "the kept embeddings do not give the recorded pointing"
    print(f"1 bundle map <a, V>:        held-out {100 * shipped.mean():5.1f} %  "
          f"(training {100 * pointing(np.einsum('nd,ndc->nc', ta, tv), tm).mean():.1f} %)")
    print(f"  {per_structure(hn, shipped)}")

    mean_audio = ta.mean(0)
    prior = pointing(np.einsum("d,ndc->nc", mean_audio, hv), hm)
    print(f"2 prior (mean audio):       held-out {100 * prior.mean():5.1f} %")

    spread = np.linalg.norm(ta - mean_audio, axis=1).mean() / np.linalg.norm(mean_audio)
    classes = sorted(set(tn) | set(hn))
    index = {name: i for i, name in enumerate(classes)}
    ytrain, yheld = np.array([index[n] for n in tn]), np.array([index[n] for n in hn])
    fit, guess = linear_probe(ta, ytrain, ha, len(classes))
    majority = np.bincount(ytrain, minlength=len(classes)).argmax()
    print(f"3 listening: |a - mean| / |mean| = {spread:.3f}; linear probe audio -> named structure: "
          f"training {100 * (fit == ytrain).mean():.1f} %, held-out {100 * (guess == yheld).mean():.1f} % "
          f"(most frequent '{classes[majority]}': {100 * (yheld == majority).mean():.1f} %)")

    directions = {}
    for name in set(tn):
        rows = [k for k, n in enumerate(tn) if n == name]
        directions[name] = structure_direction(tv[rows], tm[rows])
    maps = np.array([directions[n] @ v if n in directions else np.zeros(v.shape[1]) for n, v in zip(hn, hv)])
    known = pointing(maps, hm)
    print(f"4 features (one direction per named structure, true name): held-out {100 * known.mean():5.1f} %")
    print(f"  {per_structure(hn, known)}")


if __name__ == "__main__":
    main()
