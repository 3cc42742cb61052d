"""The official DragGAN Renderer's calling convention (viz/renderer.py) on this engine, so a script written
for the official code runs here by changing its import:

    from draggan_cpp.compat import Renderer          # instead of: from viz.renderer import Renderer
    renderer = Renderer()
    points, targets = [[140, 120]], [[140, 160]]    # [row, col], as the official scripts keep them
    while True:
        res = renderer.render(pkl="ffhq.pkl", w0_seed=0, w_load=None, w_plus=True, reset_w=False,
                              trunc_psi=0.7, lr=0.001, is_drag=True, points=points, targets=targets,
                              mask=None, lambda_mask=20, feature_idx=5, r1=3, r2=12)
        if res.stop: break                           # res.image, res.points as officially

As in the official code: render() re-initialises when pkl, w0_seed, w_load or w_plus change or reset_w is
set; the step's defaults are _render_drag_impl's (lambda_mask 10, feature_idx 5, r1 3, r2 12, reg 0), not what
a model file records; `points` is updated in place with the tracked handles; res.image is the uint8 image the
step tracked on (before its update, without the official GUI's watermark); an error is returned as res.error
(a string) instead of raised. One difference: moving a handle in `points` by hand (same number of points)
retakes that handle's reference feature, where the official renderer keeps the old one until reset=True.
"""
import os

from . import _engine
from ._drag import DragSession
from ._points import Point


class EasyDict(dict):
    """A dict whose keys are also attributes (the official dnnlib.EasyDict)."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name, value):
        self[name] = value


def _pixel(v):
    return int(v) if float(v).is_integer() else float(v)


class Renderer:
    """viz.renderer.Renderer's render(**args) on this engine (see the module's help)."""

    def __init__(self, disable_timing=False, device="cpu"):
        self._device = device
        self._models = {}  # pkl -> Model, as the official _pkl_data cache
        self._session = None
        self._pkl = self._w_load = self._w0_seed = self._w_plus = None
        self._count = None

    def get_network(self, pkl):
        if pkl not in self._models:
            self._models[pkl] = _engine.load(os.fspath(pkl), self._device)
        return self._models[pkl]

    def update_lr(self, lr):
        """A new Adam step size for the current drag (the official renderer rebuilds its optimiser; Adam's moments
        are kept here)."""
        self._session.update(lr=lr)

    def render(self, **args):
        res = EasyDict()
        try:
            init = (self._session is None or self._pkl != args.get("pkl") or self._w_load is not args.get("w_load")
                    or self._w0_seed != args.get("w0_seed", 0) or self._w_plus != args.get("w_plus", True)
                    or bool(args.get("reset_w", False)))
            res.init_net = init
            if init:
                self.init_network(res, **args)
            self._render_drag_impl(res, **args)
        except Exception as e:  # the official renderer reports every failure in res.error
            res.error = f"{type(e).__name__}: {e}"
        return res

    def init_network(self, res, pkl=None, w0_seed=0, w_load=None, w_plus=True, noise_mode="const", trunc_psi=0.7,
                     trunc_cutoff=None, input_transform=None, lr=0.001, **kwargs):
        self._pkl, self._w_load, self._w0_seed, self._w_plus = pkl, w_load, w0_seed, w_plus
        model = self.get_network(pkl)
        res.img_resolution = model.resolution
        res.num_ws = model.num_ws
        res.has_noise = model.family != "stylegan3-t" and model.family != "stylegan3-r"
        res.has_input_transform = not res.has_noise
        if input_transform is not None:
            raise ValueError("input_transform: only the identity (None) is supported")
        w = model.w_from_seed(w0_seed, trunc_psi=trunc_psi, trunc_cutoff=trunc_cutoff) if w_load is None else w_load
        self._session = DragSession(model, w, lr=lr, w_plus=w_plus, noise_mode=noise_mode)
        self._count = None

    def _render_drag_impl(self, res, points=(), targets=(), mask=None, lambda_mask=10, reg=0, feature_idx=5, r1=3,
                          r2=12, noise_mode="const", is_drag=False, reset=False, **kwargs):
        session = self._session  # lr is taken at initialisation only, as officially (update_lr changes it)
        session.update(lambda_mask=lambda_mask, reg=reg, r1=r1, r2=r2, noise_mode=noise_mode)
        if not is_drag:
            res.image = session.image()
            return
        # Officially the feature layer is looked up only when dragging: a plain render works on a generator
        # with fewer layers than the default index.
        session.update(feature_idx=feature_idx)
        if reset or self._count != len(points):
            session.set_points(points_rowcol=[list(p) for p in points], targets_rowcol=[list(t) for t in targets])
            self._count = len(points)
        else:
            current = session.points
            for j, (p, t) in enumerate(zip(points, targets)):
                if Point(row=p[0], col=p[1]) != current[j]:
                    session.move_handle(j, handle_rowcol=p)
                session.move_target(j, target_rowcol=t)
        if mask is None:
            session.clear_mask()
        else:
            session.set_mask(fixed=mask)
        step = session.step(image=True)
        for j, p in enumerate(step.points):
            points[j] = [_pixel(p.row), _pixel(p.col)]  # in place, as the official loop does
        res.points = [list(p) for p in points]
        res.stop = step.done
        res.image = step.image
