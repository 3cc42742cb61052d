"""Arrays pass between the engine, numpy and torch without copies (DLPack), and torch here is the LibTorch the
engine links: one libtorch_cpu.so in the process."""
import numpy as np
import pytest

import draggan_cpp as dg
from draggan_cpp import _engine

torch = pytest.importorskip("torch")


def address(a):
    return a.__array_interface__["data"][0]


def test_one_libtorch_in_the_process():
    with open("/proc/self/maps") as f:
        libs = {line.split()[-1] for line in f if "libtorch_cpu.so" in line}
    assert len(libs) == 1, libs
    assert torch.__version__.startswith("1.13")


def test_engine_arrays_become_torch_tensors_without_a_copy(tiny):
    w = tiny.w_from_seed(0)
    t = torch.from_dlpack(w)
    assert t.data_ptr() == address(w) and t.dtype == torch.float32 and tuple(t.shape) == w.shape
    t.mul_(2)  # the same memory
    assert np.array_equal(w, t.numpy())
    image = tiny.synthesize(tiny.w_from_seed(0))
    assert torch.from_numpy(image).data_ptr() == address(image)


def test_torch_tensors_and_numpy_arrays_reach_the_engine_without_a_copy(tiny):
    w = torch.from_numpy(tiny.w_from_seed(1))
    assert _engine.data_address(w) == w.data_ptr()
    a = np.zeros((4, 5), np.float32)
    assert _engine.data_address(a) == address(a)
    strided = np.zeros((8, 8), np.float32)[::2, ::2]  # a view with strides, still shared
    assert _engine.data_address(strided) == address(strided)


def test_torch_latents_give_the_same_images_and_drags_as_numpy_ones(tiny):
    w = tiny.w_from_seed(2)
    np.testing.assert_array_equal(tiny.synthesize(torch.from_numpy(w)), tiny.synthesize(w))
    a = dg.DragSession(tiny, w, points_xy=[(20, 20)], targets_xy=[(30, 20)], lr=0.01, feature_idx=3, r1=16, r2=48)
    b = dg.DragSession(tiny, torch.from_numpy(w.copy()), points_xy=torch.tensor([[20.0, 20.0]]),
                       targets_xy=torch.tensor([[30.0, 20.0]]), lr=0.01, feature_idx=3, r1=16, r2=48)
    assert [s.points for s in a.steps(3)] == [s.points for s in b.steps(3)]


def test_the_engine_writes_into_a_callers_torch_tensor(tiny):
    out = torch.zeros((64, 64, 3), dtype=torch.uint8)
    returned = tiny.synthesize(tiny.w_from_seed(0), out=out)
    assert returned is out
    np.testing.assert_array_equal(out.numpy(), tiny.synthesize(tiny.w_from_seed(0)))


def test_a_tensor_that_requires_grad_or_a_readonly_array_still_works_or_says_why(tiny):
    w = torch.from_numpy(tiny.w_from_seed(0)).requires_grad_(True)
    with pytest.raises(ValueError, match="w: expected a numeric array.*detach"):
        tiny.synthesize(w)
    frozen = tiny.w_from_seed(0)
    frozen.flags.writeable = False  # numpy exports no read-only array through DLPack: copied instead
    np.testing.assert_array_equal(tiny.synthesize(frozen), tiny.synthesize(tiny.w_from_seed(0)))
