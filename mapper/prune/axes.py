"""Which dimensions a spatial permutation + split lets onto the X and the Y axis.

A tiling fixes, per fan-out, the set of dimensions with a non-unit factor on X and on Y; the
order inside each axis is the mapspace's business. The semantic rule of
:func:`mapper.spec.constraints.order_allows` then reduces to linear conditions on "is the
factor of d on X (Y) non-unit": for a split ``s`` (``n`` dimensions, pinned innermost loops
``inner``, outermost ``outer``, free positions ``ff = |inner| <= i < ef = n - |outer|``)

* a pinned dimension at position ``pos`` may be non-unit only on X if ``pos < s``, else on Y;
* at most ``max(0, min(s, ef) - ff)`` free dimensions are non-unit on X and at most
  ``max(0, ef - max(s, ff))`` on Y.

Each condition is a lower bound ``L_i <= s`` or an upper bound ``s <= U_j``; with a free split,
some ``s`` exists iff every ``L_i <= U_j``. No split variable is needed, so enumerated tilings
stay unique.
"""
from __future__ import annotations

from ortools.sat.python import cp_model

from ..spec.constraints import NestConstraints
from ..spec.mapping import Axis


def axis_bounds(model: cp_model.CpModel, nest: NestConstraints, dims: tuple[str, ...],
                on_x: dict[str, object], on_y: dict[str, object], name: str
                ) -> tuple[list, list]:
    """The lower terms ``L_i`` and upper terms ``U_j`` (linear expressions) on the split.

    ``on_x[d]`` / ``on_y[d]``: Boolean (or 0) "the factor of d is non-unit on X / Y".
    """
    n = len(dims)
    order = nest.order
    inner = order.inner if order else ()
    outer = order.outer if order else ()
    ff, ef = len(inner), n - len(outer)
    lower: list = []
    upper: list = []
    for d in dims:
        pos = order.position(d, n) if order else None
        if pos is not None:
            lower.append((pos + 1) * on_x[d])
            upper.append(n - (n - pos) * on_y[d])
    free = [d for d in dims if order is None or order.position(d, n) is None]
    for axis, flags in ((Axis.X, on_x), (Axis.Y, on_y)):
        count = sum(flags[d] for d in free)
        if isinstance(count, int):           # no free dimension can be non-unit here
            continue
        some = model.new_bool_var(f"{name}_free{axis}")
        model.add(count >= 1).only_enforce_if(some)
        model.add(count == 0).only_enforce_if(~some)
        if axis == Axis.X:
            lower.append(ff * some + count)
        else:
            upper.append(n - (n - ef) * some - count)
    return lower, upper


def add_axis_rule(model: cp_model.CpModel, nest: NestConstraints, dims: tuple[str, ...],
                  on_x: dict[str, object], on_y: dict[str, object], literal, name: str) -> None:
    """Enforce, under ``literal``, that some order the constraint allows puts the non-unit
    spatial factors on the axes they have."""
    lower, upper = axis_bounds(model, nest, dims, on_x, on_y, name)
    n = len(dims)
    if nest.split is not None:
        s = min(nest.split, n)
        pairs = [(lo, s) for lo in lower] + [(s, up) for up in upper]
    else:
        pairs = [(lo, up) for lo in lower for up in upper]
    for lo, up in pairs:
        if isinstance(lo, int) and isinstance(up, int):
            if lo > up:
                model.add_bool_or([~literal])
            continue
        model.add(lo <= up).only_enforce_if(literal)


def describe(nest: NestConstraints, dims: tuple[str, ...]) -> str:
    """What the constraint lets onto each axis, e.g. "X: nothing; Y: any dimension"."""
    n = len(dims)
    order = nest.order
    inner = order.inner if order else ()
    outer = order.outer if order else ()
    ff, ef = len(inner), n - len(outer)
    if nest.split is None:
        pinned = " ".join(p for p in (
            f"{', '.join(inner)} innermost" if inner else "",
            f"{', '.join(outer)} outermost" if outer else "") if p)
        return (f"keeps {pinned} (in that order) in every order of the spatial loops, X loops "
                f"inside Y loops")
    s = min(nest.split, n)
    parts = []
    for axis, room in ((Axis.X, max(0, min(s, ef) - ff)), (Axis.Y, max(0, ef - max(s, ff)))):
        pinned = [d for d in dims if order and order.position(d, n) is not None
                  and (order.position(d, n) < s) == (axis == Axis.X)]
        words = list(pinned)
        if room:
            free = n - ff - (n - ef)
            words.append("any dimension not pinned" if room >= free
                         else f"at most {room} of the dimensions not pinned")
        parts.append(f"{axis}: {', '.join(words) if words else 'nothing'}")
    return "lets only these onto the axes: " + "; ".join(parts)
