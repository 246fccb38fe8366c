"""The ShowTell network in plain JAX: the project's scale-out path (issue 9).

A second definition of what `Sources/NeuralCore/Model` (ResNeXt-SE with a dilated last stage)
and `Sources/ShowTellModel` (the two deployed branches, the bundle format) define in Swift,
with the same tensor names, shapes, layouts and dtypes, so a bundle written by `showtell`
loads here and a bundle written here loads in `showtell` (checked by jax_roundtrip.py).

    video:  gray8 frame -> bilinear 256x256 (half-pixel centres, no antialias) -> centre crop
            224x224 -> (x/255 - 0.2)/0.2 -> ResNeXt-SE -> [C, h, w] -> 1x1 projection -> V [D, h, w]
    audio:  log-spectrogram [256, 256] -> ResNeXt-SE (own weights) -> global mean -> linear -> a [D]
    block:  1x1 -> grouped 3x3 (stride, dilation, padding = dilation) -> 1x1 (no ReLU) -> SE
            (gap -> fc1 -> ReLU -> fc2 -> sigmoid gate) -> + shortcut (identity, or 1x1 + BN) -> ReLU
    stem:   kxk conv (stride, padding (k-1)/2) + BN + ReLU, then 3x3/2 max pool (padding 1, -inf)
    every conv is bias-free and followed by batch norm (eps 1e-5, momentum 0.1, PyTorch's rules)

Tensors are named like a PyTorch state dict: `video.stem.conv.weight` [O, I/g, k, k] (OIHW),
`video.stem.bn.{weight,bias,running_mean,running_var}`, `video.stages.S.B.{conv1,conv2,conv3,
shortcut}.*`, `video.stages.S.B.se.fc{1,2}.{weight,bias}` ([out, in]), the same under `audio.`,
`video_projection.weight` [D, C], `.bias` [D], `audio_projection.*`; all F32, in the order
ShowTellNetwork.tensors writes them. Activations here are NHWC inside the jitted functions
(XLA's CPU convolutions want it); the public results use the bundle's layouts ([D, h, w], [D]).

Functions: load_bundle, write_bundle, video_map, audio_embedding, golden, init_params,
init_training / make_train_step (the edge training step), export_params.

Versions used (pinned in .build/fixtures-venv): jax 0.10.2, jaxlib 0.10.2, numpy 2.4.6,
ml_dtypes 0.7.0, safetensors 0.8.0 (only for an independent read check), Python 3.11.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import struct
import tempfile
from functools import partial

import numpy as np

import jax
import jax.numpy as jnp
from jax import lax

# --------------------------------------------------------------------------------------------
# Configurations: NeuralCore/Model/ResNeXtConfiguration.swift

CONFIGS = {
    "tiny": dict(input_channels=1, stem_width=8, stem_kernel=3, stem_stride=1, stem_pool=False,
                 blocks=[1, 1], out_widths=[16, 32], grouped_widths=[8, 16], cardinality=4,
                 strides=[2, 1], dilations=[1, 2], se_reduction=4),
    "edge": dict(input_channels=1, stem_width=16, stem_kernel=7, stem_stride=2, stem_pool=True,
                 blocks=[1, 2, 2, 1], out_widths=[32, 64, 128, 256], grouped_widths=[16, 32, 64, 128], cardinality=8,
                 strides=[1, 2, 2, 1], dilations=[1, 1, 1, 2], se_reduction=8),
    "edge-local": dict(input_channels=1, stem_width=16, stem_kernel=7, stem_stride=2, stem_pool=True,
                       blocks=[1, 2, 2], out_widths=[32, 64, 128], grouped_widths=[16, 32, 64], cardinality=8,
                       strides=[1, 2, 2], dilations=[1, 1, 1], se_reduction=8),
    # edge-local's weights, third stage dilated (entry block undilated): the same tensors as
    # edge-local, so give its name (the manifest's backbone) where parameters alone are ambiguous.
    "edge-local-os8": dict(input_channels=1, stem_width=16, stem_kernel=7, stem_stride=2, stem_pool=True,
                           blocks=[1, 2, 2], out_widths=[32, 64, 128], grouped_widths=[16, 32, 64], cardinality=8,
                           strides=[1, 2, 1], dilations=[1, 1, 2], entry_dilations=[1, 1, 1], se_reduction=8),
    "paper": dict(input_channels=1, stem_width=64, stem_kernel=7, stem_stride=2, stem_pool=True,
                  blocks=[3, 4, 6, 3], out_widths=[256, 512, 1024, 2048], grouped_widths=[128, 256, 512, 1024], cardinality=32,
                  strides=[1, 2, 2, 1], dilations=[1, 1, 1, 2], se_reduction=16),
}

FRAME_SIZE = 224        # ShowTellNetwork.frameSize
FRAME_RESIZE = 256      # ShowTellNetwork.frameResize
SPECTROGRAM_SIZE = 256  # ShowTellNetwork.spectrogramSize
PIXEL_MEAN = 0.2
PIXEL_STD = 0.2
BN_EPS = 1e-5
BN_MOMENTUM = 0.1
FORMAT = "showtell-model/1"


def _units(cfg):
    """The layer list of ResNeXtArchitecture: (kind, prefix, fields) in registration order."""
    units = [("conv", "stem", dict(cin=cfg["input_channels"], cout=cfg["stem_width"], k=cfg["stem_kernel"],
                                   stride=cfg["stem_stride"], dilation=1, groups=1, relu=True))]
    channels = cfg["stem_width"]
    for stage, count in enumerate(cfg["blocks"]):
        for index in range(count):
            p = f"stages.{stage}.{index}"
            stride = cfg["strides"][stage] if index == 0 else 1
            width, out = cfg["grouped_widths"][stage], cfg["out_widths"][stage]
            units.append(("block", p, dict(
                cin=channels, width=width, out=out, stride=stride,
                dilation=cfg.get("entry_dilations", cfg["dilations"])[stage] if index == 0 else cfg["dilations"][stage],
                groups=cfg["cardinality"], reduced=max(1, out // cfg["se_reduction"]),
                shortcut=stride != 1 or channels != out)))
            channels = out
    return units


def backbone_specs(cfg):
    """[(name, shape, is_buffer)] in the order ResNeXtArchitecture registers them."""
    specs = []

    def conv(prefix, cin, cout, k, groups):
        specs.append((f"{prefix}.conv.weight", (cout, cin // groups, k, k), False))
        specs.append((f"{prefix}.bn.weight", (cout,), False))
        specs.append((f"{prefix}.bn.bias", (cout,), False))
        specs.append((f"{prefix}.bn.running_mean", (cout,), True))
        specs.append((f"{prefix}.bn.running_var", (cout,), True))

    for kind, prefix, u in _units(cfg):
        if kind == "conv":
            conv(prefix, u["cin"], u["cout"], u["k"], 1)
            continue
        conv(f"{prefix}.conv1", u["cin"], u["width"], 1, 1)
        conv(f"{prefix}.conv2", u["width"], u["width"], 3, u["groups"])
        conv(f"{prefix}.conv3", u["width"], u["out"], 1, 1)
        specs.append((f"{prefix}.se.fc1.weight", (u["reduced"], u["out"]), False))
        specs.append((f"{prefix}.se.fc1.bias", (u["reduced"],), False))
        specs.append((f"{prefix}.se.fc2.weight", (u["out"], u["reduced"]), False))
        specs.append((f"{prefix}.se.fc2.bias", (u["out"],), False))
        if u["shortcut"]:
            conv(f"{prefix}.shortcut", u["cin"], u["out"], 1, 1)
    return specs


def branches(backbone):
    """(video, audio) configuration names of a network: `backbone` is one name (both branches,
    as most bundles) or a (video, audio) pair (`showtell train --audio-config`)."""
    video, audio = (backbone, backbone) if isinstance(backbone, str) else tuple(backbone)
    for name in (video, audio):
        if name not in CONFIGS:
            raise ValueError(f"backbone {name!r} is not one of {', '.join(CONFIGS)}")
    return video, audio


def manifest_backbone(manifest):
    """The network's backbone as `branches` takes it, from a manifest (its `audio_backbone`
    names the audio branch's own, when it has one)."""
    audio = manifest.get("audio_backbone")
    return manifest["backbone"] if audio is None else (manifest["backbone"], audio)


