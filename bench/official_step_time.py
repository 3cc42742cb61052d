#!/usr/bin/env python3
"""Times the official DragGAN drag step on this machine, for the speed ratio in bench/README.md.

Not part of the product: a measuring stick. It imports the official code from a checkout you point it at
(OFFICIAL_DRAGGAN=/path/to/DragGAN) and needs PyTorch + NumPy (Debian: python3-torch python3-numpy).
It builds a randomly initialised StyleGAN2 generator of the requested shape (speed does not depend on the
weights), drives the official renderer's drag step exactly as its GUI does, and prints one JSON object:
{"ms_per_step": median, "steps": N, "resolution": R, "parameters": P, "threads": T}.
"""
import argparse
import json
import os
import statistics
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--resolution", type=int, default=256)
    ap.add_argument("--channel-base", type=int, default=16384)
    ap.add_argument("--channel-max", type=int, default=512)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    args = ap.parse_args()

    root = os.environ.get("OFFICIAL_DRAGGAN")
    if not root:
        sys.exit("set OFFICIAL_DRAGGAN to a checkout of the official DragGAN repository")
    sys.path.insert(0, root)
    import torch
    import dnnlib
    from training.networks_stylegan2 import Generator
    from viz.renderer import Renderer

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    G = Generator(z_dim=512, c_dim=0, w_dim=512, img_resolution=args.resolution, img_channels=3,
                  mapping_kwargs=dict(num_layers=8), channel_base=args.channel_base,
                  channel_max=args.channel_max, num_fp16_res=4, conv_clamp=256).eval()
    params = sum(p.numel() for p in G.parameters())

    renderer = Renderer(disable_timing=True)
    renderer.G = G
    renderer.pkl = "random"
    res = dnnlib.EasyDict()
    # Same set-up the GUI performs: W+ latent from seed 0, Adam on it.
    import numpy as np
    z = torch.from_numpy(np.random.RandomState(0).randn(1, 512)).float()
    w = G.mapping(z, torch.zeros([1, 0]), truncation_psi=0.7)
    renderer.w0 = w.detach().clone()
    renderer.w = w.detach().clone().requires_grad_(True)
    renderer.w_plus = True
    renderer.w_optim = torch.optim.Adam([renderer.w], lr=0.001)
    renderer.feat_refs = None
    renderer.points0_pt = None

    h = args.resolution
    points = [[h // 2, h // 3]]
    targets = [[h // 2, 2 * h // 3]]
    times = []
    for step in range(args.steps + 1):
        t0 = time.perf_counter()
        renderer._render_drag_impl(res, points=points, targets=targets, is_drag=True, reset=(step == 0))
        if step > 0:  # the first call also builds feature references
            times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"ms_per_step": statistics.median(times), "steps": len(times), "resolution": h,
                      "parameters": params, "threads": args.threads}))


if __name__ == "__main__":
    main()
