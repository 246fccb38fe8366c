#!/usr/bin/env python3
"""Adapts pocketsphinx's US English acoustic model to the training voices (MAP adaptation).

Why: Debian's pocketsphinx-en-us model hears espeak-ng's voices in a room badly (word error
rate 80-87 %, anatomy keywords recalled 35-42 %), so `showtell prep` taught training with
mostly wrong words. The standard fix is acoustic adaptation (CMU Sphinx "Adapting the default
acoustic model": sphinx_fe -> bw -> map_adapt) on speech of the people the recogniser will hear.

What it reads (no ground truth of any recording, no phantom sentence template or phrase list):
- text: random sequences of general English words (the most frequent words of the GloVe
  extract that the CMU dictionary can pronounce) with one or two spoken forms of the keyword
  dictionary inserted at random places;
- voices: espeak-ng speaking that text with the TRAINING voice pool only (the accents and
  variants of PhantomScan's `VoicePool.train`; a Swift test checks the two lists agree), so
  held-out voices stay unheard, as enrolment speech of a site's own sonographers would be;
- a room: 80 % of the utterances go through an exponential-decay impulse response (RT60
  0.2-0.7 s) and reddish broadband noise at 5-30 dB SNR (generic multi-condition training,
  not the phantom's room code), because prep hears the room microphone, not clean speech.

Then: features by sphinx_fe with the model's own feat.params, the model's 8-bit `sendump`
expanded to float mixture weights, and `--iterations` rounds of Baum-Welch statistics (bw)
followed by MAP re-estimation (map_adapt) of means, variances, mixture weights and transition
matrices, each round starting from the previous one.

Usage (./build.sh adapt-asr runs it; about 6 minutes on one core for 1600 utterances):
    python3 models/tools/adapt_acoustic_model.py --out DIR [--utterances 1600] [--iterations 2] [--seed 5]
        [--keyword-sampling form|anatomy] [--keywords-per-utterance 1,2]   (README "prep": what each gave)
    showtell prep SESSIONS... --acoustic-model DIR --out DATASET
Needs: espeak-ng, sphinxbase-utils (sphinx_fe), sphinxtrain (bw, map_adapt), pocketsphinx
(pocketsphinx_mdef_convert), pocketsphinx-en-us; numpy and scipy. Deterministic for a seed.
Writes DIR/{mdef, feat.params, noisedict, means, variances, mixture_weights,
transition_matrices, adaptation.json}; the work folder DIR.work is removed unless --keep-work.
"""
import argparse, json, os, random, re, shutil, struct, subprocess, sys, tomllib
import numpy as np
import scipy.io.wavfile as wavfile
import scipy.signal as signal

# PhantomScan VoicePool.train (Sources/PhantomScan/Narration/VoiceCasting.swift): every accent and
# variant except the held-out ones. Tests/PhantomScanTests/VoicePoolTests.swift compares.
TRAIN_ACCENTS = ["en", "en-us", "en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-us-nyc"]
TRAIN_VARIANTS = ["f1", "f2", "f3", "m1", "m2", "m3", "m5", "m7"]

BASE_MODEL = "/usr/share/pocketsphinx/model/en-us/en-us"
CMU_DICTIONARY = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict"
SPHINXTRAIN = "/usr/lib/sphinxtrain"
RATE = 16000


def fail(message):
    sys.exit(f"adapt_acoustic_model: {message}")


def run(command, log):
    with open(log, "w") as out:
        done = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        fail(f"{os.path.basename(command[0])} failed (exit {done.returncode}); see {log}")


def read_pronunciations(path):
    """CMU-format dictionary -> {word: [phones, ...]} (alternates "word(2)" folded in)."""
    entries = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.split()
            if len(parts) < 2 or parts[0].startswith(";;"):
                continue
            word = re.sub(r"\(\d+\)$", "", parts[0].lower())
            entries.setdefault(word, []).append(" ".join(parts[1:]))
    return entries


def read_keywords(path, cmu):
    """The keyword dictionary's spoken forms, and its extra pronunciations merged into `cmu`."""
    try:
        with open(path, "rb") as f:
            table = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as error:
        fail(f"{path}: {error}")
    for word, phones in table.get("pronunciations", {}).items():
        for p in [phones] if isinstance(phones, str) else phones:
            if p not in cmu.setdefault(word.lower(), []):
                cmu[word.lower()].append(p)
    groups = [sorted({form.lower() for form in spoken if all(w in cmu for w in form.lower().split())})
              for _, spoken in sorted(table.get("anatomy", {}).items())]
    groups = [g for g in groups if g]
    if not groups:
        fail(f"{path}: no keyword form the dictionary can pronounce")
    return groups