def tensor_specs(backbone, dimension):
    """Every tensor of a ShowTellNetwork as (name, shape, is_buffer), in file order."""
    configs = [CONFIGS[name] for name in branches(backbone)]
    specs = []
    for branch, cfg in zip(("video", "audio"), configs):
        specs += [(f"{branch}.{n}", s, b) for n, s, b in backbone_specs(cfg)]
    cv, ca = (cfg["out_widths"][-1] for cfg in configs)
    specs += [("video_projection.weight", (dimension, cv), False), ("video_projection.bias", (dimension,), False),
              ("audio_projection.weight", (dimension, ca), False), ("audio_projection.bias", (dimension,), False)]
    return specs


def parameter_count(backbone, dimension):
    """The manifest's `parameters`: trainable tensors only (BN running statistics excluded)."""
    return sum(int(np.prod(s)) for _, s, b in tensor_specs(backbone, dimension) if not b)


def identify(params, backbone=None):
    """(backbone, D) of a parameter dict, by matching every name and shape: the first
    configuration that matches (a name, or a (video, audio) pair when the branches differ), or
    `backbone` (checked) where several share their tensors (edge-local, edge-local-os8)."""
    d = int(params["video_projection.weight"].shape[0])
    shapes = {k: tuple(v.shape) for k, v in params.items()}
    pairs = [name for name in CONFIGS] + [(v, a) for v in CONFIGS for a in CONFIGS if v != a]
    for candidate in ([backbone] if backbone is not None else pairs):
        specs = tensor_specs(candidate, d)
        if len(specs) == len(shapes) and all(shapes.get(n) == tuple(s) for n, s, _ in specs):
            return candidate, d
    raise ValueError("parameters match no known backbone (%s, or a pair of them) with D = %d" % (", ".join(CONFIGS), d))


