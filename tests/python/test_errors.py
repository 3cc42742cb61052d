"""Every way a call can fail gives a Python exception with the CLI's one-line message: FileNotFoundError for
a missing file, ValueError (InputError, CheckpointError) for bad values and broken files, all draggan_cpp.Error."""
import errno
import os

import numpy as np
import pytest

import draggan_cpp as dg
from conftest import DATA, ROOT, cli_error_line

TINY = os.path.join(DATA, "tiny_sg2.pkl")


def test_a_missing_model_is_file_not_found_with_the_cli_message(tmp_path):
    missing = str(tmp_path / "nope.pkl")
    with pytest.raises(FileNotFoundError) as caught:
        dg.load(missing)
    e = caught.value
    assert isinstance(e, dg.Error) and isinstance(e, dg.FileNotFound)
    assert e.errno == errno.ENOENT and e.filename == missing
    assert str(e) == cli_error_line("generate", "--model", missing, "--out", tmp_path / "x.png")


@pytest.mark.parametrize("content", [b"", b"garbage, not a checkpoint", "truncated"])
def test_a_broken_model_is_a_checkpoint_error_with_the_cli_message(tmp_path, content):
    path = tmp_path / "broken.pkl"
    if content == "truncated":
        with open(TINY, "rb") as f:
            content = f.read()[:5000]
    path.write_bytes(content)
    with pytest.raises(dg.CheckpointError) as caught:
        dg.load(path)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, dg.Error)
    assert str(caught.value) == cli_error_line("generate", "--model", path, "--out", tmp_path / "x.png")


def test_a_bad_device_is_an_input_error():
    with pytest.raises(ValueError, match="--device: expected cpu, cuda, cuda:N or auto"):
        dg.load(TINY, device="tpu")


