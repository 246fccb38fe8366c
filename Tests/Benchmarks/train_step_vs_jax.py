"""One training step of the edge network, timed, for Tests/Benchmarks/train_step_vs_jax.sh.

    python3 train_step_vs_jax.py jax  --threads T [--batch 20] [--steps S] [--grouped dense|lax]
    python3 train_step_vs_jax.py ours --showtell BIN --threads T [--batch 20] [--steps S]
    -> one line "LABEL MS MS ..." (milliseconds per step, warm-up excluded), then "#" comments

jax: models/tools/jax_showtell.make_train_step (va-spatial, InfoNCE, LSE pooling, AdamW lr 1e-3
wd 0.01, temperature 0.1, clip 5), batch of N frames 224x224 and N spectrograms 256x256 (1 frame
per clip), random inputs made once; each step timed to block_until_ready after one warm-up
step (compilation is reported apart). Threads: run it under `taskset` with T CPUs (XLA's CPU
thread pool is sized from the CPUs the process may use); T = 1 also sets
--xla_cpu_multi_thread_eigen=false.

ours: `showtell train --synthetic (S+1)*N --config edge --variant va-spatial --contrastive
infonce --optimizer adamw ... --frames-per-clip 1 --threads T --epochs 1`, one run; showtell
prints a progress line on stderr right after each step, so the time between two lines is one
step (batch assembly from the toy clips included: a few ms). The first step (arenas, first
touch of memory) is left out, as JAX's warm-up is. The run's own "clips/s" line is echoed as a
comment.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time


def run_jax(args):
    if args.threads == 1:
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false").strip()
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.join(here, "..", "..", "models", "tools"))
    import numpy as np
    import jax
    import jax.numpy as jnp
    import jax_showtell as J

    n = args.batch
    params = J.init_params("edge", 128, jax.random.PRNGKey(0))
    state = J.init_training(params, optimizer="adamw")
    step = J.make_train_step("edge", optimizer="adamw", learning_rate=1e-3, weight_decay=0.01, temperature=0.1,
                             gradient_clip=5.0, grouped=args.grouped)
    rng = np.random.default_rng(1)
    frames = jnp.asarray(rng.standard_normal((n, J.FRAME_SIZE, J.FRAME_SIZE), dtype=np.float32))
    spectrograms = jnp.asarray(rng.standard_normal((n, J.SPECTROGRAM_SIZE, J.SPECTROGRAM_SIZE), dtype=np.float32))
    negative_mask = jnp.asarray(1 - np.eye(n, dtype=np.float32))
    negatives = jnp.asarray((np.arange(n) + 1) % n, dtype=jnp.int32)
    started = time.monotonic()
    compiled = step.lower(state, frames, spectrograms, negative_mask, negatives).compile()
    compile_seconds = time.monotonic() - started
    times, losses = [], []
    for i in range(args.steps + 1):
        started = time.monotonic()
        state, terms = compiled(state, frames, spectrograms, negative_mask, negatives)
        jax.block_until_ready(state)
        elapsed = time.monotonic() - started
        losses.append(float(terms["total"]))
        if i > 0:
            times.append(1000 * elapsed)
    print(f"jax-{args.grouped} " + " ".join(f"{t:.1f}" for t in times))
    print(f"# jax {jax.__version__} grouped={args.grouped} threads={args.threads} cpus={sorted(os.sched_getaffinity(0))} "
          f"XLA_FLAGS='{os.environ.get('XLA_FLAGS', '')}' compile {compile_seconds:.1f} s, "
          f"loss {losses[0]:.4f} -> {losses[-1]:.4f}")


def run_ours(args):
    n = args.batch
    env = dict(os.environ)
    if "OPENBLAS_CORETYPE" not in env and " avx2" in open("/proc/cpuinfo").read():
        env["OPENBLAS_CORETYPE"] = "Haswell"  # as build.sh and the README's training commands
    with tempfile.TemporaryDirectory(prefix="train-step-") as out:
        command = [args.showtell, "train", "--synthetic", str((args.steps + 1) * n), "--config", "edge",
                   "--variant", "va-spatial", "--contrastive", "infonce", "--optimizer", "adamw", "--lr", "0.001",
                   "--weight-decay", "0.01", "--temperature", "0.1", "--batch", str(n), "--frames-per-clip", "1",
                   "--epochs", "1", "--threads", str(args.threads), "--checkpoint-every", "100000", "--out", out + "/run"]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        stamps, buffer = [], b""
        while True:
            chunk = os.read(process.stderr.fileno(), 65536)
            if not chunk:
                break
            now = time.monotonic()
            buffer += chunk
            # One "\r[###...] epoch 1/1 step K/S ..." line per step.
            while True:
                match = re.search(rb"\r\[[#.]+\] epoch \d+/\d+ step (\d+)/\d+[^\r]*?\x1b\[K", buffer)
                if not match:
                    break
                stamps.append((int(match.group(1)), now))
                buffer = buffer[match.end():]
        stdout = process.stdout.read().decode()
        if process.wait() != 0:
            sys.exit(f"showtell train failed ({process.returncode}):\n{stdout}\n{buffer.decode(errors='replace')}")
    times = [1000 * (b[1] - a[1]) for a, b in zip(stamps, stamps[1:]) if b[0] == a[0] + 1]
    print("ours " + " ".join(f"{t:.1f}" for t in times))
    rate = re.search(r"trained .*clips/s[^\n]*", stdout)
    print(f"# showtell threads={args.threads} cpus={sorted(os.sched_getaffinity(0))} OPENBLAS_CORETYPE={env.get('OPENBLAS_CORETYPE', '')}: "
          + (rate.group(0) if rate else "no rate line"))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("which", choices=["jax", "ours"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--steps", type=int, default=5, help="timed steps (after one warm-up step)")
    parser.add_argument("--grouped", choices=["dense", "lax"], default="dense", help="JAX's grouped convolutions")
    parser.add_argument("--showtell", default=".build/release/showtell")
    args = parser.parse_args()
    (run_jax if args.which == "jax" else run_ours)(args)


if __name__ == "__main__":
    main()
