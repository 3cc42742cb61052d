#!/usr/bin/env python3
"""Drag a seed of the shipped model and write the animation as a GIF.

    /usr/bin/python3 python/examples/drag_seed_gif.py            # seed 13: a coat, its side pulled 7 px outwards
    /usr/bin/python3 python/examples/drag_seed_gif.py --seed 12 --handle 12,16 --target 19,16 --out shirt.gif

Run from the repository after the README's build (it finds build/python); elsewhere put the folder holding
draggan_cpp on PYTHONPATH (docs/python.md).
"""
import argparse
import os
import sys

try:
    import draggan_cpp as dg
except ImportError:  # straight from a checkout: the package the build assembled
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "build", "python"))
    import draggan_cpp as dg


def xy_pair(text):
    x, y = text.split(",")
    return float(x), float(y)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="checkpoint (default: the shipped models/default.safetensors)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--handle", type=xy_pair, action="append", help="X,Y (x = column); repeat per pair")
    parser.add_argument("--target", type=xy_pair, action="append", help="X,Y for the handle of the same position")
    parser.add_argument("--steps", type=int, help="step limit (default: the model's, else 100)")
    parser.add_argument("--out", default="drag.gif")
    args = parser.parse_args()
    handles, targets = args.handle or [(12, 16)], args.target or [(19, 16)]

    model = dg.load(args.model)
    session = dg.DragSession(model, model.w_from_seed(args.seed), points_xy=handles, targets_xy=targets)
    step = None
    with dg.GifWriter(args.out, model.width, model.height, frame_ms=80) as gif:
        for step in session.steps(args.steps, image=True):
            gif.add(dg.draw_points(rgb(step.image), step.points, session.targets))
            print(f"step {step.step:3d}  loss {step.loss:8.4f}  handles {[p.xy for p in step.points]}")
        gif.add(dg.draw_points(rgb(session.image()), session.points, session.targets))
    print(f"{'reached' if step and step.done else 'stopped'} after {session.steps_taken} steps; wrote {args.out} "
          f"({gif.frames} frames)")


def rgb(image):
    """Gray models (the shipped one) make [H, W, 1]; the overlay draws in colour."""
    return image.repeat(3, axis=2) if image.shape[2] == 1 else image


if __name__ == "__main__":
    main()
