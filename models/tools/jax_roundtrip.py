"""Round trip of a model bundle between showtell (Swift) and the JAX definition (jax_showtell.py).

    .build/fixtures-venv/bin/python models/tools/jax_roundtrip.py BUNDLE_DIR [--showtell BIN] [--tolerance T]

1. Loads BUNDLE_DIR (written by showtell) in JAX, runs GoldenInference's two inputs (the
   320x240 disc frame and the 256x256 harmonic spectrogram, rebuilt here exactly) and compares
   with the manifest's golden values: |a| and |V| relative to themselves, and the 8 recorded
   values of a and of V relative to that output's RMS element (norm / sqrt(count)), each within
   --tolerance (1e-4 in float32; Swift's own check at load is 1e-3 of the whole norm).
2. Writes the params back with write_bundle into a temporary folder; model.safetensors must be
   byte-identical to BUNDLE_DIR's (same names, order, dtypes, header, metadata), and
   `showtell model verify` must accept it (Swift reads what JAX wrote; its golden check passes).
3. Perturbs every trained tensor (x (1 + 0.05 sin i)), recomputes the golden values in JAX,
   writes that bundle: `showtell model verify` must accept it (Swift computes on weights only JAX
   has seen what JAX computed), and must refuse the same weights carrying the old golden values
   (the check has teeth).
4. With --train-steps K: K JAX training steps (make_train_step, batch 4 of random inputs) from
   the bundle's weights, exported as a bundle (fusion weight folded into the audio projection)
   with JAX's golden values: `showtell model verify` must accept it.
Exits 1 naming the first mismatch. Needs jax, numpy (the fixtures venv).
"""

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jax_showtell as J  # noqa: E402


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def compare(measured, expected, sizes):
    """Errors of measured against expected golden values: the norms relative to the manifest's
    norm; the recorded values (max |difference|) relative to the output's RMS element
    (norm / sqrt(count)), i.e. per element, stricter than GoldenInference.compare's scale (the
    whole norm, which lets one element of a 25,088-element map be off by 5 % at 1e-4)."""
    errors = {}
    for key in ("audio", "video"):
        norm = max(expected[f"{key}_norm"], 1e-6)
        rms = norm / np.sqrt(sizes[key])
        errors[f"{key}_norm"] = abs(measured[f"{key}_norm"] - expected[f"{key}_norm"]) / norm
        got, want = np.array(measured[f"{key}_head"], np.float64), np.array(expected[f"{key}_head"], np.float64)
        if got.shape != want.shape:
            fail(f"{key} head: {got.size} values, manifest has {want.size}")
        errors[f"{key}_head"] = float(np.max(np.abs(got - want)) / rms)
        errors[f"{key}_head_abs"] = float(np.max(np.abs(got - want)))
    return errors


def verify(showtell, directory):
    env = dict(os.environ)
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    result = subprocess.run([showtell, "model", "verify", directory, "--runs", "1"], capture_output=True, text=True, env=env)
    return result.returncode, (result.stdout + result.stderr).strip()


def expect_verified(showtell, directory, what):
    code, output = verify(showtell, directory)
    if code != 0:
        fail(f"showtell model verify refuses {what} (exit {code}):\n{output}")


