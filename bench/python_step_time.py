#!/usr/bin/env python3
"""A drag step driven from Python (draggan_cpp) against the same step driven by `draggan bench` (C++), in one run.

Same generator, start latent (seed 0, psi 0.7), handles (bench_pairs: spread over the middle of the image, each
pulled a quarter of the width to the right), official default settings and thread count. The two are measured in
alternating rounds (C++, Python, C++, ...) so that a machine shared with other work slows both alike; each round
is a fresh session with warm-up steps, and the script prints the median over all measured steps of each side and
their ratio. Python's figure is the wall time around DragSession.step() as a caller sees it (binding, GIL release
and the Step object included); the engine's own timing of the same steps is printed beside it.

    /usr/bin/python3 bench/python_step_time.py                          # random 256-px StyleGAN2 (official shape)
    /usr/bin/python3 bench/python_step_time.py --model models/default.safetensors --steps 40
Options: --random-config R, --handles N, --steps N, --warmup N, --rounds N, --threads N, --json.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "build", "python"))
import draggan_cpp as dg  # noqa: E402


def bench_pairs(count, height, width):
    """src/tools/Bench.cpp's bench_pairs, as (x, y) handles and targets."""
    handles, targets = [], []
    for j in range(count):
        y = round(height * (0.2 + 0.6 * (j + 0.5) / count))
        x = round(width * 0.3)
        handles.append((x, y))
        targets.append((round(x + width * 0.25), y))
    return handles, targets


def python_round(model, w, args):
    handles, targets = bench_pairs(args.handles, model.height, model.width)
    # Bench.cpp's `DragParams params;`: the official defaults, whatever the model file records.
    session = dg.DragSession(model, w, points_xy=handles, targets_xy=targets, lr=0.001, w_plus=True, r1=3, r2=12,
                             lambda_mask=20, reg=0, reg_l2=0, feature_idx=-1, stop_distance=-1,
                             optimized_layers=6, first_optimized_layer=0, noise_mode="const", exact_grid=False)
    outer, inner = [], []
    for k in range(args.warmup + args.steps):
        started = time.perf_counter()
        s = session.step()
        elapsed = (time.perf_counter() - started) * 1000.0
        if s.done:
            sys.exit("the drag reached its targets during the benchmark; use fewer steps")
        if k >= args.warmup:
            outer.append(elapsed)
            inner.append(s.ms)
    return outer, inner


def cpp_round(model_path, args):
    out = subprocess.run([args.binary, "bench", "--model", model_path, "--handles", str(args.handles), "--steps",
                          str(args.steps), "--warmup", str(args.warmup), "--threads", str(args.threads),
                          "--skip-naive", "--json", "--quiet"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["ms_all"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="checkpoint; default: a random generator of --random-config px")
    ap.add_argument("--random-config", type=int, default=256)
    ap.add_argument("--handles", type=int, default=2)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "src", "tools", "draggan"))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        model_path = args.model
        if model_path is None:
            model_path = os.path.join(tmp, f"random{args.random_config}.safetensors")
            subprocess.run([args.binary, "bench", "--random-config", str(args.random_config), "--save-random",
                            model_path, "--quiet"], check=True, capture_output=True)
        dg.set_threads(args.threads)
        model = dg.load(model_path)
        w = model.w_from_seed(0, trunc_psi=0.7)
        cpp, py_outer, py_inner = [], [], []
        for _ in range(args.rounds):
            cpp += cpp_round(model_path, args)
            outer, inner = python_round(model, w, args)
            py_outer += outer
            py_inner += inner

    result = {
        "model": args.model or f"random {args.random_config}-px StyleGAN2 (draggan bench --random-config)",
        "family": model.family, "height": model.height, "width": model.width, "handles": args.handles,
        "threads": args.threads, "rounds": args.rounds, "steps_per_round": args.steps,
        "cpp_ms_per_step": statistics.median(cpp), "python_ms_per_step": statistics.median(py_outer),
        "python_engine_ms_per_step": statistics.median(py_inner),
    }
    result["python_over_cpp"] = result["python_ms_per_step"] / result["cpp_ms_per_step"]
    result["python_overhead_ms"] = statistics.median(o - i for o, i in zip(py_outer, py_inner))
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['model']}: {model.width}x{model.height}, {args.handles} handle(s), {args.threads} thread(s), "
              f"{args.rounds} rounds x {args.steps} steps each side")
        print(f"C++    (draggan bench):        {result['cpp_ms_per_step']:9.2f} ms per step (median)")
        print(f"Python (around step()):        {result['python_ms_per_step']:9.2f} ms per step (median)"
              f"   ratio {result['python_over_cpp']:.3f}")
        print(f"Python (the engine's own time): {result['python_engine_ms_per_step']:8.2f} ms; binding overhead "
              f"{result['python_overhead_ms'] * 1000:.0f} us per step")


if __name__ == "__main__":
    main()
