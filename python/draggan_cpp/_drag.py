"""DragSession: one drag of handle points to targets on a model's image, step by step (the official
DragGAN loop: tracking, motion supervision, an Adam step of the latent)."""
from collections import namedtuple

from ._engine import DragSessionCore
from ._errors import InputError
from ._points import Point, one_point_from, points_from, rowcol_array, xy_array

# The CLI's step limit when neither the caller nor the model file gives one (`draggan drag --steps`).
DEFAULT_MAX_STEPS = 100


class Step(namedtuple("Step", "step loss points distances done image")):
    """What one step did; a named tuple, so `for step, loss, points, distances, done, image in ...` works too.

    step       index of this step (optimiser steps taken before it)
    loss       the total loss (motion + lambda_mask * mask + reg terms)
    points     the handles after this step's tracking: list of Point (what this step supervised)
    distances  |target - handle| per pair, pixels
    done       every handle within the stop distance: this step took no optimiser step, the drag is over
    image      uint8 [H, W, C] of the latent this step tracked on (the official renderer's res.image; None
               unless asked for with image=True). After the last step, DragSession.image() is the final image.
    ms         (an attribute, not in the tuple) wall time of the step in the engine, milliseconds
    """

    def __new__(cls, step, loss, points, distances, done, image, ms=0.0):
        self = super().__new__(cls, step, loss, points, distances, done, image)
        self.ms = ms
        return self

    @property
    def points_xy(self):
        """The handles as float [N, 2] (x, y)."""
        return xy_array(self.points)

    @property
    def points_rowcol(self):
        """The handles as float [N, 2] (row, col), the official order."""
        return rowcol_array(self.points)

    def __repr__(self):
        return (f"Step(step={self.step}, loss={self.loss:.6g}, points={self.points}, "
                f"distances={[round(d, 3) for d in self.distances]}, done={self.done}"
                f"{', image' if self.image is not None else ''})")


def _pairs(points, targets):
    if points is None and targets is None:
        return None
    if points is None or targets is None:
        raise InputError("give points and targets together (one target per handle)")
    if len(points) != len(targets):
        raise InputError(f"{len(points)} points but {len(targets)} targets: give them in pairs")
    return [(p.x, p.y, t.x, t.y) for p, t in zip(points, targets)]


