#!/usr/bin/env python3
"""Project a photo into a model (the latent and a pivotal-tuned generator that reproduce it), then drag it.

    /usr/bin/python3 python/examples/project_and_drag.py         # a Fashion-MNIST test image on the shipped model
    /usr/bin/python3 python/examples/project_and_drag.py photo.png --model ffhq.pkl --handle 120,140 --target 160,140

Writes projected.png (the reconstruction), dragged.png and dragged.gif.
"""
import argparse
import gzip
import os
import sys

import numpy as np

try:
    import draggan_cpp as dg
except ImportError:  # straight from a checkout: the package the build assembled
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "build", "python"))
    import draggan_cpp as dg

FASHION_MNIST_TEST = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"  # Debian's dataset-fashion-mnist


def xy_pair(text):
    x, y = text.split(",")
    return float(x), float(y)


def fashion_mnist_image(index):
    """Test image `index` of Fashion-MNIST (IDX: a 16-byte header, then 28x28 uint8 images) as [28, 28, 1]."""
    with gzip.open(FASHION_MNIST_TEST) as f:
        data = np.frombuffer(f.read(), np.uint8, offset=16)
    return data.reshape(-1, 28, 28, 1)[index].copy()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("image", nargs="?", help="photo (default: Fashion-MNIST test image --index)")
    parser.add_argument("--index", type=int, default=0)
    parser.add_argument("--model", help="checkpoint (default: the shipped models/default.safetensors)")
    parser.add_argument("--handle", type=xy_pair, action="append", help="X,Y (x = column); repeat per pair")
    parser.add_argument("--target", type=xy_pair, action="append", help="X,Y for the handle of the same position")
    parser.add_argument("--steps", type=int, help="drag step limit (default: the model's, else 100)")
    args = parser.parse_args()

    model = dg.load(args.model)
    photo = args.image if args.image else fashion_mnist_image(args.index)

    def progress(p):
        if p["step"] == p["total"] or p["step"] % 20 == 0:
            print(f"{p['stage']:10s} {p['step']:4d}/{p['total']}  loss {p['loss']:.4f}")

    inversion = dg.invert(model, photo, progress=progress)
    print(f"projected: PSNR {inversion.psnr:.2f} dB, SSIM {inversion.ssim:.4f}")
    dg.write_png("projected.png", inversion.reconstruction)

    tuned, w = inversion
    centre = (model.width / 2, model.height / 2)
    handles = args.handle or [(centre[0] - model.width / 8, centre[1])]
    targets = args.target or [(centre[0] - model.width / 4, centre[1])]
    session = dg.DragSession(tuned, w, points_xy=handles, targets_xy=targets)
    frames = [(step.image, step.points) for step in session.steps(args.steps, image=True)]
    frames.append((session.image(), session.points))
    dg.write_gif("dragged.gif", (dg.draw_points(rgb(image), points, session.targets) for image, points in frames))
    dg.write_png("dragged.png", session.image())
    print(f"dragged {session.steps_taken} steps, handles now {[p.xy for p in session.points]}; "
          "wrote projected.png, dragged.png, dragged.gif")


def rgb(image):
    """Gray models (the shipped one) make [H, W, 1]; the overlay draws in colour."""
    return image.repeat(3, axis=2) if image.shape[2] == 1 else image


if __name__ == "__main__":
    main()
