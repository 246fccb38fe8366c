"""What `./build.sh train-shipped` needs to retrain a shipped bundle from its manifest.

  reproduce_shipped.py teachers MANIFEST OUT   the bundles the training read (its teachers, its video
      initialisation, its keyword space), found in this repository's history by the SHA-256 the
      manifest records and written to OUT/NAME; prints their `showtell train` arguments
  reproduce_shipped.py recorded OUT            the bundles `./build.sh train-chain`'s stages retrain
      (CHAIN below), from history by checksum, written to OUT/NAME for its settings checks
  reproduce_shipped.py weights SHIPPED NEW     whether the two bundles' weights are the same bytes
  reproduce_shipped.py check RECORDED NEW      NEW's training configuration against RECORDED's (paths,
      data and input checksums aside; exit 1 when a setting differs) and whether the weights are the
      same bytes
  reproduce_shipped.py video RECORDED CHECKPOINT  whether a video-cells run's checkpoint-video.safetensors
      holds the same learned weights as RECORDED's frozen video branch (train-chain's stage 1 against
      the recorded first teacher); reported, not a failure: another draw is still the recipe

Every earlier bundle was committed as models/edge-full, so `git log` of that file holds them all.
A teacher whose checksum no commit has is an error that names it: the retrained bundle would not be
the shipped one's recipe.
"""
import hashlib
import json
import os
import re
import struct
import subprocess
import sys

BUNDLE = "models/edge-full"
# Settings that name files on the machine that trained: they differ between machines by design.
PATH_SETTINGS = {"dataset", "distill", "init_video", "keyword_directions", "word_vectors"}
# What the prepared data gives rather than what the command sets: reported, not a failure.
DATA_FACTS = {"clips", "clips_with_keyword", "clips_with_near_negative", "clips_with_separation_partner",
              "dataset_sha256", "sessions"}
# The checksums of the bundles the training read: they differ whenever those were retrained too.
INPUT_SUMS = {"distill_teachers_sha256", "keyword_space_sha256"}


def manifest(path):
    with open(path) as f:
        return json.load(f)


def configuration(manifest_path):
    return manifest(manifest_path)["training"]["configuration"]


def read_inputs(config):
    """[(path, sha256)] of the teachers in the manifest's order, and the video initialisation's and
    keyword space's paths with theirs."""
    distill = config.get("distill", "")
    paths = re.findall(r"(?:ensemble of )?([^ ,()]+/[^ ,()]+)", distill.split("(")[0])
    sums = [s.strip() for s in config.get("distill_teachers_sha256", "").split(",") if s.strip()]
    if len(paths) != len(sums):
        sys.exit(f"manifest: distill names {len(paths)} teachers but distill_teachers_sha256 has {len(sums)} checksums")
    known = dict(zip(paths, sums))
    space = re.search(r"in the space of ([^ ,]+)", config.get("keyword_directions", ""))
    if space:
        known[space.group(1)] = config["keyword_space_sha256"]
    init = config.get("init_video")
    if init and init not in known:
        sys.exit(f"manifest: init_video {init} is not one of the teachers, so its checksum is not recorded")
    return list(zip(paths, sums)), init, space.group(1) if space else None, known


def committed_bundles():
    """{sha256: commit} of every version of models/edge-full/model.safetensors in git history."""
    commits = subprocess.run(["git", "log", "--format=%H", "--", f"{BUNDLE}/model.safetensors"],
                             capture_output=True, text=True, check=True).stdout.split()
    found = {}
    for commit in commits:
        blob = subprocess.run(["git", "show", f"{commit}:{BUNDLE}/model.safetensors"], capture_output=True).stdout
        found.setdefault(hashlib.sha256(blob).hexdigest(), commit)
    return found


# The bundles `./build.sh train-chain`'s stages retrain (each once shipped), whose settings each
# stage is checked against: the eighteenth, twentieth and twenty-first sessions' teachers and the
# twenty-eighth session's bundle, the keyword space.
CHAIN = [("eighteenth", "1b94b25db85784e3084c4ac837ce72797c44578b6b17840b6decf68dc3e075d2"),
         ("twentieth", "54f26f13a735861cca9d3f41a5580723d62757e1227bffa48c943dfeac735b11"),
         ("twentyfirst", "6fafb9ed8c58391f159d534fda8097f9ac3944e908c873e6f8f57bbce8277a4c"),
         ("nn20", "256cf8c11b070e0adb26dfbc176375d5ec4a8b59cc5f9e73b3110bea4b593c37")]


def name_of(path, sha):
    # The shipped bundle's own earlier version was read as models/edge-full: name it by checksum.
    base = os.path.basename(path.rstrip("/"))
    return f"edge-full-{sha[:12]}" if base == "edge-full" else base


