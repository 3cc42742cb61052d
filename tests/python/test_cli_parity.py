"""A drag from Python is the drag `draggan drag` makes: the handles at every step (the CLI's --trajectory
JSON), the losses, the final image and latent, the animation's frame count."""
import json
import os

import numpy as np

import draggan_cpp as dg
from conftest import DATA, ROOT, run_cli


def cli_drag(tmp_path, model_path, handles_xy, targets_xy, extra=()):
    args = ["drag", "--model", model_path, "--seed", 0, "--trajectory", tmp_path / "t.json", "--out",
            tmp_path / "cli.png", "--video", tmp_path / "cli.gif", *extra]
    for (hx, hy), (tx, ty) in zip(handles_xy, targets_xy):
        args += ["--handle", f"{hx},{hy}", "--target", f"{tx},{ty}"]
    run_cli(*args)
    with open(tmp_path / "t.json") as f:
        return json.load(f)


def assert_same_drag(trajectory, steps, session, tmp_path):
    assert len(steps) == len(trajectory["steps"])
    for ours, theirs in zip(steps, trajectory["steps"]):
        assert ours.step == theirs["step"]
        assert [list(p.xy) for p in ours.points] == theirs["handles"]
        assert ours.loss == theirs["loss"]  # the same arithmetic on the same thread count: equal
        assert ours.distances == theirs["distances"]
        assert ours.done == theirs["done"]
    np.testing.assert_array_equal(session.image(), dg.read_image(tmp_path / "cli.png"))
    np.testing.assert_array_equal(session.w, np.load(trajectory["latent"]))


def test_tiny_two_handle_drag_equals_the_cli(tmp_path, tiny):
    handles, targets = [(20, 20), (42, 44)], [(30, 26), (30, 38)]
    settings = ["--lr", 0.01, "--feature-block", 3, "--r1", 16, "--r2", 48, "--steps", 12]
    trajectory = cli_drag(tmp_path, os.path.join(DATA, "tiny_sg2.pkl"), handles, targets, settings)
    session = dg.DragSession(tiny, tiny.w_from_seed(0), points_xy=handles, targets_xy=targets, lr=0.01,
                             feature_idx=3, r1=16, r2=48)
    frames = []
    steps = []
    for s in session.steps(12, image=True):
        steps.append(s)
        frames.append(dg.draw_points(s.image, s.points, session.targets))
    frames.append(dg.draw_points(session.image(), session.points, session.targets))
    assert_same_drag(trajectory, steps, session, tmp_path)
    assert dg.write_gif(tmp_path / "py.gif", frames) == len(steps) + 1
    # The same frames make the same GIF, byte for byte.
    assert (tmp_path / "py.gif").read_bytes() == (tmp_path / "cli.gif").read_bytes()


def test_shipped_model_masked_drag_with_its_recorded_settings_equals_the_cli(tmp_path, shipped):
    # A painted mask file as the CLI takes it (bright = may move): the left half of the garment.
    painted = np.zeros((shipped.height, shipped.width, 3), np.uint8)
    painted[:, :18] = 255
    dg.write_png(tmp_path / "movable.png", painted)
    handles, targets = [(12, 16)], [(6, 16)]
    model_path = os.path.join(ROOT, "models", "default.safetensors")
    trajectory = cli_drag(tmp_path, model_path, handles, targets, ["--mask", tmp_path / "movable.png", "--steps", 15])
    session = dg.DragSession(shipped, shipped.w_from_seed(0), points_xy=handles, targets_xy=targets,
                             flexible=tmp_path / "movable.png")
    assert session.settings["lr"] == trajectory["lr"] != 0.001  # the model's recorded step size, as the CLI
    assert session.settings["first_optimized_layer"] == trajectory["first_optimized_layer"]
    steps = list(session.steps(15))
    assert_same_drag(trajectory, steps, session, tmp_path)
    # The same mask as an array (flexible = True where it may move) is the same drag.
    again = dg.DragSession(shipped, shipped.w_from_seed(0), points_xy=handles, targets_xy=targets,
                           flexible=painted[:, :, 0] > 127)
    assert [s.points for s in again.steps(15)] == [s.points for s in steps]