def test_bad_latents(tiny):
    with pytest.raises(ValueError, match=r"w: expected a latent of shape \[1, 10, 64\]"):
        tiny.synthesize(np.zeros((3, 64), np.float32))
    nan = tiny.w_from_seed(0)
    nan[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        tiny.synthesize(nan)
    with pytest.raises(ValueError, match="float"):
        dg.DragSession(tiny, np.zeros((1, 10, 64), np.int64))
    with pytest.raises(ValueError, match="None"):
        tiny.synthesize(None)
    with pytest.raises(ValueError, match="numeric"):
        tiny.synthesize([["a", "b"]])
    with pytest.raises(ValueError, match="noise"):
        tiny.synthesize(tiny.w_from_seed(0), noise_mode="loud")
    with pytest.raises(ValueError, match="seed must be in 0..2"):
        tiny.w_from_seed(-1)
    with pytest.raises(ValueError, match="out: expected"):
        tiny.synthesize(tiny.w_from_seed(0), out=np.zeros((2, 2), np.uint8))


def test_points_outside_the_image_give_the_cli_message(tiny, tmp_path):
    session = dg.DragSession(tiny, tiny.w_from_seed(0))
    with pytest.raises(dg.InputError) as caught:
        session.set_points(points_xy=[(70, 5)], targets_xy=[(10, 10)])
    assert str(caught.value) == cli_error_line("drag", "--model", TINY, "--handle", "70,5", "--target", "10,10",
                                               "--out", tmp_path / "x.png")


def test_bad_points_and_settings(tiny):
    w = tiny.w_from_seed(0)
    with pytest.raises(ValueError, match="1 points but 2 targets"):
        dg.DragSession(tiny, w, points_xy=[(1, 1)], targets_xy=[(2, 2), (3, 3)])
    with pytest.raises(ValueError, match="together"):
        dg.DragSession(tiny, w, points_xy=[(1, 1)])
    with pytest.raises(ValueError, match=r"\[N, 2\]"):
        dg.DragSession(tiny, w, points_xy=[(1, 1, 1)], targets_xy=[(2, 2, 2)])
    with pytest.raises(ValueError, match="one pair"):
        dg.DragSession(tiny, w, points_xy=(1, 1), targets_xy=(2, 2))
    with pytest.raises(ValueError, match="NaN"):
        dg.DragSession(tiny, w, points_xy=[(1, np.nan)], targets_xy=[(2, 2)])
    with pytest.raises(ValueError, match="lr"):
        dg.DragSession(tiny, w, lr=-1)
    with pytest.raises(ValueError, match="feature layer 9 does not exist|feature"):
        dg.DragSession(tiny, w, feature_idx=9)
    with pytest.raises(ValueError, match="lr: expected a number"):
        dg.DragSession(tiny, w, lr="fast")
    with pytest.raises(TypeError):
        dg.DragSession(tiny, w, learning_rate=0.1)
    with pytest.raises(ValueError, match="no handle/target pairs"):
        dg.DragSession(tiny, w).step()
    with pytest.raises(ValueError, match="max_steps"):
        dg.DragSession(tiny, w).steps(-1)
    with pytest.raises(ValueError, match="no pair 3"):
        dg.DragSession(tiny, w, points_xy=[(1, 1)], targets_xy=[(2, 2)]).remove_pair(3)


def test_bad_masks(tiny, tmp_path):
    session = dg.DragSession(tiny, tiny.w_from_seed(0), points_xy=[(20, 20)], targets_xy=[(30, 20)])
    with pytest.raises(ValueError, match="flexible=.*64"):
        session.set_mask(flexible=np.ones((32, 32), bool))
    with pytest.raises(ValueError, match="fixed=.*\\[0, 1\\]"):
        session.set_mask(fixed=np.full((64, 64), 255, np.uint8))
    with pytest.raises(ValueError, match="flexible= .* or fixed="):
        session.set_mask(flexible=np.ones((64, 64)), fixed=np.ones((64, 64)))
    with pytest.raises(FileNotFoundError):
        session.set_mask(flexible=tmp_path / "missing.png")
    small = tmp_path / "small.png"
    dg.write_png(small, np.zeros((8, 8), np.uint8))
    with pytest.raises(ValueError, match="the mask is 8x8 but the model makes 64x64"):
        session.set_mask(flexible=small)
    session.set_mask(fixed=np.zeros((64, 64), bool))  # a valid one is taken
    assert session.has_mask


def test_image_files(tmp_path):
    with pytest.raises(FileNotFoundError) as caught:
        dg.read_image(tmp_path / "missing.png")
    assert str(caught.value).endswith("missing.png: no such image file")
    (tmp_path / "bad.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(ValueError, match="bad.png"):
        dg.read_image(tmp_path / "bad.png")
    with pytest.raises(ValueError, match="uint8"):
        dg.write_png(tmp_path / "x.png", np.zeros((4, 4, 3), np.float32))
    with pytest.raises(ValueError):
        dg.write_png(tmp_path / "no" / "such" / "dir" / "x.png", np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(ValueError, match="no frames"):
        dg.write_gif(tmp_path / "x.gif", [])
    with pytest.raises(ValueError):
        with dg.GifWriter(tmp_path / "y.gif", 4, 4) as gif:
            gif.add(np.zeros((5, 5, 3), np.uint8))


def test_invert_and_evaluate_errors(shipped, tmp_path):
    with pytest.raises(FileNotFoundError):
        dg.invert(shipped, tmp_path / "photo.jpg")
    with pytest.raises(ValueError, match="image: expected uint8"):
        dg.invert(shipped, np.zeros((32, 32, 3), np.float32))
    with pytest.raises(ValueError, match="schedule"):
        dg.invert(shipped, np.zeros((32, 32, 3), np.uint8), schedule="slow")
    with pytest.raises(FileNotFoundError):
        dg.evaluate(shipped, drags=1, classifier=tmp_path / "missing.safetensors")
    with pytest.raises(ValueError, match="max_steps"):
        dg.evaluate(shipped, drags=1, max_steps=0)
    with pytest.raises(ValueError, match="unknown drag setting 'speed'"):
        dg.evaluate(shipped, drags=1, speed=2)
