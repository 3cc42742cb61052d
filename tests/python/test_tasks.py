"""invert() and evaluate(): the CLI's `project` and `eval` from Python, with progress, early stops, Ctrl-C and
the GIL released."""
import _thread
import json
import os
import threading

import numpy as np
import pytest

import draggan_cpp as dg
from conftest import ROOT, run_cli

SHORT = dict(steps=6, pti_steps=3)  # a few steps of each stage: the behaviour, not the quality


def test_invert_returns_a_tuned_model_and_a_latent_ready_to_drag(shipped):
    photo = shipped.synthesize(shipped.w_from_seed(5))
    calls = []
    result = dg.invert(shipped, photo, progress=calls.append, preview_every=3, **SHORT)
    assert [c["stage"] for c in calls] == ["projection"] * 6 + ["pti"] * 3
    assert [c["step"] for c in calls] == list(range(1, 7)) + [1, 2, 3]
    assert calls[2]["preview"].shape == (32, 32, 1) and calls[0]["preview"] is None
    model, w = result
    assert model is result.model and model.format == "tuned" and shipped.format == "safetensors"
    assert w.shape == (1, shipped.num_ws, shipped.w_dim) and result.tuned is not None
    np.testing.assert_array_equal(result.reconstruction, model.synthesize(w))
    assert result.psnr == result.tuned["psnr"] > 10
    # The tuned model drags like any other, with the source model's recorded settings.
    session = dg.DragSession(model, w, points_xy=[(10, 12)], targets_xy=[(20, 12)])
    assert session.settings["lr"] == shipped.drag_settings["lr"]
    assert len(list(session.steps(2))) >= 1


def test_a_saved_tuned_model_loads_back_to_the_same_image(shipped, tmp_path):
    model, w = dg.invert(shipped, shipped.synthesize(shipped.w_from_seed(5)), **SHORT)
    model.save(tmp_path / "tuned.safetensors", {"note": "test"})
    again = dg.load(tmp_path / "tuned.safetensors")
    np.testing.assert_array_equal(again.synthesize(w), model.synthesize(w))


def test_invert_from_a_file_equals_the_cli(shipped, tmp_path):
    photo = tmp_path / "photo.png"
    dg.write_png(photo, shipped.synthesize(shipped.w_from_seed(6)))
    run_cli("project", "--model", os.path.join(ROOT, "models", "default.safetensors"), "--image", photo,
            "--steps", 6, "--pti-steps", 3, "--out", tmp_path / "rec.png", "--out-latent", tmp_path / "w.npy",
            "--out-model", tmp_path / "tuned.safetensors")
    result = dg.invert(shipped, photo, **SHORT)
    np.testing.assert_array_equal(result.w, np.load(tmp_path / "w.npy"))
    np.testing.assert_array_equal(result.reconstruction, dg.read_image(tmp_path / "rec.png"))


def test_invert_stops_when_progress_says_so_and_on_ctrl_c(shipped):
    photo = shipped.synthesize(shipped.w_from_seed(7))
    stopped = dg.invert(shipped, photo, progress=lambda p: p["step"] < 2, **SHORT)
    assert stopped.cancelled

    def interrupt(p):
        if p["step"] == 2:
            _thread.interrupt_main()

    with pytest.raises(KeyboardInterrupt):
        dg.invert(shipped, photo, progress=interrupt, **SHORT)
    with pytest.raises(ZeroDivisionError):
        dg.invert(shipped, photo, progress=lambda p: 1 / 0, **SHORT)


def test_invert_lets_other_threads_run(shipped):
    photo = shipped.synthesize(shipped.w_from_seed(8))
    done = threading.Event()
    counted = []

    def count():
        n = 0
        while not done.is_set():
            n += 1
        counted.append(n)

    counter = threading.Thread(target=count)
    counter.start()
    try:
        dg.invert(shipped, photo, **SHORT)
    finally:
        done.set()
        counter.join()
    assert counted[0] > 1000


def test_evaluate_returns_what_the_cli_writes(shipped, tmp_path):
    run_cli("eval", "--model", os.path.join(ROOT, "models", "default.safetensors"), "--drags", 2, "--steps", 4,
            "--json", tmp_path / "cli.json")
    with open(tmp_path / "cli.json") as f:
        cli = json.load(f)
    seen = []
    ours = dg.evaluate(shipped, drags=2, max_steps=4, progress=lambda i, n, d: seen.append((i, n, d["index"])))
    assert seen == [(1, 2, 0), (2, 2, 1)]
    assert ours["drag_params"] == cli["drag_params"] and ours["classifier"] == cli["classifier"]
    timing = {"ms", "seconds"}
    for a, b in zip(ours["drags"], cli["drags"]):
        assert {k: v for k, v in a.items() if k not in timing} == {k: v for k, v in b.items() if k not in timing}
    assert len(ours["drags"]) == 2 and ours["summary"][0]["group"] == "all"
