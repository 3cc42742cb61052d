"""Points with their order in their name. The CLI and this package's numbers are (x, y) = (column, row); the
official DragGAN scripts store [row, col]. A bare pair cannot say which it is, so the API never takes one
without a name: Point(x=, y=) / Point(row=, col=) (or xy() / rowcol()), or the keyword that names the order
(points_xy= / points_rowcol=). A Point cannot be unpacked (no `r, c = p` by mistake): read p.x, p.y, p.row,
p.col, p.xy or p.rowcol."""
import math

import numpy as np

from ._errors import InputError


class Point:
    """A pixel position: x = column, y = row, origin at the top-left pixel's centre.

    Build it with the order named: ``Point(x=120, y=64)`` or ``Point(row=64, col=120)`` (the same point).
    """

    __slots__ = ("_x", "_y")

    def __init__(self, *, x=None, y=None, row=None, col=None):
        if x is not None or y is not None:
            if row is not None or col is not None or x is None or y is None:
                raise InputError("Point: give x= and y=, or row= and col=, not a mix")
            self._x, self._y = float(x), float(y)
        elif row is not None and col is not None:
            self._x, self._y = float(col), float(row)
        else:
            raise InputError("Point: give x= and y= (x = column) or row= and col=")
        if not (math.isfinite(self._x) and math.isfinite(self._y)):
            raise InputError(f"Point: non-finite coordinate in {self!r}")

    x = property(lambda self: self._x, doc="Column")
    y = property(lambda self: self._y, doc="Row")
    col = property(lambda self: self._x, doc="Column (= x)")
    row = property(lambda self: self._y, doc="Row (= y)")
    xy = property(lambda self: (self._x, self._y), doc="(x, y) = (column, row): the CLI's order")
    rowcol = property(lambda self: (self._y, self._x), doc="(row, col): the official scripts' order")

    def __eq__(self, other):
        return isinstance(other, Point) and self.xy == other.xy

    def __hash__(self):
        return hash(self.xy)

    def __repr__(self):
        return f"Point(x={_num(self._x)}, y={_num(self._y)})"


def xy(x, y):
    """Point(x=x, y=y): x = column, y = row (the CLI's order)."""
    return Point(x=x, y=y)


def rowcol(row, col):
    """Point(row=row, col=col) (the official scripts' order)."""
    return Point(row=row, col=col)


def _num(v):
    return int(v) if v == int(v) else v


def _coordinates(value, name):
    """[N, 2] float array from a list of pairs, a numpy array or a torch tensor (copied: never the caller's)."""
    try:
        a = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise InputError(f"{name}: expected N pairs of numbers, got {value!r}") from e
    if a.ndim == 1 and a.size == 2:
        raise InputError(f"{name}: expected a list of pairs, e.g. [(120, 64)], got one pair {value!r}")
    if a.size == 0:
        return np.zeros((0, 2))
    if a.ndim != 2 or a.shape[1] != 2:
        raise InputError(f"{name}: expected N pairs of numbers ([N, 2]), got shape {list(a.shape)}")
    if not np.isfinite(a).all():
        raise InputError(f"{name}: contains NaN or infinity")
    return a


def points_from(name, points=None, points_xy=None, points_rowcol=None):
    """Points given one of three ways (None when none was given). `name` is 'points', 'targets', 'handle', ..."""
    given = [k for k, v in ((name, points), (name + "_xy", points_xy), (name + "_rowcol", points_rowcol))
             if v is not None]
    if not given:
        return None
    if len(given) > 1:
        raise InputError(f"give {name} one way, not {' and '.join(g + '=' for g in given)}")
    if points_xy is not None:
        return [Point(x=x, y=y) for x, y in _coordinates(points_xy, name + "_xy")]
    if points_rowcol is not None:
        return [Point(row=r, col=c) for r, c in _coordinates(points_rowcol, name + "_rowcol")]
    if isinstance(points, Point):
        points = [points]
    try:
        items = list(points)
    except TypeError:
        raise InputError(f"{name}=: expected a list of Point, got {points!r}") from None
    for p in items:
        if not isinstance(p, Point):
            raise InputError(
                f"{name}=: {p!r} is a bare pair, which could be (x, y) or (row, col): pass {name}_xy= "
                f"(x = column, y = row, the CLI's order) or {name}_rowcol= (the official scripts' [row, col]), "
                f"or Point(x=, y=) / Point(row=, col=) objects")
    return items


def one_point_from(name, point=None, point_xy=None, point_rowcol=None):
    """One point given one of three ways: a Point, name_xy=(x, y) or name_rowcol=(row, col)."""
    def wrap(v):
        return None if v is None else [v]
    found = points_from(name, wrap(point), wrap(point_xy), wrap(point_rowcol))
    if found is None:
        raise InputError(f"give {name}= (a Point), {name}_xy=(x, y) or {name}_rowcol=(row, col)")
    return found[0]


def xy_array(points):
    """[N, 2] float64 (x, y) of a list of Points."""
    return np.array([p.xy for p in points], dtype=np.float64).reshape(-1, 2)


def rowcol_array(points):
    """[N, 2] float64 (row, col) of a list of Points."""
    return np.array([p.rowcol for p in points], dtype=np.float64).reshape(-1, 2)
