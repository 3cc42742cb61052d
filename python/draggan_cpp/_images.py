"""Images in and out through the library's own readers and writers (the CLI's), and the drag overlay. Every
file written carries a provenance record (docs/provenance.md); ai_mark=True also stamps the visible "AI
Generated" mark (the CLI's --ai-mark)."""
import os

from . import _engine
from ._errors import InputError
from ._points import Point, points_from
from ._provenance import record_json


def write_png(path, image, provenance=None, ai_mark=False):
    """Writes uint8 [H, W, C] (C = 1..4) or [H, W] as a PNG, as the CLI writes its images, with `provenance`
    (a Provenance: session.provenance, inversion.provenance, model.provenance(w)) in XMP and text chunks.
    None: Provenance(), a generated image and nothing more known (this module only makes generated images;
    pass Provenance('other', description=...) for one it did not). ai_mark=True stamps "AI Generated" in the
    bottom-right corner (images under 256 px wide are enlarged first, nearest neighbour)."""
    _engine.write_png(os.fspath(path), image, record_json(provenance), bool(ai_mark))


def encode_png(image, provenance=None, ai_mark=False):
    """The bytes write_png would write (for a notebook's display or a web response)."""
    return _engine.encode_png(image, record_json(provenance), bool(ai_mark))


def mark_as_generated(image):
    """A copy of uint8 [H, W, C] or [H, W] with the visible "AI Generated" mark (the editor's and the CLI's
    --ai-mark), enlarged first (nearest neighbour, a whole factor) when under 256 px wide or 32 px tall."""
    return _engine.mark_as_generated(image)


def draw_points(image, points=None, targets=None, *, points_xy=None, targets_xy=None, points_rowcol=None,
                targets_rowcol=None):
    """A copy of uint8 [H, W, 3] with the handles (red), targets (blue) and an arrow between them, as the
    CLI's animation frames and the official GUI draw them. Points named as for DragSession."""
    handles = points_from("points", points, points_xy, points_rowcol) or []
    goals = points_from("targets", targets, targets_xy, targets_rowcol) or []
    if len(handles) != len(goals):
        raise InputError(f"{len(handles)} points but {len(goals)} targets: give them in pairs")
    return _engine.draw_points(image, [(p.x, p.y, t.x, t.y) for p, t in zip(handles, goals)])


class GifWriter:
    """An animated GIF written frame by frame (the CLI's --video writer), looping forever:

        with draggan_cpp.GifWriter("drag.gif", model.width, model.height, frame_ms=100) as gif:
            for s in session.steps(image=True):
                gif.add(s.image)          # uint8 [H, W, 3] (or gray), of the size given
            gif.provenance = session.provenance

    Each frame gets its own 256-colour palette. The provenance record (None: Provenance()) is written after
    the last frame, so it may be set until close(). ai_mark=True marks every frame (a frame under 256 px wide
    is enlarged first: the file is then larger than width x height)."""

    def __init__(self, path, width, height, frame_ms=100, provenance=None, ai_mark=False):
        self._provenance = provenance
        self._core = _engine.GifWriterCore(os.fspath(path), width, height, frame_ms, record_json(provenance),
                                           bool(ai_mark))

    @property
    def provenance(self):
        return self._provenance

    @provenance.setter
    def provenance(self, record):
        self._core.set_record(record_json(record))
        self._provenance = record

    def add(self, frame):
        """Appends one frame, uint8 [height, width, 3]."""
        self._core.add(frame)

    def close(self):
        """Writes the record and the end of the file (also done on leaving a with block)."""
        self._core.close()

    @property
    def frames(self):
        return self._core.frames

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def write_gif(path, frames, frame_ms=100, provenance=None, ai_mark=False):
    """Writes uint8 [H, W, 3] frames (an iterable, all of one size) as a looping animated GIF carrying
    `provenance` (as write_png; None: Provenance()); returns the number of frames. ai_mark=True marks every
    frame. For long animations, GifWriter writes frame by frame."""
    writer = None
    count = 0
    try:
        for frame in frames:
            if writer is None:
                h, w = frame.shape[0], frame.shape[1]
                writer = GifWriter(path, w, h, frame_ms, provenance, ai_mark)
            writer.add(frame)
            count += 1
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        raise InputError(f"{os.fspath(path)}: no frames to write")
    return count


__all__ = ["write_png", "encode_png", "mark_as_generated", "draw_points", "write_gif", "GifWriter", "Point"]
