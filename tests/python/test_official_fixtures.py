"""The official DragGAN code's images and drag trajectories (tests/data), reproduced through the Python API:
every family and format the fixtures hold, points given in the official [row, col] order."""
import numpy as np
import pytest

import draggan_cpp as dg
from conftest import Fixture

FAMILIES = {  # fixture folder -> (expected family, format)
    None: ("stylegan2", "nvidia-pkl"),
    "tf_stylegan2": ("stylegan2", "tensorflow-pkl"),
    "stylegan_human": ("stylegan-human", "nvidia-pkl"),
    "stylegan3_t": ("stylegan3-t", "nvidia-pkl"),
    "stylegan3_r": ("stylegan3-r", "nvidia-pkl"),
}

_models = {}


def model_of(fx):
    if fx.checkpoint not in _models:
        _models[fx.checkpoint] = dg.load(fx.checkpoint)
    return _models[fx.checkpoint]


def displayed(model, image):
    """Our image as the official renderer displays it: StyleGAN-Human's sits in a white-padded square."""
    left = model.canvas["image_left"]
    if left == 0:
        return image
    square = np.full((model.height, model.canvas["width"], image.shape[2]), 255, np.uint8)
    square[:, left:left + model.width] = image
    return square


@pytest.mark.parametrize("folder", list(FAMILIES), ids=lambda f: f or "stylegan2")
def test_seed_latents_and_images_are_the_official_ones(folder):
    fx = Fixture(folder)
    model = model_of(fx)
    assert (model.family, model.format) == FAMILIES[folder]
    assert model.resolution == 64 and model.num_ws == fx.array("seed0_w_psi07").shape[1]
    for seed in range(3):
        w = model.w_from_seed(seed, trunc_psi=0.7)
        assert w.dtype == np.float32 and w.shape == (1, model.num_ws, model.w_dim)
        np.testing.assert_allclose(w, fx.array(f"seed{seed}_w_psi07"), atol=1e-5, rtol=0)
        image = model.synthesize(w)
        assert image.dtype == np.uint8 and image.shape == (model.height, model.width, 3)
        official = fx.array(f"seed{seed}_img_psi07_uint8").astype(int)
        assert np.abs(displayed(model, image).astype(int) - official).max() <= 1
        if folder != "stylegan_human":  # its float image is the padded square; checked in C++ parity tests
            raw = model.synthesize(fx.array(f"seed{seed}_w_psi07"), raw=True)
            assert raw.shape == (1, 3, 64, 64)
            assert np.abs(raw - fx.array(f"seed{seed}_img_psi07")).max() <= 1e-4


SG2_CASES = [("drag1", None), ("drag2", None), ("drag_mask", None), ("drag1_lr01", None), ("drag2_lr01", None),
             ("drag_mask_lr01", None)]
FORMAT_CASES = [("drag2", f) for f in ("tf_stylegan2", "stylegan_human", "stylegan3_t", "stylegan3_r")]


@pytest.mark.parametrize("name,folder", SG2_CASES + FORMAT_CASES,
                         ids=lambda v: v if isinstance(v, str) else "")
def test_drag_follows_the_official_trajectory(name, folder):
    fx = Fixture(folder)
    model = model_of(fx)
    case, hp = fx.case(name), fx.hyper
    left = model.canvas["image_left"]  # StyleGAN-Human: the official canvas is padded by this many columns
    to_image = np.array([0, left])
    points = fx.array(f"{name}_points_init") - to_image
    targets = fx.array(f"{name}_targets") - to_image
    mask = fx.array(f"{name}_mask") if case["mask"] else None
    handles_ref, loss_ref, stop_ref = fx.array(f"{name}_handles"), fx.array(f"{name}_loss"), fx.array(f"{name}_stop")
    session = dg.DragSession(model, model.w_from_seed(hp["seed"], trunc_psi=hp["trunc_psi"]),
                             points_rowcol=points, targets_rowcol=targets, fixed=mask, lr=case["lr"],
                             feature_idx=hp["feature_idx"], r1=hp["r1"], r2=hp["r2"],
                             lambda_mask=hp["lambda_mask"], reg=hp["reg"])
    assert session.settings["r1_pixels"] == hp["r1_pixels"] and session.settings["r2_pixels"] == hp["r2_pixels"]
    # Step by step as the official loop calls the renderer (it does not stop on its own at `stop`).
    steps = [session.step() for _ in range(len(loss_ref))]
    for k, s in enumerate(steps):
        np.testing.assert_array_equal(s.points_rowcol + to_image, handles_ref[k], err_msg=f"{name} step {k}")
        assert abs(s.loss - loss_ref[k]) <= 1e-4 * max(abs(loss_ref[k]), 1e-12), f"{name} loss at step {k}"
        assert s.done == bool(stop_ref[k])
    np.testing.assert_allclose(session.w[0], fx.array(f"{name}_ws")[-1], atol=1e-4, rtol=0)
    final = displayed(model, session.image()).astype(int)
    assert np.abs(final - fx.array(f"{name}_img_final_uint8").astype(int)).max() <= 1
    # The extra tracking the next call would do (index S of the official handles).
    last = session.step()
    np.testing.assert_array_equal(last.points_rowcol + to_image, handles_ref[-1])