def general_words(word_vectors, cmu, count):
    """The most frequent alphabetic words of a frequency-ordered word2vec text file."""
    words = []
    with open(word_vectors, encoding="utf-8") as f:
        next(f)  # "N D" header
        for line in f:
            word = line.split(" ", 1)[0]
            if word.isalpha() and word in cmu:
                words.append(word)
                if len(words) == count:
                    break
    if len(words) < 100:
        fail(f"{word_vectors}: only {len(words)} pronounceable words")
    return words


def through_a_room(speech, rng):
    """Reverberation (exponential-decay noise impulse response) and reddish broadband noise."""
    rt60 = rng.uniform(0.2, 0.7)
    length = int(RATE * rt60)
    response = rng.standard_normal(length) * np.exp(-6.9 * np.arange(length) / length)
    response *= rng.uniform(0.3, 1.0) / np.sqrt(np.sum(response ** 2))
    response[0] = 1.0  # the direct path
    wet = signal.fftconvolve(speech, response)[: len(speech) + RATE // 4]
    noise = signal.lfilter([1, -1], [1, -0.98], np.cumsum(rng.standard_normal(len(wet))))
    snr_db = rng.uniform(5, 30)
    noise *= np.sqrt(np.mean(wet ** 2) / np.mean(noise ** 2) / 10 ** (snr_db / 10))
    return wet + noise


def synthesise(args, work, cmu):
    groups = read_keywords(args.keywords, cmu)
    keyword_forms = sorted({form for group in groups for form in group})
    vocabulary = general_words(args.word_vectors, cmu, args.vocabulary)
    rnd = random.Random(args.seed)
    rng = np.random.default_rng(args.seed)
    # "form": every spoken form equally often (anatomies with many synonyms get more);
    # "anatomy": an anatomy first, then one of its forms (short single forms such as "nose" more often).
    pick_keyword = (lambda: rnd.choice(rnd.choice(groups))) if args.keyword_sampling == "anatomy" else (lambda: rnd.choice(keyword_forms))
    # 1,2 keeps the original draw (one keyword twice as often as two: seed-5 models stay
    # byte-identical); other ranges are uniform.
    low, high = args.keywords_per_utterance
    counts = [1, 1, 2] if (low, high) == (1, 2) else list(range(low, high + 1))
    os.makedirs(f"{work}/wav", exist_ok=True)
    ids, lines, used = [], [], set()
    for i in range(args.utterances):
        words = [rnd.choice(vocabulary) for _ in range(rnd.randint(5, 9))]
        for _ in range(rnd.choice(counts)):
            words.insert(rnd.randint(0, len(words)), pick_keyword())
        text = " ".join(words)
        voice = f"{rnd.choice(TRAIN_ACCENTS)}+{rnd.choice(TRAIN_VARIANTS)}"
        uid = f"u{i:05d}"
        raw = f"{work}/espeak.wav"
        done = subprocess.run(["espeak-ng", "-v", voice, "-s", str(rnd.randint(145, 180)),
                               "-p", str(rnd.randint(35, 65)), "-w", raw, text], capture_output=True)
        if done.returncode != 0:
            fail(f"espeak-ng -v {voice} failed: {done.stderr.decode().strip()}")
        rate, samples = wavfile.read(raw)
        speech = signal.resample_poly(samples.astype(np.float64), RATE // 100, rate // 100)
        if rnd.random() < 0.8:
            speech = through_a_room(speech, rng)
        speech *= 0.5 * 32767 / max(1.0, np.max(np.abs(speech)))
        wavfile.write(f"{work}/wav/{uid}.wav", RATE, speech.astype(np.int16))
        ids.append(uid)
        lines.append(f"<s> {' '.join(text.split())} </s> ({uid})")
        used.update(text.split())
        if (i + 1) % 200 == 0:
            print(f"  synthesised {i + 1}/{args.utterances}", flush=True)
    os.remove(f"{work}/espeak.wav")
    with open(f"{work}/adapt.fileids", "w") as f:
        f.write("\n".join(ids) + "\n")
    with open(f"{work}/adapt.transcription", "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(f"{work}/adapt.dict", "w") as f:
        for word in sorted(used):
            for n, phones in enumerate(cmu[word]):
                f.write(f"{word if n == 0 else f'{word}({n + 1})'} {phones}\n")
    return {"general_words": len(vocabulary), "keyword_forms": len(keyword_forms), "distinct_words": len(used)}


def expand_sendump(source, destination):
    """pocketsphinx's 8-bit quantised mixture weights -> a Sphinx-III float mixture_weights file.
    sendump: length-prefixed header strings, then (unless the header gives them) the codeword and
    senone counts, then per feature stream per codeword one byte per senone, each the weight's
    -log base 1.0001 shifted right by mixw_shift."""
    with open(source, "rb") as f:
        data = f.read()
    order = "<I" if struct.unpack("<I", data[:4])[0] <= 65536 else ">I"
    offset, header = 0, {}

    def string():
        nonlocal offset
        n = struct.unpack(order, data[offset:offset + 4])[0]
        offset += 4
        text = data[offset:offset + n][:-1].decode() if n else None
        offset += n
        return text

    string()  # title
    while (line := string()) is not None:
        key, _, value = line.partition(" ")
        header[key] = value.strip()
    if int(header.get("cluster_count", "0") or 0) != 0:
        fail(f"{source}: clustered sendump files are not supported")
    streams = int(header["feature_count"])
    codewords = int(header.get("model_count", 0) or 0)
    senones = int(header.get("mixture_count", 0) or 0)
    if codewords == 0 or senones == 0:
        codewords, senones = struct.unpack(order[0] + "II", data[offset:offset + 8])
        offset += 8
    shift = int(header.get("mixw_shift", 10))
    size = streams * codewords * senones
    if len(data) - offset < size:
        fail(f"{source}: truncated ({len(data) - offset} of {size} weight bytes)")
    quantised = np.frombuffer(data, dtype=np.uint8, count=size, offset=offset).reshape(streams, codewords, senones)
    weights = np.power(1.0001, -(quantised.astype(np.float64) * (1 << shift)))
    weights = np.ascontiguousarray(np.transpose(weights, (2, 0, 1)), dtype=np.float32)  # [senone, stream, codeword]
    head = b"s3\nversion 1.0\n"
    pad = (len(head) + len(b"endhdr\n")) & 3
    head += (b" " * (4 - pad) if pad else b"") + b"endhdr\n"
    with open(destination, "wb") as f:
        f.write(head + struct.pack("=i", 0x11223344) + struct.pack("=IIII", senones, streams, codewords, size))
        weights.tofile(f)


def adapt_round(base, out, work, round_index):
    accumulated = f"{work}/accum{round_index}"
    os.makedirs(accumulated, exist_ok=True)
    os.makedirs(out, exist_ok=True)
    log = f"{work}/bw{round_index}.log"
    run([f"{SPHINXTRAIN}/bw", "-hmmdir", base, "-moddeffn", f"{base}/mdef.txt", "-ts2cbfn", ".ptm.",
         "-feat", "1s_c_d_dd", "-svspec", "0-12/13-25/26-38", "-cmn", "batch", "-agc", "none",
         "-abeam", "1e-120", "-bbeam", "1e-120", "-dictfn", f"{work}/adapt.dict", "-fdictfn", f"{base}/noisedict",
         "-ctlfn", f"{work}/adapt.fileids", "-lsnfn", f"{work}/adapt.transcription", "-cepdir", f"{work}/mfc",
         "-accumdir", accumulated], log)
    with open(log) as f:
        ignored = sum(1 for line in f if line.rstrip().endswith("ignored"))
    for name in ["mdef", "mdef.txt", "feat.params", "noisedict"]:
        if os.path.abspath(base) != os.path.abspath(out):
            shutil.copy(f"{base}/{name}", f"{out}/{name}")
    run([f"{SPHINXTRAIN}/map_adapt", "-moddeffn", f"{base}/mdef.txt", "-ts2cbfn", ".ptm.",
         "-meanfn", f"{base}/means", "-varfn", f"{base}/variances", "-mixwfn", f"{base}/mixture_weights",
         "-tmatfn", f"{base}/transition_matrices", "-accumdir", accumulated,
         "-mapmeanfn", f"{out}/means", "-mapvarfn", f"{out}/variances", "-mapmixwfn", f"{out}/mixture_weights",
         "-maptmatfn", f"{out}/transition_matrices"], f"{work}/map{round_index}.log")
    return ignored


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="adapted model folder to write")
    parser.add_argument("--utterances", type=int, default=1600)
    parser.add_argument("--iterations", type=int, default=2)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--vocabulary", type=int, default=2500, help="general words drawn from")
    parser.add_argument("--keywords", default="models/keywords.toml")
    parser.add_argument("--keyword-sampling", choices=["form", "anatomy"], default="form",
                        help="draw keyword forms uniformly, or an anatomy first and then one of its forms")
    parser.add_argument("--keywords-per-utterance", type=lambda v: tuple(int(x) for x in v.split(",")), default=(1, 2),
                        metavar="MIN,MAX", help="keyword forms inserted per utterance (default 1,2: one twice as often as two)")
    parser.add_argument("--word-vectors", default="models/glove-6b-50d-showtell.txt")
    parser.add_argument("--base", default=BASE_MODEL, help="pocketsphinx PTM model folder")
    parser.add_argument("--keep-work", action="store_true")
    args = parser.parse_args()
    if args.utterances < 1 or args.iterations < 1:
        fail("--utterances and --iterations must be at least 1")
    counts = args.keywords_per_utterance
    if len(counts) != 2 or not 0 <= counts[0] <= counts[1]:
        fail(f"--keywords-per-utterance {','.join(map(str, counts))}: give MIN,MAX with 0 <= MIN <= MAX (e.g. 1,2)")
    for tool in ["espeak-ng", "sphinx_fe", "pocketsphinx_mdef_convert", f"{SPHINXTRAIN}/bw", f"{SPHINXTRAIN}/map_adapt"]:
        if shutil.which(tool) is None:
            fail(f"{tool} is missing (./build.sh deps installs espeak-ng, sphinxbase-utils, pocketsphinx, sphinxtrain)")
    for name in ["mdef", "means", "variances", "sendump", "transition_matrices", "feat.params", "noisedict"]:
        if not os.path.exists(f"{args.base}/{name}"):
            fail(f"{args.base}/{name} is missing (install pocketsphinx-en-us)")

    out = args.out.rstrip("/")
    work = out + ".work"
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    cmu = read_pronunciations(CMU_DICTIONARY)
    print(f"synthesising {args.utterances} utterances (training voices, 80 % through a room)", flush=True)
    corpus = synthesise(args, work, cmu)
    os.makedirs(f"{work}/mfc")
    run(["sphinx_fe", "-argfile", f"{args.base}/feat.params", "-samprate", str(RATE), "-c", f"{work}/adapt.fileids",
         "-di", f"{work}/wav", "-do", f"{work}/mfc", "-ei", "wav", "-eo", "mfc", "-mswav", "yes"], f"{work}/fe.log")

    base = f"{work}/round0"
    os.makedirs(base)
    for name in ["mdef", "means", "variances", "transition_matrices", "feat.params", "noisedict"]:
        shutil.copy(f"{args.base}/{name}", f"{base}/{name}")
    expand_sendump(f"{args.base}/sendump", f"{base}/mixture_weights")
    run(["pocketsphinx_mdef_convert", "-text", f"{args.base}/mdef", f"{base}/mdef.txt"], f"{work}/mdef.log")

    staged = out + ".partial"
    shutil.rmtree(staged, ignore_errors=True)
    ignored = []
    for n in range(1, args.iterations + 1):
        target = staged if n == args.iterations else f"{work}/round{n}"
        ignored.append(adapt_round(base, target, work, n))
        print(f"  round {n}: {args.utterances - ignored[-1]} of {args.utterances} utterances aligned", flush=True)
        base = target
    os.remove(f"{staged}/mdef.txt")
    report = {"format": "showtell-acoustic-adaptation", "base_model": args.base, "method": "MAP (sphinxtrain bw + map_adapt)",
              "iterations": args.iterations, "utterances": args.utterances, "unaligned_per_round": ignored,
              "seed": args.seed, "voices": {"accents": TRAIN_ACCENTS, "variants": TRAIN_VARIANTS},
              "room_share": 0.8, "text": "random general-English word sequences + keyword forms", **corpus,
              "keyword_sampling": args.keyword_sampling, "keywords_per_utterance": list(args.keywords_per_utterance),
              "keywords": args.keywords, "word_vectors": args.word_vectors}
    with open(f"{staged}/adaptation.json", "w") as f:
        json.dump(report, f, indent=2)
    shutil.rmtree(out, ignore_errors=True)
    os.rename(staged, out)  # complete or absent
    if not args.keep_work:
        shutil.rmtree(work)
    print(f"adapted model -> {out}")


if __name__ == "__main__":
    main()