def map_size(backbone, size):
    """ShowTellNetwork.mapSize: spatial side of the video backbone's map for a size x size input."""
    cfg = CONFIGS[branches(backbone)[0]]
    k = cfg["stem_kernel"]
    n = (size + 2 * ((k - 1) // 2) - k) // cfg["stem_stride"] + 1
    if cfg["stem_pool"]:
        n = (n - 1) // 2 + 1
    for s in cfg["strides"]:
        n = (n - 1) // s + 1
    return n


# --------------------------------------------------------------------------------------------
# safetensors and bundles: NeuralCore/IO/SafeTensors.swift, ShowTellModel/ModelBundle.swift

WEIGHTS_FILE = "model.safetensors"
MANIFEST_FILE = "manifest.json"
_DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8"), "F16": np.dtype("<f2")}


def read_safetensors(path):
    """(ordered [(name, array)], metadata) with the same checks the Swift reader makes."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: truncated ({len(data)} bytes)")
    (length,) = struct.unpack("<Q", data[:8])
    if 8 + length > len(data):
        raise ValueError(f"{path}: header claims {length} bytes, file has {len(data) - 8}")
    header = json.loads(data[8:8 + length])
    metadata = header.pop("__metadata__", {})
    base = 8 + length
    entries = sorted(header.items(), key=lambda kv: tuple(kv[1]["data_offsets"]))
    expected = 0
    tensors = []
    for name, info in entries:
        begin, end = info["data_offsets"]
        if begin != expected:
            raise ValueError(f"{path}: tensor {name!r} does not follow the previous one's data")
        if info["dtype"] not in _DTYPES:
            raise ValueError(f"{path}: tensor {name!r} is {info['dtype']}, expected F32")
        dtype = _DTYPES[info["dtype"]]
        count = int(np.prod(info["shape"], dtype=np.int64))
        if count * dtype.itemsize != end - begin:
            raise ValueError(f"{path}: tensor {name!r} size does not match its shape")
        array = np.frombuffer(data, dtype=dtype, count=count, offset=base + begin).reshape(info["shape"])
        tensors.append((name, array.astype(np.float32)))
        expected = end
    if base + expected != len(data):
        raise ValueError(f"{path}: {len(data) - base - expected} bytes after the last tensor")
    return tensors, metadata


def _quote(text):
    """JSONValue.quote: escapes only quote, backslash, \\n \\r \\t and other controls as \\u00xx."""
    out = ['"']
    for ch in text:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20:
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def encode_safetensors(tensors, metadata):
    """Bytes of a safetensors file exactly as SafeTensorsWriter.encode writes them: compact
    JSON header (metadata keys sorted, tensors in the given order, keys dtype/shape/
    data_offsets), padded with spaces to a multiple of 8, then the little-endian F32 data."""
    members = []
    if metadata:
        members.append(_quote("__metadata__") + ":{" + ",".join(
            _quote(k) + ":" + _quote(metadata[k]) for k in sorted(metadata)) + "}")
    blobs, offset = [], 0
    for name, array in tensors:
        blob = np.ascontiguousarray(np.asarray(array, dtype=np.float32)).astype("<f4").tobytes()
        shape = ",".join(str(int(s)) for s in np.shape(array))
        members.append(_quote(name) + ':{"dtype":"F32","shape":[' + shape + '],"data_offsets":[%d,%d]}' % (offset, offset + len(blob)))
        blobs.append(blob)
        offset += len(blob)
    header = ("{" + ",".join(members) + "}").encode("utf-8")
    header += b" " * (-len(header) % 8)
    return struct.pack("<Q", len(header)) + header + b"".join(blobs)


def encode_manifest(manifest):
    """manifest.json as ModelBundle.encode writes it (JSONEncoder: sorted keys, pretty printed
    with two spaces and ' : ', slashes unescaped, final newline)."""
    return (json.dumps(manifest, indent=2, sort_keys=True, separators=(",", " : "), ensure_ascii=False) + "\n").encode("utf-8")


def load_bundle(directory):
    """(params, manifest): params maps every tensor name to a float32 jax array. Checks what
    ModelBundle.load checks (format, backbone, size, SHA-256, names and shapes, finite)."""
    with open(os.path.join(directory, MANIFEST_FILE), "rb") as f:
        manifest = json.loads(f.read())
    if manifest.get("format") != FORMAT:
        raise ValueError(f"{directory}: format {manifest.get('format')!r}, this reads {FORMAT}")
    if manifest.get("precision", "float32") != "float32":
        raise ValueError(f"{directory}: a {manifest['precision']} bundle; this definition is the float network")
    backbone, d = manifest_backbone(manifest), int(manifest["embedding_dimension"])
    try:
        branches(backbone)
    except ValueError as error:
        raise ValueError(f"{directory}: {error}") from None
    path = os.path.join(directory, WEIGHTS_FILE)
    with open(path, "rb") as f:
        raw = f.read()
    if manifest.get("bytes") is not None and manifest["bytes"] != len(raw):
        raise ValueError(f"{path}: {len(raw)} bytes, manifest says {manifest['bytes']}")
    digest = hashlib.sha256(raw).hexdigest()
    if digest != manifest["sha256"].lower():
        raise ValueError(f"{path}: sha256 {digest[:12]}..., manifest says {manifest['sha256'][:12]}...")
    tensors, _ = read_safetensors(path)
    specs = tensor_specs(backbone, d)
    have = dict(tensors)
    for name, shape, _ in specs:
        if name not in have:
            raise ValueError(f"{path}: missing tensor {name!r}")
        if tuple(have[name].shape) != tuple(shape):
            raise ValueError(f"{path}: tensor {name!r} has shape {list(have[name].shape)}, expected {list(shape)}")
    extra = set(have) - {n for n, _, _ in specs}
    if extra:
        raise ValueError(f"{path}: unexpected tensor {sorted(extra)[0]!r}")
    if parameter_count(backbone, d) != manifest["parameters"]:
        raise ValueError(f"{directory}: manifest says {manifest['parameters']} parameters, weights have {parameter_count(backbone, d)}")
    for name, array in tensors:
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{path}: tensor {name!r} holds NaN or infinity")
    for field, name in zip(("architecture", "audio_architecture"), branches(backbone)):
        arch = manifest.get(field)
        if arch is None:
            continue
        for key, value in CONFIGS[name].items():
            if arch.get(key) != value:
                raise ValueError(f"{directory}: {field}.{key} is {arch.get(key)}, this definition has {value}")
    params = {name: jnp.asarray(have[name]) for name, _, _ in specs}
    return params, manifest


def _exchange(a, b):
    """renameat2(RENAME_EXCHANGE): swaps two paths atomically (Linux 3.15+, glibc 2.28+)."""
    import ctypes
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def write_bundle(params, manifest_template, directory, golden=None):
    """Writes params as a bundle at `directory` (created or replaced; files written to a
    temporary sibling, fsynced, then renamed into place or exchanged with the old bundle). model.safetensors holds the same
    names, shapes, dtype (F32), order and metadata as ShowTellNetwork writes; manifest.json
    is `manifest_template` with `sha256` and `bytes` updated and every other field kept,
    except `golden` when a golden dict (see `golden()`) is given: weights other than the
    template's need their own golden values or `showtell model verify` refuses them. Other
    fields that describe what the weights do (notes, trained, training, outputs.relevance,
    which is fitted on the audio embedding) are the caller's to update. Returns the manifest
    written."""
    described = manifest_backbone(manifest_template)
    backbone, d = identify(params, described)
    if int(manifest_template.get("embedding_dimension", -1)) != d:
        raise ValueError(f"manifest template is for {described} D={manifest_template.get('embedding_dimension')}, params are {backbone} D={d}")
    tensors = []
    for name, shape, _ in tensor_specs(backbone, d):
        array = np.asarray(params[name], dtype=np.float32)
        if not np.all(np.isfinite(array)):
            raise ValueError(f"refusing to write: tensor {name!r} holds NaN or infinity")
        tensors.append((name, array))
    video, audio = branches(backbone)
    metadata = {"format": "pt", "showtell.format": FORMAT, "showtell.backbone": video,
                "showtell.embedding_dimension": str(d)}
    if audio != video:
        metadata["showtell.audio_backbone"] = audio
    weights = encode_safetensors(tensors, metadata)
    manifest = copy.deepcopy(manifest_template)
    manifest["sha256"] = hashlib.sha256(weights).hexdigest()
    manifest["bytes"] = len(weights)
    if golden is not None:
        manifest["golden"] = golden
    directory = directory.rstrip("/") or "/"
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise ValueError(f"{directory} exists and is not a directory; choose another output path")
    if os.path.isdir(directory) and os.listdir(directory) and not os.path.exists(os.path.join(directory, MANIFEST_FILE)):
        raise ValueError(f"{directory} exists and is not a model bundle (no {MANIFEST_FILE}); refusing to replace it")
    parent = os.path.dirname(os.path.abspath(directory))
    os.makedirs(parent, exist_ok=True)
    temporary = tempfile.mkdtemp(prefix=os.path.basename(directory) + ".tmp-", dir=parent)
    for name, blob in ((WEIGHTS_FILE, weights), (MANIFEST_FILE, encode_manifest(manifest))):
        with open(os.path.join(temporary, name), "wb") as f:
            f.write(blob)
            f.flush()
            os.fsync(f.fileno())
    os.chmod(temporary, 0o755)
    if os.path.isdir(directory):
        if _exchange(temporary, directory):
            old = temporary  # now holds the previous bundle
        else:  # no RENAME_EXCHANGE: a short window without a bundle, as ModelBundle.writeFiles
            old = temporary + ".old"
            os.rename(directory, old)
            os.rename(temporary, directory)
        for name in os.listdir(old):
            os.remove(os.path.join(old, name))
        os.rmdir(old)
    else:
        os.rename(temporary, directory)
    fd = os.open(parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return manifest


# --------------------------------------------------------------------------------------------
# Layers (NHWC activations; weights stay in the bundle's layouts and are transposed at use)

def _block_diagonal(w, groups):
    """A grouped weight [Co, Ci/g, k, k] as the dense [Co, Ci, k, k] it stands for (zeros off
    the group blocks). The zeros are constants, so gradients reach only the grouped weight."""
    co, cig, k, _ = w.shape
    blocks = w.reshape(groups, co // groups, cig, k, k)
    dense = jnp.einsum("goikl,gh->gohikl", blocks, jnp.eye(groups, dtype=w.dtype))
    return dense.reshape(co, groups * cig, k, k)


def _conv(x, w, stride, dilation, groups, grouped="lax"):
    """x [N, H, W, Ci]; w [Co, Ci/g, k, k] (OIHW, the bundle's) -> [N, Ho, Wo, Co].
    Padding dilation*(k-1)/2 each side, as ConvBNUnit. grouped = "lax": feature_group_count
    (XLA's grouped convolution; on CPU its gradient is ~30-50x slower than a dense one of the
    same shape, jaxlib 0.10.2); "dense": the block-diagonal dense weight (groups x the
    multiply-adds, but XLA's fast path; the same function up to summation order)."""
    if groups > 1 and grouped == "dense":
        w, groups = _block_diagonal(w, groups), 1
    k = w.shape[-1]
    pad = dilation * (k - 1) // 2
    return lax.conv_general_dilated(
        x, jnp.transpose(w, (2, 3, 1, 0)), window_strides=(stride, stride), padding=((pad, pad), (pad, pad)),
        rhs_dilation=(dilation, dilation), dimension_numbers=("NHWC", "HWIO", "NHWC"), feature_group_count=groups)


def _batch_norm(p, prefix, x, relu, train, stats):
    """Inference: running statistics. Training: batch statistics (biased variance to normalise,
    unbiased in the running estimate, momentum 0.1), new running values put in `stats`."""
    gamma, beta = p[prefix + ".bn.weight"], p[prefix + ".bn.bias"]
    if train:
        mean = jnp.mean(x, axis=(0, 1, 2))
        var = jnp.mean(jnp.square(x - mean), axis=(0, 1, 2))
        count = x.shape[0] * x.shape[1] * x.shape[2]
        unbiased = var * (count / max(count - 1, 1))
        mean_s, var_s = lax.stop_gradient(mean), lax.stop_gradient(unbiased)
        stats[prefix + ".bn.running_mean"] = (1 - BN_MOMENTUM) * p[prefix + ".bn.running_mean"] + BN_MOMENTUM * mean_s
        stats[prefix + ".bn.running_var"] = (1 - BN_MOMENTUM) * p[prefix + ".bn.running_var"] + BN_MOMENTUM * var_s
        y = (x - mean) * (gamma * lax.rsqrt(var + BN_EPS)) + beta
    else:
        scale = gamma / jnp.sqrt(p[prefix + ".bn.running_var"] + BN_EPS)
        y = x * scale + (beta - p[prefix + ".bn.running_mean"] * scale)
    return jnp.maximum(y, 0) if relu else y


def _conv_bn(p, prefix, x, stride, dilation, groups, relu, train, stats, grouped="lax"):
    y = _conv(x, p[prefix + ".conv.weight"], stride, dilation, groups, grouped)
    return _batch_norm(p, prefix, y, relu, train, stats)


def _squeeze_excitation(p, prefix, x):
    pooled = jnp.mean(x, axis=(1, 2))  # [N, C]
    hidden = jnp.maximum(pooled @ p[prefix + ".se.fc1.weight"].T + p[prefix + ".se.fc1.bias"], 0)
    gate = jax.nn.sigmoid(hidden @ p[prefix + ".se.fc2.weight"].T + p[prefix + ".se.fc2.bias"])
    return x * gate[:, None, None, :]


def _max_pool(x):
    """3x3, stride 2, padding 1 counted as -infinity (MaxPool.swift)."""
    return lax.reduce_window(x, -jnp.inf, lax.max, (1, 3, 3, 1), (1, 2, 2, 1), ((0, 0), (1, 1), (1, 1), (0, 0)))


def backbone(p, prefix, backbone_name, x, train=False, grouped="lax"):
    """ResNeXt.forward: x [N, H, W, 1] -> (spatial map [N, h, w, C], new BN statistics or {}).
    train: batch statistics (and their running updates) instead of the running ones."""
    cfg = CONFIGS[backbone_name]
    stats = {}
    q = {k[len(prefix):]: v for k, v in p.items() if k.startswith(prefix)}
    for kind, name, u in _units(cfg):
        if kind == "conv":
            x = _conv_bn(q, name, x, u["stride"], 1, 1, True, train, stats)
            if cfg["stem_pool"]:
                x = _max_pool(x)
            continue
        y = _conv_bn(q, name + ".conv1", x, 1, 1, 1, True, train, stats)
        y = _conv_bn(q, name + ".conv2", y, u["stride"], u["dilation"], u["groups"], True, train, stats, grouped)
        y = _conv_bn(q, name + ".conv3", y, 1, 1, 1, False, train, stats)
        y = _squeeze_excitation(q, name, y)
        identity = _conv_bn(q, name + ".shortcut", x, u["stride"], 1, 1, False, train, stats) if u["shortcut"] else x
        x = jnp.maximum(y + identity, 0)
    return x, {prefix + k: v for k, v in stats.items()}


# --------------------------------------------------------------------------------------------
# The deployed branches (ShowTellInference) and the golden pair (GoldenInference)

def _source_table(size_in, resize=FRAME_RESIZE, crop=FRAME_SIZE):
    """FramePreprocessor.fill in float32: first/second source index and weight per output."""
    margin = (resize - crop) // 2
    o = np.arange(crop, dtype=np.float32) + np.float32(margin)
    s = (o + np.float32(0.5)) * np.float32(size_in) / np.float32(resize) - np.float32(0.5)
    s = np.maximum(s, np.float32(0))
    first = np.minimum(s.astype(np.int64), size_in - 1)
    second = np.minimum(first + 1, size_in - 1)
    return first, second, (s - first.astype(np.float32)).astype(np.float32)


def preprocess_frame(frame):
    """gray8 [H, W] -> [224, 224] float32 exactly as FramePreprocessor.run (without the live-image
    tracker, which masks nothing on a first frame)."""
    frame = np.asarray(frame)
    if frame.dtype != np.uint8 or frame.ndim != 2:
        raise ValueError("frame must be a 2-D uint8 (gray8) array")
    c0, c1, wx = _source_table(frame.shape[1])
    r0, r1, wy = _source_table(frame.shape[0])
    f = frame.astype(np.float32)
    top0, top1 = f[r0][:, c0], f[r0][:, c1]
    bot0, bot1 = f[r1][:, c0], f[r1][:, c1]
    upper = top0 + wx[None, :] * (top1 - top0)
    lower = bot0 + wx[None, :] * (bot1 - bot0)
    scale = np.float32(1) / (np.float32(255) * np.float32(PIXEL_STD))
    offset = -np.float32(PIXEL_MEAN) / np.float32(PIXEL_STD)
    return ((upper + wy[:, None] * (lower - upper)) * scale + offset).astype(np.float32)


@partial(jax.jit, static_argnames=("backbone_name",))
def _video_map(params, image, backbone_name):
    spatial, _ = backbone(params, "video.", backbone_name, image[None, :, :, None])  # [1, h, w, C]
    v = jnp.einsum("hwc,dc->dhw", spatial[0], params["video_projection.weight"])
    return v + params["video_projection.bias"][:, None, None]


@partial(jax.jit, static_argnames=("backbone_name",))
def _audio_embedding(params, spectrogram, backbone_name):
    spatial, _ = backbone(params, "audio.", backbone_name, spectrogram[None, :, :, None])
    pooled = jnp.mean(spatial[0], axis=(0, 1))  # [C]
    return params["audio_projection.weight"] @ pooled + params["audio_projection.bias"]


def video_map(params, frame, backbone=None):
    """V [D, h, w] of one gray8 frame [H, W] (uint8; resized and cropped here) or of an already
    preprocessed float32 [224, 224] image. backbone: the manifest's, where the tensors allow several."""
    frame = np.asarray(frame)
    image = preprocess_frame(frame) if frame.dtype == np.uint8 else frame.astype(np.float32)
    return _video_map(params, jnp.asarray(image), backbone_name=branches(identify(params, backbone)[0])[0])


def audio_embedding(params, spectrogram, backbone=None):
    """a [D] of one standardised log-spectrogram [256, 256] ([frequency bin][time column])."""
    return _audio_embedding(params, jnp.asarray(spectrogram, dtype=jnp.float32), backbone_name=branches(identify(params, backbone)[0])[1])


GOLDEN_FRAME = (240, 320)  # GoldenInference.frameHeight, frameWidth
GOLDEN_HEAD = 8


def golden_spectrogram():
    """GoldenInference.spectrogram(): [256][256], harmonics rising over time plus a fixed ripple."""
    n = SPECTROGRAM_SIZE
    b = np.arange(n)[:, None]
    c = np.arange(n)[None, :]
    pitch = 20 + c // 16
    harmonic = np.where(b % pitch < 2, np.float32(2), np.float32(-0.5)).astype(np.float32)
    ripple = (np.float32(0.3) * ((b * 7 + c * 13) % 17 - 8).astype(np.float32)) / np.float32(8)
    return (harmonic + ripple).astype(np.float32)


def golden_frame():
    """GoldenInference.frame(): 320x240 gray8, a bright disc on a depth gradient with a texture."""
    h, w = GOLDEN_FRAME
    y = np.arange(h)[:, None]
    x = np.arange(w)[None, :]
    disc = np.where((x - 200) ** 2 + (y - 100) ** 2 < 40 * 40, 120, 0)
    value = 30 + y // 3 + disc + (x * 31 + y * 17) % 23
    return np.minimum(value, 255).astype(np.uint8)


def golden(params, backbone=None):
    """The manifest's `golden` object computed here: norms (in float64 over the float32
    outputs, as GoldenInference.run) and the first 8 values of a and of V (row-major [D][h][w])."""
    a = np.asarray(audio_embedding(params, golden_spectrogram(), backbone), dtype=np.float32)
    v = np.asarray(video_map(params, golden_frame(), backbone), dtype=np.float32).reshape(-1)

    def f32(x):  # the shortest decimal of the float32 value, as Swift's encoder writes a Float
        return float(str(np.float32(x)))

    return {"audio_norm": float(np.sqrt(np.sum(a.astype(np.float64) ** 2))),
            "video_norm": float(np.sqrt(np.sum(v.astype(np.float64) ** 2))),
            "audio_head": [f32(x) for x in a[:GOLDEN_HEAD]],
            "video_head": [f32(x) for x in v[:GOLDEN_HEAD]]}


# --------------------------------------------------------------------------------------------
# Initialisation (the same distributions as ResNeXt.initialise and ShowTellNetwork.init; not
# the same numbers: Swift's RandomSource is not reproduced)

def init_params(backbone_name, dimension, key):
    """A fresh network: He-normal (fan-in) convolutions, BN identity, SE and projections
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) like PyTorch's linear default. backbone_name: as
    `branches` takes it."""
    specs = tensor_specs(backbone_name, dimension)
    keys = jax.random.split(key, len(specs))
    params = {}
    for (name, shape, _), k in zip(specs, keys):
        if name.endswith("conv.weight"):
            fan_in = shape[1] * shape[2] * shape[3]
            params[name] = jax.random.normal(k, shape, jnp.float32) * math.sqrt(2.0 / fan_in)
        elif name.endswith("bn.weight") or name.endswith("running_var"):
            params[name] = jnp.ones(shape, jnp.float32)
        elif name.endswith("bn.bias") or name.endswith("running_mean"):
            params[name] = jnp.zeros(shape, jnp.float32)
        else:
            if name.startswith(("video_projection", "audio_projection")):
                fan_in = shape[-1] if name.endswith("weight") else params[name[:-len("bias")] + "weight"].shape[1]
            else:  # SE: fc1 [R, C] bound from C, fc2 [C, R] from R (weights registered before biases)
                block, layer = name.rsplit(".se.", 1)
                fan_in = params[block + ".se." + layer.split(".")[0] + ".weight"].shape[1] if not layer.endswith("weight") else shape[1]
            bound = 1.0 / math.sqrt(fan_in)
            params[name] = jax.random.uniform(k, shape, jnp.float32, -bound, bound)
    return params


# --------------------------------------------------------------------------------------------
# Training: mirrors `showtell train --variant va-spatial --contrastive infonce --frames-per-clip 1`
# (Training/Loop/TrainingModel.trainStep, Fusion/SpatialFusion, Losses/*, Loop/Trainer)

def spatial_fusion_logits(v, a, w, b):
    """SpatialFusion with LSE pooling. v [N, S, D] (cells last-but-one), a [M, D], w [D], b [] ->
    logits [N, M] = log mean_s exp(m[i, j, s]), m = b + sum_d w_d a_jd V_ids."""
    m = jnp.einsum("isd,jd->ijs", v, a * w) + b
    return jax.scipy.special.logsumexp(m, axis=-1) - math.log(m.shape[-1])


def correspondence_loss(logits, negatives):
    """Eq. 1: BCE over the N aligned pairs (label 1) and one negative column per row (label 0;
    negatives[i] = -1 for none), mean over the pairs used."""
    n = logits.shape[0]
    rows = jnp.arange(n)
    positive = jax.nn.softplus(-jnp.diagonal(logits))
    has = negatives >= 0
    negative = jnp.where(has, jax.nn.softplus(logits[rows, jnp.maximum(negatives, 0)]), 0.0)
    return (jnp.sum(positive) + jnp.sum(negative)) / (n + jnp.sum(has))


def infonce_loss(logits, negative_mask, temperature):
    """ContrastiveLoss, form infonce: per row, -log softmax at the positive over the positive
    and the row's valid negatives (negative_mask[i, j] = 1), mean over rows with a negative."""
    n = logits.shape[0]
    eye = jnp.eye(n, dtype=bool)
    valid = (negative_mask > 0) & ~eye
    x = logits / temperature
    lse = jax.scipy.special.logsumexp(jnp.where(valid | eye, x, -jnp.inf), axis=1)
    used = jnp.any(valid, axis=1)
    per_row = jnp.where(used, lse - jnp.diagonal(x), 0.0)
    return jnp.sum(per_row) / jnp.maximum(jnp.sum(used), 1)


def is_buffer(name):
    return name.endswith("running_mean") or name.endswith("running_var")


def init_training(params, fusion_init=None, optimizer="adamw"):
    """Training state from bundle params: (trainable, buffers, optimiser state, step).
    Adds the audio fusion head (`fusion_audio.spatial.weight` [D] = fusion_init or 1/sqrt(D),
    `fusion_audio.spatial.bias` [1] = 0) as TrainingModel does."""
    d = int(params["video_projection.weight"].shape[0])
    trainable = {k: v for k, v in params.items() if not is_buffer(k)}
    buffers = {k: v for k, v in params.items() if is_buffer(k)}
    trainable["fusion_audio.spatial.weight"] = jnp.full((d,), fusion_init if fusion_init else 1 / math.sqrt(d), jnp.float32)
    trainable["fusion_audio.spatial.bias"] = jnp.zeros((1,), jnp.float32)
    zeros = jax.tree_util.tree_map(jnp.zeros_like, trainable)
    opt = (zeros, jax.tree_util.tree_map(jnp.zeros_like, trainable)) if optimizer == "adamw" else (zeros,)
    return trainable, buffers, opt, jnp.zeros((), jnp.int32)


def export_params(trainable, buffers):
    """Bundle params from a training state: TrainingModel.exportProjections folds the fusion
    weight w into the audio projection (a' = w * a), so the bundle's map <a', V[:, s]> is the
    per-cell logit less the constant bias."""
    w = trainable["fusion_audio.spatial.weight"]
    out = {k: v for k, v in trainable.items() if not k.startswith("fusion_audio.")}
    out.update(buffers)
    out["audio_projection.weight"] = trainable["audio_projection.weight"] * w[:, None]
    out["audio_projection.bias"] = trainable["audio_projection.bias"] * w
    return out


def make_train_step(backbone_name="edge", optimizer="adamw", learning_rate=1e-3, weight_decay=0.01,
                    momentum=0.9, temperature=0.1, gradient_clip=5.0, weights=(1.0, 1.0), grouped="dense"):
    """A jit-compiled training step of the two-branch network. It mirrors
    `showtell train --variant va-spatial --contrastive infonce --frames-per-clip 1 --pooling lse`:

      frames [N, 224, 224] -> video ResNeXt (batch statistics) -> V [N, D, S] (1x1 projection)
      spectrograms [N, 256, 256] -> audio ResNeXt -> mean -> linear -> a [N, D]
      logits [N, N] = spatial fusion of (V_i, a_j), LSE over the S cells
      loss = alpha * eq.1 BCE / ln 2 + gamma * InfoNCE(temperature) / ln(N - 1), (alpha, gamma)
             = `weights` normalised to sum 1 (va-spatial: equal)
      grouped 3x3 convolutions as block-diagonal dense ones (grouped="dense", the default: XLA's
      CPU gradient of a grouped convolution is slow) or XLA's own (grouped="lax")
      gradients clipped to global norm `gradient_clip`, then AdamW (PyTorch's, decoupled decay)
      or SGD with momentum and L2 decay; BN running statistics updated (momentum 0.1).

    step(state, frames, spectrograms, negative_mask [N, N], negatives [N]) -> (state, losses)
    with state = init_training(...); losses = dict(total, base_va, contra_va, grad_norm)."""
    alpha, gamma = (weights[0] / sum(weights), weights[1] / sum(weights))
    video_name, audio_name = branches(backbone_name)

    def loss_fn(trainable, buffers, frames, spectrograms, negative_mask, negatives):
        p = dict(trainable)
        p.update(buffers)
        n = frames.shape[0]
        spatial, video_stats = backbone(p, "video.", video_name, frames[..., None], train=True, grouped=grouped)
        vfeat = spatial.reshape(n, -1, spatial.shape[-1])  # [N, S, C]
        v = vfeat @ p["video_projection.weight"].T + p["video_projection.bias"]  # [N, S, D]
        aspatial, audio_stats = backbone(p, "audio.", audio_name, spectrograms[..., None], train=True, grouped=grouped)
        pooled = jnp.mean(aspatial, axis=(1, 2))  # [N, C]
        a = pooled @ p["audio_projection.weight"].T + p["audio_projection.bias"]
        logits = spatial_fusion_logits(v, a, p["fusion_audio.spatial.weight"], p["fusion_audio.spatial.bias"][0])
        base = correspondence_loss(logits, negatives)
        contra = infonce_loss(logits, negative_mask, temperature)
        total = alpha * base / math.log(2.0) + gamma * contra / math.log(max(n - 1, 2))
        stats = dict(video_stats)
        stats.update(audio_stats)
        return total, (base, contra, stats)

    def step(state, frames, spectrograms, negative_mask, negatives):
        trainable, buffers, opt, count = state
        (total, (base, contra, stats)), grads = jax.value_and_grad(loss_fn, has_aux=True)(
            trainable, buffers, frames, spectrograms, negative_mask, negatives)
        leaves = jax.tree_util.tree_leaves(grads)
        norm = jnp.sqrt(sum(jnp.sum(jnp.square(g)) for g in leaves))
        scale = jnp.where((gradient_clip > 0) & (norm > gradient_clip), gradient_clip / (norm + 1e-6), 1.0)
        grads = jax.tree_util.tree_map(lambda g: g * scale, grads)
        count = count + 1
        if optimizer == "adamw":
            b1, b2, eps = 0.9, 0.999, 1e-8
            m, v2 = opt
            m = jax.tree_util.tree_map(lambda m_, g: b1 * m_ + (1 - b1) * g, m, grads)
            v2 = jax.tree_util.tree_map(lambda v_, g: b2 * v_ + (1 - b2) * g * g, v2, grads)
            t = count.astype(jnp.float32)
            c1, c2 = 1 - b1 ** t, 1 - b2 ** t
            trainable = jax.tree_util.tree_map(
                lambda w, m_, v_: w * (1 - learning_rate * weight_decay) - (learning_rate / c1) * m_ / (jnp.sqrt(v_) / jnp.sqrt(c2) + eps),
                trainable, m, v2)
            opt = (m, v2)
        else:
            (velocity,) = opt
            velocity = jax.tree_util.tree_map(lambda v_, g, w: momentum * v_ + g + weight_decay * w, velocity, grads, trainable)
            trainable = jax.tree_util.tree_map(lambda w, v_: w - learning_rate * v_, trainable, velocity)
            opt = (velocity,)
        buffers = dict(buffers)
        buffers.update(stats)
        return (trainable, buffers, opt, count), {"total": total, "base_va": base, "contra_va": contra, "grad_norm": norm}

    return jax.jit(step, donate_argnums=(0,))
