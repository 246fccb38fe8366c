"""`showtell model export --onnx` checked against onnxruntime and the JAX definition.

    .build/fixtures-venv/bin/python models/tools/onnx_check.py BUNDLE_DIR [--showtell BIN] [--tolerance T]

1. showtell exports BUNDLE_DIR to ONNX; onnx.checker accepts the model (full check, with shapes).
2. onnxruntime (one thread, all graph optimisations) runs GoldenInference's two inputs
   (the frame preprocessed as FramePreprocessor does): the norms and the first values of
   video_map and audio_embedding must match the manifest's golden values (errors relative to
   the output's norm and RMS element, as jax_roundtrip.py) within --tolerance.
   For an int8 bundle (exported in QDQ form) the golden values are the int8 engine's, and
   video_map may differ by up to 2 of its quantisation steps (onnxruntime's own rounding).
3. Float bundles: the whole outputs must match the JAX definition's (jax_showtell.py) on the
   same inputs, per element relative to the output's RMS element.
Exit status 0 when all hold; prints one line per check.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jax_showtell as J  # noqa: E402
from jax_roundtrip import compare, fail  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle")
    parser.add_argument("--showtell", default=".build/release/showtell", help="showtell binary")
    parser.add_argument("--tolerance", type=float, default=None,
                        help="default 1e-4 for float bundles; 1e-2 for an int8 bundle's audio head (onnxruntime requantises "
                             "with its own rounding, and a one-step difference in an early activation moves later ones a little)")
    args = parser.parse_args()
    if "OPENBLAS_CORETYPE" not in os.environ and " avx2" in open("/proc/cpuinfo").read():
        os.environ["OPENBLAS_CORETYPE"] = "Haswell"  # as build.sh: OpenBLAS 0.3.21 misdetects this CPU

    with tempfile.TemporaryDirectory() as scratch:
        path = os.path.join(scratch, "model.onnx")
        result = subprocess.run([args.showtell, "model", "export", args.bundle, "--onnx", path], capture_output=True, text=True)
        if result.returncode != 0:
            fail(f"showtell model export failed (exit {result.returncode}):\n{result.stdout}{result.stderr}")
        model = onnx.load(path)
        onnx.checker.check_model(model, full_check=True)
        print(f"export    {os.path.getsize(path)} bytes, {len(model.graph.node)} nodes, opset {model.opset_import[0].version}: onnx.checker ok")

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        frame = J.preprocess_frame(J.golden_frame())[None, None]
        spectrogram = J.golden_spectrogram()[None, None]
        video_map, audio_embedding = session.run(["video_map", "audio_embedding"], {"frame": frame, "spectrogram": spectrogram})

    a, v = audio_embedding[0].astype(np.float32), video_map[0].astype(np.float32)
    with open(os.path.join(args.bundle, "manifest.json")) as file:
        manifest = json.load(file)
    precision = manifest.get("precision", "float32")
    if args.tolerance is None:
        args.tolerance = 1e-4 if precision == "float32" else 1e-2
    measured = {"audio_norm": float(np.sqrt(np.sum(a.astype(np.float64) ** 2))),
                "video_norm": float(np.sqrt(np.sum(v.astype(np.float64) ** 2))),
                "audio_head": [float(x) for x in a[:J.GOLDEN_HEAD]],
                "video_head": [float(x) for x in v.reshape(-1)[:J.GOLDEN_HEAD]]}
    errors = compare(measured, manifest["golden"], {"audio": a.size, "video": v.size})
    worst = max(("audio_norm", "video_norm", "audio_head", "video_head"), key=lambda k: errors[k])
    print(f"golden    ({precision}) onnxruntime |a| = {measured['audio_norm']:.6f} (manifest {manifest['golden']['audio_norm']:.6f}), "
          f"|V| = {measured['video_norm']:.6f} (manifest {manifest['golden']['video_norm']:.6f}); worst {worst} {errors[worst]:.2e}")
    if precision == "float32":
        if errors[worst] > args.tolerance:
            fail(f"onnxruntime differs from the manifest's golden values: {worst} {errors[worst]:.3e} > {args.tolerance:.0e}")
    else:
        # onnxruntime requantises with its own float rounding: a value on a rounding boundary may
        # land one step away, and that step moves later layers a little. The map's values are
        # judged in steps of its own quantisation (at most 2), the norms relative (5e-3).
        step = manifest["quantization"]["activations"]["video.projection"]["scale"]
        video_steps = errors["video_head_abs"] / step
        print(f"          int8: video_map head within {video_steps:.2f} quantisation steps ({step:.4f}), "
              f"norms within {max(errors['audio_norm'], errors['video_norm']):.1e}, audio head {errors['audio_head']:.1e} of an RMS element")
        if video_steps > 2 or max(errors["audio_norm"], errors["video_norm"]) > 5e-3 or errors["audio_head"] > args.tolerance:
            fail("onnxruntime differs from the int8 engine's golden values by more than its rounding explains")

    if precision != "float32":
        print("ok")
        return
    params, manifest = J.load_bundle(args.bundle)
    backbone = J.manifest_backbone(manifest)
    for name, got, want in (("audio_embedding", a, np.asarray(J.audio_embedding(params, spectrogram[0, 0], backbone))),
                            ("video_map", v, np.asarray(J.video_map(params, frame[0, 0], backbone)))):
        if got.shape != want.shape:
            fail(f"{name}: onnxruntime shape {got.shape}, JAX {want.shape}")
        rms = max(float(np.sqrt(np.mean(want.astype(np.float64) ** 2))), 1e-12)
        error = float(np.max(np.abs(got - want))) / rms
        print(f"jax       {name} {list(got.shape)}: max |onnxruntime - JAX| / RMS element = {error:.2e}")
        if error > args.tolerance:
            fail(f"{name}: onnxruntime and JAX differ by {error:.3e} of an RMS element > {args.tolerance:.0e}")
    print("ok")


if __name__ == "__main__":
    main()
