"""draggan_cpp.compat.Renderer: a script written for the official renderer runs on this engine and gets the
official trajectory (the fixtures' driver: one render() per step, the handle list updated in place)."""
import numpy as np

from conftest import Fixture
from draggan_cpp.compat import Renderer


def test_the_official_driver_loop_gives_the_official_trajectory():
    fx = Fixture()
    name = "drag_mask_lr01"
    case, hp = fx.case(name), fx.hyper
    points = [list(map(int, p)) for p in fx.array(f"{name}_points_init")]
    targets = [list(map(int, t)) for t in fx.array(f"{name}_targets")]
    mask = fx.array(f"{name}_mask")
    handles_ref, stop_ref = fx.array(f"{name}_handles"), fx.array(f"{name}_stop")
    renderer = Renderer(disable_timing=True)
    args = dict(pkl=fx.checkpoint, w0_seed=0, w_load=None, w_plus=True, reset_w=False, trunc_psi=0.7,
                lr=case["lr"], is_drag=True, points=points, targets=targets, mask=mask,
                lambda_mask=hp["lambda_mask"], reg=0, feature_idx=hp["feature_idx"], r1=hp["r1"], r2=hp["r2"])
    kept = points
    steps = len(stop_ref)
    for k in range(steps):
        res = renderer.render(**args)
        assert "error" not in res, res.get("error")
        assert res.init_net == (k == 0)
        assert res.points == handles_ref[k].tolist() and kept is points and points == res.points
        assert res.image.shape == (64, 64, 3) and res.stop == bool(stop_ref[k])
    final = renderer.render(**dict(args, is_drag=False)).image
    assert np.abs(final.astype(int) - fx.array(f"{name}_img_final_uint8").astype(int)).max() <= 1
    assert renderer.render(**args).points == handles_ref[steps].tolist()


def test_errors_come_back_in_res_error_and_a_new_seed_reinitialises(tmp_path):
    fx = Fixture()
    renderer = Renderer()
    res = renderer.render(pkl=str(tmp_path / "missing.pkl"), w0_seed=0, w_load=None, w_plus=True, reset_w=False)
    assert "missing.pkl: cannot open" in res.error
    args = dict(pkl=fx.checkpoint, w0_seed=0, w_load=None, w_plus=True, reset_w=False, is_drag=False)
    first = renderer.render(**args)
    assert first.init_net and first.img_resolution == 64 and first.num_ws == 10
    assert not renderer.render(**args).init_net
    other = renderer.render(**dict(args, w0_seed=1))
    assert other.init_net and not np.array_equal(other.image, first.image)