def perturbed(params):
    out = {}
    for name, value in params.items():
        if J.is_buffer(name):
            out[name] = value
        else:
            a = np.asarray(value, np.float32)
            wobble = 1 + 0.05 * np.sin(np.arange(a.size, dtype=np.float32)).reshape(a.shape)
            out[name] = J.jnp.asarray((a * wobble).astype(np.float32))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bundle")
    parser.add_argument("--showtell", default=".build/release/showtell", help="showtell binary (release or debug)")
    parser.add_argument("--tolerance", type=float, default=1e-4, help="largest error: norms relative to themselves, recorded values relative to the RMS element")
    parser.add_argument("--keep", help="write the JAX bundles here instead of a temporary folder")
    parser.add_argument("--train-steps", type=int, default=0, help="also train K JAX steps and have showtell verify the result")
    args = parser.parse_args()
    if not os.access(args.showtell, os.X_OK):
        fail(f"{args.showtell} is not an executable showtell binary (swift build -c release --product showtell)")
    if "OPENBLAS_CORETYPE" not in os.environ and " avx2" in open("/proc/cpuinfo").read():
        os.environ["OPENBLAS_CORETYPE"] = "Haswell"  # as build.sh: OpenBLAS 0.3.21 misdetects this CPU
    started = time.monotonic()

    # 1. Swift -> JAX
    try:
        params, manifest = J.load_bundle(args.bundle)
    except (ValueError, KeyError, OSError) as error:
        fail(f"JAX cannot load {args.bundle}: {error}")
    backbone, d = J.identify(params, J.manifest_backbone(manifest))
    if "golden" not in manifest:
        fail(f"{args.bundle}/manifest.json has no golden values to compare with")
    t = time.monotonic()
    measured = J.golden(params, backbone)
    golden_seconds = time.monotonic() - t
    side = J.map_size(backbone, J.FRAME_SIZE)
    sizes = {"audio": d, "video": d * side * side}
    errors = compare(measured, manifest["golden"], sizes)
    print(f"bundle    {args.bundle}: {backbone}, D = {d}, {manifest['parameters']} parameters, trained = {manifest.get('trained')}")
    print(f"golden    JAX |a| = {measured['audio_norm']:.6f} (manifest {manifest['golden']['audio_norm']:.6f}), "
          f"|V| = {measured['video_norm']:.6f} (manifest {manifest['golden']['video_norm']:.6f}); {golden_seconds:.1f} s with compilation")
    print("errors    |a| %.2e of |a|, a[:8] %.2e of a's RMS (abs %.2e); |V| %.2e of |V|, V[:8] %.2e of V's RMS (abs %.2e); tolerance %.0e" % (
        errors["audio_norm"], errors["audio_head"], errors["audio_head_abs"],
        errors["video_norm"], errors["video_head"], errors["video_head_abs"], args.tolerance))
    worst = max(("audio_norm", "audio_head", "video_norm", "video_head"), key=lambda k: errors[k])
    if errors[worst] > args.tolerance:
        fail(f"JAX golden inference differs from the manifest: {worst} error {errors[worst]:.3e} > {args.tolerance:.0e}")

    scratch = args.keep or tempfile.mkdtemp(prefix="jax-roundtrip-")
    try:
        # 2. JAX -> Swift, same weights
        same = os.path.join(scratch, "same")
        written = J.write_bundle(params, manifest, same)
        original = open(os.path.join(args.bundle, J.WEIGHTS_FILE), "rb").read()
        copy = open(os.path.join(same, J.WEIGHTS_FILE), "rb").read()
        if copy != original:
            fail(f"write_bundle's model.safetensors differs from {args.bundle}'s "
                 f"(sha256 {hashlib.sha256(copy).hexdigest()[:12]} vs {hashlib.sha256(original).hexdigest()[:12]}, {len(copy)} vs {len(original)} bytes)")
        manifest_same = open(os.path.join(same, J.MANIFEST_FILE), "rb").read() == open(os.path.join(args.bundle, J.MANIFEST_FILE), "rb").read()
        print(f"write     {same}: model.safetensors byte-identical (sha256 {written['sha256'][:12]}), manifest.json "
              + ("byte-identical" if manifest_same else "re-encoded (same fields)"))
        expect_verified(args.showtell, same, "the JAX-written bundle")
        print("verify    showtell model verify (JAX-written, same weights): ok")

        # 3. JAX -> Swift, weights only JAX computed on
        changed = perturbed(params)
        new_golden = J.golden(changed, backbone)
        moved = compare(new_golden, manifest["golden"], sizes)
        other = os.path.join(scratch, "perturbed")
        J.write_bundle(changed, manifest, other, golden=new_golden)
        expect_verified(args.showtell, other, "perturbed weights with JAX's golden values")
        print(f"verify    showtell model verify (JAX-written, perturbed weights, JAX golden |a| = {new_golden['audio_norm']:.5f}, "
              f"|V| = {new_golden['video_norm']:.4f}): ok")
        stale = os.path.join(scratch, "stale")
        J.write_bundle(changed, manifest, stale)
        code, output = verify(args.showtell, stale)
        if code == 0:
            fail("showtell model verify accepted perturbed weights carrying the old golden values: its golden check is not biting")
        print(f"control   the same weights with the old golden values (off by up to {max(moved['audio_head'], moved['video_head']):.1e} of an RMS element): refused, as it should be")

        # 4. JAX training -> Swift
        if args.train_steps > 0:
            n = 4
            rng = np.random.default_rng(7)
            frames = J.jnp.asarray(rng.standard_normal((n, J.FRAME_SIZE, J.FRAME_SIZE), dtype=np.float32))
            spectrograms = J.jnp.asarray(rng.standard_normal((n, J.SPECTROGRAM_SIZE, J.SPECTROGRAM_SIZE), dtype=np.float32))
            mask = J.jnp.asarray(1 - np.eye(n, dtype=np.float32))
            negatives = J.jnp.asarray((np.arange(n) + 1) % n, dtype=J.jnp.int32)
            grouped = "dense" if max(J.CONFIGS[name]["cardinality"] for name in J.branches(backbone)) <= 8 else "lax"
            step = J.make_train_step(backbone, grouped=grouped)
            state = J.init_training(params)
            t = time.monotonic()
            losses = []
            for _ in range(args.train_steps):
                state, terms = step(state, frames, spectrograms, mask, negatives)
                losses.append(float(terms["total"]))
            if not all(np.isfinite(losses)):
                fail(f"JAX training diverged: losses {losses}")
            trained = J.export_params(state[0], state[1])
            trained_golden = J.golden(trained, backbone)
            out = os.path.join(scratch, "trained")
            J.write_bundle(trained, manifest, out, golden=trained_golden)
            expect_verified(args.showtell, out, "the JAX-trained bundle")
            print(f"train     {args.train_steps} JAX steps (batch {n}, grouped={grouped}, loss {losses[0]:.4f} -> {losses[-1]:.4f}, "
                  f"{time.monotonic() - t:.1f} s with compilation), exported: showtell model verify ok")
    finally:
        if not args.keep:
            shutil.rmtree(scratch)
    print(f"ok        round trip passed in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
