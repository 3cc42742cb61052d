"""Images in and out through the library's own readers and writers (the CLI's), and the drag overlay."""
import os

from . import _engine
from ._errors import InputError
from ._points import Point, points_from


def write_png(path, image):
    """Writes uint8 [H, W, C] (C = 1..4) or [H, W] as a PNG, as the CLI writes its images."""
    _engine.write_png(os.fspath(path), image)


def draw_points(image, points=None, targets=None, *, points_xy=None, targets_xy=None, points_rowcol=None,
                targets_rowcol=None):
    """A copy of uint8 [H, W, 3] with the handles (red), targets (blue) and an arrow between them, as the
    CLI's animation frames and the official GUI draw them. Points named as for DragSession."""
    handles = points_from("points", points, points_xy, points_rowcol) or []
    goals = points_from("targets", targets, targets_xy, targets_rowcol) or []
    if len(handles) != len(goals):
        raise InputError(f"{len(handles)} points but {len(goals)} targets: give them in pairs")
    return _engine.draw_points(image, [(p.x, p.y, t.x, t.y) for p, t in zip(handles, goals)])


def write_gif(path, frames, frame_ms=100):
    """Writes uint8 [H, W, 3] frames (an iterable, all of one size) as a looping animated GIF; returns the
    number of frames. For long animations, GifWriter writes frame by frame."""
    writer = None
    count = 0
    try:
        for frame in frames:
            if writer is None:
                h, w = frame.shape[0], frame.shape[1]
                writer = _engine.GifWriter(os.fspath(path), w, h, frame_ms)
            writer.add(frame)
            count += 1
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        raise InputError(f"{os.fspath(path)}: no frames to write")
    return count


__all__ = ["write_png", "draw_points", "write_gif", "Point"]