def restore(wanted, out):
    """Each (name, sha256) of wanted written to OUT/name from the commit of models/edge-full that has
    it (kept when already there); {name: folder}. A checksum no commit has is an error naming it."""
    history, local = committed_bundles(), {}
    for name, sha in wanted:
        target = local[name] = os.path.join(out, name)
        weights = os.path.join(target, "model.safetensors")
        if os.path.exists(weights) and hashlib.sha256(open(weights, "rb").read()).hexdigest() == sha:
            continue
        if sha not in history:
            sys.exit(f"{name}: no commit of {BUNDLE} has sha256 {sha}; restore that bundle by hand into {target}")
        os.makedirs(target, exist_ok=True)
        for file in ("model.safetensors", "manifest.json"):
            blob = subprocess.run(["git", "show", f"{history[sha]}:{BUNDLE}/{file}"], capture_output=True, check=True).stdout
            with open(os.path.join(target, file), "wb") as f:
                f.write(blob)
        print(f"{name} -> {target} (commit {history[sha][:10]}, sha256 {sha[:12]})", file=sys.stderr)
    return local


def teachers(manifest_path, out):
    ordered, init, space, known = read_inputs(configuration(manifest_path))
    local = restore([(name_of(path, sha), sha) for path, sha in known.items()], out)
    local = {path: local[name_of(path, sha)] for path, sha in known.items()}
    args = []
    if init:
        args += ["--init-video", local[init]]
    for path, _ in ordered:
        args += ["--distill-from", local[path]]
    if space:
        args += ["--keyword-space", local[space]]
    print(" ".join(args))


def weights(recorded_path, new_path):
    """One line: whether two bundles' weights are the same bytes, by their manifests' SHA-256."""
    recorded, new = manifest(recorded_path)["sha256"], manifest(new_path)["sha256"]
    return f"weights: {'the same bytes' if recorded == new else 'differ'} (sha256 {new[:12]} against {recorded[:12]})"


def check(recorded_path, new_path):
    recorded, new = configuration(recorded_path), configuration(new_path)
    moved = [k for k in sorted(set(recorded) | set(new)) if k not in PATH_SETTINGS and recorded.get(k) != new.get(k)]
    # A setting the recorded manifest lacks is an option added since: that build ran its default.
    kinds = {k: "data" if k in DATA_FACTS else "input" if k in INPUT_SUMS else "added since" if k not in recorded
             else "setting" for k in moved}
    for k in moved:
        print(f"{kinds[k]} {k}: recorded {recorded.get(k)!r}, retrained {new.get(k)!r}")
    differ = [k for k in moved if kinds[k] == "setting"]
    print(f"settings: {'the same' if not differ else f'{len(differ)} differ'} (paths aside); {weights(recorded_path, new_path)}")
    return 1 if differ else 0


def tensors(path, prefix=""):
    """{name without prefix: raw bytes} of a safetensors file's tensors whose names start with prefix."""
    with open(path, "rb") as f:
        header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
        data = f.read()
    return {name[len(prefix):]: data[t["data_offsets"][0]:t["data_offsets"][1]] for name, t in header.items()
            if name != "__metadata__" and name.startswith(prefix)}


def video(recorded_dir, checkpoint):
    """One line: the checkpoint's learned video weights against the bundle's frozen branch. Batch-norm
    running statistics are left out: they follow the batches while the heads over the frozen branch train."""
    recorded = tensors(os.path.join(recorded_dir, "model.safetensors"), "video.")
    learned = {k: v for k, v in tensors(checkpoint).items()
               if not k.startswith("optimizer.") and not k.endswith((".running_mean", ".running_var"))}
    if not learned:
        return f"video branch: {checkpoint} holds no video weights"
    differ = sorted(k for k, v in learned.items() if recorded.get(k) != v)
    if not differ:
        return (f"video branch: the recorded pre-training's weights, byte for byte ({len(learned)} tensors; "
                "batch-norm running statistics aside)")
    return (f"video branch: {len(differ)} of {len(learned)} tensors differ from the recorded pre-training's "
            f"(first {differ[0]}): another draw of it (the fortieth session's two-thread draw ended 2 points lower)")


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "teachers":
        teachers(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "recorded":
        restore(CHAIN, sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "check":
        sys.exit(check(sys.argv[2], sys.argv[3]))
    elif len(sys.argv) == 4 and sys.argv[1] == "video":
        print(video(sys.argv[2], sys.argv[3]))
    elif len(sys.argv) == 4 and sys.argv[1] == "weights":
        print(weights(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