class DragSession:
    """One drag: a model, a start latent w, handle points and their targets, an optional mask.

        session = DragSession(model, model.w_from_seed(0), points_xy=[(120, 140)], targets_xy=[(160, 140)])
        for s in session.steps(200):
            print(s.step, s.loss, s.points, s.distances)
        image = session.image()

    Points: name their order. points_xy= / targets_xy= take (x, y) pairs (x = column, y = row: the CLI's
    order); points_rowcol= / targets_rowcol= take (row, col) pairs (the official scripts' order); points= /
    targets= take Point objects. Any [N, 2] array or list of pairs; it is copied, never changed. Handles are
    whole pixels (rounded), targets may be fractional; all must lie inside the image.

    Mask: flexible= the region that may move (True/1; or the file name of a painted PNG, bright = may move,
    the CLI's --mask), or fixed= the region to keep (True/1, the official renderer's convention). [H, W] bool
    or 0/1 numbers. The mask term acts only when the mask has both kinds of pixel, as officially.

    Settings, named as in the official code (None = what the model file records, else the official default;
    model.drag_settings shows them): lr (Adam step, official 0.001), w_plus (True: W+, False: W), r1, r2
    (radii at 512-px scale, official 3 and 12), lambda_mask (20), reg (0, l1 pull to the start), reg_l2,
    feature_idx (supervised layer, official 5), stop_distance (px; official max(2/512*h, 2)),
    optimized_layers (6), first_optimized_layer (0), noise_mode ('const'), exact_grid (False).

    Each step runs without the GIL (other Python threads keep running); one step at a time per session.
    """

    def __init__(self, model, w, *, points=None, targets=None, points_xy=None, targets_xy=None,
                 points_rowcol=None, targets_rowcol=None, flexible=None, fixed=None, lr=None, w_plus=None,
                 r1=None, r2=None, lambda_mask=None, reg=None, reg_l2=None, feature_idx=None,
                 stop_distance=None, optimized_layers=None, first_optimized_layer=None, noise_mode=None,
                 exact_grid=None):
        pairs = _pairs(points_from("points", points, points_xy, points_rowcol),
                       points_from("targets", targets, targets_xy, targets_rowcol))
        self._core = DragSessionCore(
            model, w, lr=lr, w_plus=w_plus, r1=r1, r2=r2, lambda_mask=lambda_mask, reg=reg, reg_l2=reg_l2,
            feature_idx=feature_idx, stop_distance=stop_distance, optimized_layers=optimized_layers,
            first_optimized_layer=first_optimized_layer, noise_mode=noise_mode, exact_grid=exact_grid)
        self.model = model
        if pairs:
            self._core.set_pairs(pairs)
        if flexible is not None or fixed is not None:
            self.set_mask(flexible=flexible, fixed=fixed)

    # --- Running ------------------------------------------------------------------------------------------
    def step(self, image=False):
        """One step (tracking, motion supervision, an Adam step unless done); returns a Step. image=True also
        returns the image this step tracked on. Raises InputError (a ValueError) when there are no points."""
        step, loss, handles, distances, done, ms, img = self._core.step(bool(image))
        return Step(step, loss, [Point(x=x, y=y) for x, y in handles], distances, done, img, ms)

    def steps(self, max_steps=None, image=False):
        """Iterates step() until every handle reached its target (that step, done=True, is the last one
        yielded) or max_steps steps were taken (None: what the model records, else 100, as `draggan drag`).
        Ctrl-C raises KeyboardInterrupt between steps: a step is never cut short (the one running when Ctrl-C
        came finishes, though its report may not reach the loop) and the session can go on."""
        if max_steps is None:
            max_steps = self._core.recorded_max_steps() or DEFAULT_MAX_STEPS
        if not isinstance(max_steps, int) or max_steps < 0:
            raise InputError(f"max_steps must be a whole number >= 0, got {max_steps!r}")
        return self._iterate(max_steps, bool(image))

    def _iterate(self, max_steps, image):
        for _ in range(max_steps):
            s = self.step(image)
            yield s
            if s.done:
                return

    def image(self):
        """uint8 [H, W, C] of the current latent (the official display conversion)."""
        return self._core.image()

    # --- Points ---------------------------------------------------------------------------------------------
    @property
    def points(self):
        """The current handles (moved by tracking), a list of Point."""
        return [Point(x=hx, y=hy) for hx, hy, _, _ in self._core.pairs()]

    @property
    def targets(self):
        """The targets, a list of Point."""
        return [Point(x=tx, y=ty) for _, _, tx, ty in self._core.pairs()]

    @property
    def points_xy(self):
        return xy_array(self.points)

    @property
    def points_rowcol(self):
        return rowcol_array(self.points)

    def set_points(self, *, points=None, targets=None, points_xy=None, targets_xy=None, points_rowcol=None,
                   targets_rowcol=None):
        """Replaces every handle/target pair (names as in the constructor). The references are taken again at
        the next step, from the latent current then, as the official renderer does when points change."""
        pairs = _pairs(points_from("points", points, points_xy, points_rowcol),
                       points_from("targets", targets, targets_xy, targets_rowcol))
        self._core.set_pairs(pairs or [])

    def add_pair(self, handle=None, target=None, *, handle_xy=None, target_xy=None, handle_rowcol=None,
                 target_rowcol=None):
        """Adds one pair (handle= / target= Points, or *_xy=(x, y), or *_rowcol=(row, col)); returns its index."""
        h = one_point_from("handle", handle, handle_xy, handle_rowcol)
        t = one_point_from("target", target, target_xy, target_rowcol)
        return self._core.add_pair(h.x, h.y, t.x, t.y)

    def move_target(self, index, target=None, *, target_xy=None, target_rowcol=None):
        """Moves target `index` (0-based); nothing is retaken."""
        t = one_point_from("target", target, target_xy, target_rowcol)
        self._core.set_target(index, t.x, t.y)

    def move_handle(self, index, handle=None, *, handle_xy=None, handle_rowcol=None):
        """Moves handle `index`; its reference feature is taken again at the next step."""
        h = one_point_from("handle", handle, handle_xy, handle_rowcol)
        self._core.set_handle(index, h.x, h.y)

    def remove_pair(self, index):
        self._core.remove_pair(index)

    def clear_points(self):
        self._core.clear_pairs()

    # --- Mask -----------------------------------------------------------------------------------------------
    def set_mask(self, *, flexible=None, fixed=None):
        """flexible= the region allowed to move, or fixed= the region kept (see the class's help)."""
        if (flexible is None) == (fixed is None):
            raise InputError("set_mask: give flexible= (the region that may move) or fixed= (the region to keep)")
        if flexible is not None:
            self._core.set_mask(flexible, True)
        else:
            self._core.set_mask(fixed, False)

    def clear_mask(self):
        self._core.clear_mask()

    @property
    def has_mask(self):
        return self._core.has_mask()

    # --- Latent, settings -----------------------------------------------------------------------------------
    @property
    def w(self):
        """The ws the synthesis gets now, float32 [1, num_ws, w_dim] (a copy: yours to keep or change)."""
        return self._core.w()

    @property
    def start_w(self):
        """The start latent, float32 [1, num_ws, w_dim] (a copy)."""
        return self._core.start_w()

    def restart(self, w=None):
        """Back to the start latent (or start again from `w`) with a fresh optimiser; handles go back to where
        they were set."""
        if w is None:
            self._core.reset()
        else:
            self._core.set_start_w(w)

    @property
    def steps_taken(self):
        return self._core.steps_taken()

    @property
    def settings(self):
        """The settings in use, with the radii and stop distance in pixels (r1_pixels, r2_pixels, ...)."""
        return self._core.settings()

    def update(self, **settings):
        """Changes settings mid-drag (lr keeps Adam's moments; a new feature_idx retakes the references).
        w_plus cannot change."""
        self._core.set_settings(**settings)

    def __repr__(self):
        return (f"<DragSession {len(self.points)} pair(s), {self.steps_taken} step(s) taken, "
                f"lr {self.settings['lr']}>")
