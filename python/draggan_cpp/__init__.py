"""draggan_cpp: the DragGAN engine of this project (C++/LibTorch) from Python.

Not the PyPI package `draggan` (an unrelated Gradio app): this one imports as `draggan_cpp`, so a script can
never get the other one by accident (docs/python.md, "The name"). Build it with the project (README), then

    PYTHONPATH=build/python /usr/bin/python3
    >>> import draggan_cpp as dg
    >>> model = dg.load("ffhq.pkl")                      # any family and format the CLI opens
    >>> w = model.w_from_seed(0, trunc_psi=0.7)          # the official renderer's start latent
    >>> session = dg.DragSession(model, w, points_xy=[(120, 140)], targets_xy=[(160, 140)])
    >>> for s in session.steps(200): print(s.step, s.loss, s.points, s.distances)
    >>> dg.write_png("dragged.png", session.image())

Arrays come back as numpy arrays sharing the engine's memory (torch.from_numpy / torch.from_dlpack share it
again); numpy arrays and torch tensors go in through DLPack without a copy. Points always carry their order in
their name (Point(x=, y=) / Point(row=, col=), points_xy= / points_rowcol=). Errors are draggan_cpp.Error
(InputError and CheckpointError are also ValueError, FileNotFound a FileNotFoundError) with the CLI's
one-line messages. Every step, synthesis, inversion and evaluation runs without the GIL.
"""
import os as _os

from . import _errors  # the compiled module looks its exception classes up here
from ._errors import CheckpointError, Error, FileNotFound, InputError
from . import _engine
from ._engine import GifWriter, Model, encode_png, get_threads, read_image, set_threads
from ._drag import DEFAULT_MAX_STEPS, DragSession, Step
from ._images import draw_points, write_gif, write_png
from ._points import Point, rowcol, xy
from ._tasks import Inversion, evaluate, invert


def shipped_model_path():
    """The model `draggan` uses without --model: $DRAGGAN_MODEL, else the source tree's
    models/default.safetensors (a 32x32 Fashion-MNIST StyleGAN2, models/README.md)."""
    env = _os.environ.get("DRAGGAN_MODEL")
    if env:
        return env
    from ._build_config import SOURCE_DIR
    return _os.path.join(SOURCE_DIR, "models", "default.safetensors")


def load(path=None, device="cpu"):
    """Loads a checkpoint and returns a Model: an NVIDIA .pkl (StyleGAN2/2-ADA, StyleGAN3 T/R,
    StyleGAN-Human), a TensorFlow StyleGAN2 pickle or a .safetensors written by draggan, recognised by content
    as the CLI does. path=None: the shipped model (shipped_model_path()). device: 'cpu', 'cuda', 'cuda:N' or
    'auto'. Raises FileNotFoundError (FileNotFound) for a missing file, CheckpointError (a ValueError) for a
    broken or unsupported one. Loading runs without the GIL."""
    return _engine.load(_os.fspath(shipped_model_path() if path is None else path), device)


__all__ = [
    "load", "shipped_model_path", "Model", "DragSession", "Step", "DEFAULT_MAX_STEPS", "Point", "xy", "rowcol",
    "invert", "Inversion", "evaluate", "read_image", "write_png", "write_gif", "GifWriter", "draw_points",
    "encode_png", "set_threads", "get_threads", "Error", "InputError", "CheckpointError", "FileNotFound",
]
