"""An estimator backed by a table file: rows keyed by class, action and attributes.

A query picks the rows of the component's class (or of its ``base`` class, e.g. SRAM rows for a
smartbuffer_SRAM), of the action, at the component's technology node (or the nearest node, then
scaled by :mod:`energy.scaling`), whose other attributes equal the component's; then it
interpolates along the table's declared axes. Accuracy is the table's, less a stated penalty
for each approximation, so that a table that covers a component exactly beats one that must
scale or extrapolate to reach it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from .components import (ComponentClass, class_index, class_key, cycle_seconds,
                         parse_technology)
from .errors import EstimationError
from .protocol import Estimate
from .scaling import DEFAULT_VOLTAGE, OutOfRange, area_scale, energy_scale, interp_axis

#: Accuracy points lost for each approximation (a documented, deterministic rule).
SCALED_PENALTY = 10  # technology node or voltage scaled (Stillmaker & Baas fits)
EXTRAPOLATED_PENALTY = 20  # outside a table axis's range, extended by its exponent
NO_TECHNOLOGY_PENALTY = 10  # component gave no node; the table's node was used unscaled


@dataclass(frozen=True)
class Row:
    """One table row; ``columns`` maps alias tuples (``("width", "datawidth")``) to values."""

    cls: str
    actions: frozenset[str] | None  # None: every action ("*"); empty: an area-only row
    columns: tuple[tuple[tuple[str, ...], Any], ...]
    energy: float | None
    area: float | None
    citation: str | None
    where: str
    power: float | None = None  # uW of static power (a ``leak`` row given as power)

    def get(self, name: str) -> Any:
        for names, v in self.columns:
            if name in names:
                return v
        return None


class _NoAnswer(Exception):
    """Why this table cannot answer a query (becomes ``why_not``)."""


@dataclass
class TableEstimator:
    """The rows of one table file (or one Accelergy table set) with its metadata."""

    name: str
    path: str
    accuracy: float
    rows: list[Row]
    citation: str = ""
    technology: float | None = None
    voltage: float | None = None
    interpolate: dict[str, str] = field(default_factory=dict)
    #: axis -> exponent, or axis -> {energy|leak|area: exponent} where they differ
    extrapolate: dict[str, Any] = field(default_factory=dict)
    missing_attributes: str = "mismatch"  # or "ignore" (Accelergy's CSV rule)
    technology_scaling: bool = True
    classes: tuple[ComponentClass, ...] = ()
    index: dict[str, ComponentClass] | None = None
    _cache: dict = field(default_factory=dict, repr=False)
    _by_class: dict | None = field(default=None, repr=False)   # class key -> rows
    _nodes: dict = field(default_factory=dict, repr=False)     # row id -> node (nm)

    # --- the estimator protocol -------------------------------------------------------------
    def supports(self, component_class: str, action: str | None,
                 attributes: Mapping[str, Any]) -> float | None:
        result = self._lookup(component_class, action, attributes)
        return result.accuracy if isinstance(result, Estimate) else None

    def estimate(self, component_class: str, action: str | None,
                 attributes: Mapping[str, Any]) -> Estimate:
        result = self._lookup(component_class, action, attributes)
        if not isinstance(result, Estimate):
            raise EstimationError(f"{self.name} ({self.path}): {result}")
        return result

    def why_not(self, component_class: str, action: str | None,
                attributes: Mapping[str, Any]) -> str:
        result = self._lookup(component_class, action, attributes)
        return "" if isinstance(result, Estimate) else result

    # --- lookup -----------------------------------------------------------------------------
    def _lookup(self, component_class: str, action: str | None, attrs: Mapping[str, Any]):
        key = (component_class, action, repr(sorted(attrs.items(), key=lambda kv: kv[0])))
        if key not in self._cache:
            try:
                self._cache[key] = self._answer(component_class, action, attrs)
            except _NoAnswer as e:
                self._cache[key] = str(e)
        return self._cache[key]

    def set_index(self, index: dict[str, ComponentClass]) -> None:
        """Use the registry's class names (classes other tables and plug-ins declare)."""
        self.index = index
        self._cache.clear()

    def _class(self, name: str) -> ComponentClass:
        index = self.index if self.index is not None else class_index(self.classes)
        return index.get(class_key(name)) or ComponentClass(name, "storage")

    def _answer(self, component_class: str, action: str | None, attrs: Mapping[str, Any]):
        cls = self._class(component_class)
        what = "area" if action is None else repr(action)
        rows, via_base = self._class_rows(cls)
        if action is None:
            rows = [r for r in rows if r.area is not None]
        else:
            rows = [r for r in rows
                    if (r.energy is not None or (action == "leak" and r.power is not None))
                    and (r.actions is None or action in r.actions)]
        if not rows:
            raise _NoAnswer(f"no {what} rows for class {cls.name}")
        notes: list[str] = [cls.base_note] if via_base else []
        rows, factor, penalty, extrap = self._technology(cls, action, attrs, rows, notes)
        rows, ignored = self._match(rows, attrs)
        if ignored:
            notes.append(f"ignored columns the component does not give: {', '.join(ignored)}")
        axes = [a for a in self.interpolate if any(r.get(a) is not None for r in rows)]
        if action is None:
            value_of = lambda r: r.area  # noqa: E731
        elif any(r.power is not None for r in rows):
            seconds, clock_note = cycle_seconds(attrs)
            notes.append(f"static power x {seconds:g} s per cycle" + clock_note)
            value_of = lambda r: r.energy if r.power is None else r.power * seconds * 1e6  # noqa: E731
        else:
            value_of = lambda r: r.energy  # noqa: E731
        quantity = "area" if action is None else "leak" if action == "leak" else "energy"
        value, used, hows, outside = self._interp(rows, axes, attrs, value_of, quantity)
        notes.extend(hows)
        if outside:
            penalty += EXTRAPOLATED_PENALTY
        cites = sorted({r.citation for r in used if r.citation})
        return Estimate(value * factor, max(0.0, self.accuracy - penalty), self.path,
                        "; ".join(cites) or self.citation, "; ".join(n for n in notes if n),
                        extrap or outside, via_base)

    def _class_rows(self, cls: ComponentClass) -> tuple[list[Row], bool]:
        for name, via_base in ((cls.name, False), (cls.base, True)):
            if name is None:
                continue
            if self._by_class is None:
                self._by_class = {}
                for r in self.rows:
                    self._by_class.setdefault(class_key(r.cls), []).append(r)
            rows = self._by_class.get(class_key(name), [])
            if rows:
                return rows, via_base
        raise _NoAnswer(f"no rows for class {cls.name}"
                        + (f" or its base class {cls.base}" if cls.base else ""))

    def _technology(self, cls, action, attrs, rows, notes):
        """Rows at the chosen node, the scaling factor, the accuracy penalty, extrapolated?"""
        def node(r: Row) -> float | None:
            if id(r) not in self._nodes:
                t = r.get("technology")
                self._nodes[id(r)] = (self.technology if t is None
                                      else parse_technology(t, r.where))
            return self._nodes[id(r)]

        nodes = sorted({n for r in rows if (n := node(r)) is not None})
        if not nodes:
            return rows, 1.0, 0, False
        q = attrs.get("technology")
        if q is None:
            if len(nodes) > 1:
                raise _NoAnswer(f"component gives no technology and the table has rows at "
                                f"{', '.join(f'{n:g}' for n in nodes)} nm")
            if cls.needs_technology:
                notes.append(f"component gives no technology: the table's {nodes[0]:g} nm "
                             f"values are used unscaled")
                return rows, 1.0, NO_TECHNOLOGY_PENALTY, False
            return rows, 1.0, 0, False
        best = min(nodes, key=lambda n: (abs(math.log(n / q)), n))
        rows = [r for r in rows if node(r) in (None, best)]
        to_v = attrs.get("voltage")
        from_v = self.voltage or DEFAULT_VOLTAGE
        if best == q and (to_v is None or float(to_v) == from_v):
            return rows, 1.0, 0, False
        if not self.technology_scaling:
            raise _NoAnswer(f"no rows at {q:g} nm (table has {', '.join(f'{n:g}' for n in nodes)}"
                            f" nm) and the table disallows technology scaling")
        try:
            if action is None:
                factor, extrap = area_scale(best, q)
            else:
                to_volts = None if to_v is None else float(to_v)
                factor, extrap = energy_scale(best, q, from_v, to_volts)
        except OutOfRange as e:
            raise _NoAnswer(str(e)) from None
        notes.append(f"scaled {best:g} nm -> {q:g} nm x{factor:.4g} (Stillmaker & Baas 2017"
                     + (", extrapolated beyond 7-130 nm" if extrap else "") + ")"
                     + (" (leakage scaled as energy, as Accelergy's hwcomponents does: no "
                        "per-node leakage figure)" if action == "leak" else ""))
        return rows, factor, SCALED_PENALTY + (EXTRAPOLATED_PENALTY if extrap else 0), extrap

    def _match(self, rows: list[Row], attrs: Mapping[str, Any]) -> tuple[list[Row], list[str]]:
        """Rows whose non-axis columns equal the component's attributes."""
        skip = {"technology", *self.interpolate}
        kept, ignored, misses = [], set(), {}
        for r in rows:
            ok = True
            for names, v in r.columns:
                if skip & set(names):
                    continue
                mine = next((attrs[n] for n in names if attrs.get(n) is not None), None)
                label = "|".join(names)
                if mine is None:
                    if self.missing_attributes == "ignore":
                        ignored.add(label)
                        continue
                    misses.setdefault(label, (None, set()))[1].add(str(v))
                    ok = False
                elif not _equal(mine, v):
                    misses.setdefault(label, (mine, set()))[1].add(str(v))
                    ok = False
            if ok:
                kept.append(r)
        if not kept:
            why = "; ".join(
                f"{c}: component gives {'nothing' if m is None else repr(m)}, table has "
                f"{', '.join(sorted(vs))}" for c, (m, vs) in sorted(misses.items()))
            raise _NoAnswer(f"no row matches ({why})")
        return kept, sorted(ignored)

    def _exponent(self, axis: str, quantity: str) -> float | None:
        e = self.extrapolate.get(axis)
        return e.get(quantity) if isinstance(e, dict) else e

    def _interp(self, rows, axes, attrs, value_of, quantity="energy"):
        """``(value, rows used, notes, extrapolated?)`` by recursion over the axes."""
        if not axes:
            values = [value_of(r) for r in rows]
            note = [f"largest of {len(values)} matching rows"] if len(set(values)) > 1 else []
            return max(values), rows, note, False
        axis, rest = axes[0], axes[1:]
        if any(r.get(axis) is None for r in rows):
            raise _NoAnswer(f"rows disagree on whether they give {axis} "
                            f"({', '.join(r.where for r in rows if r.get(axis) is None)})")
        names = next(n for n, _ in rows[0].columns if axis in n)
        q = next((attrs[n] for n in names if attrs.get(n) is not None), None)
        if q is None:
            raise _NoAnswer(f"component gives no {'|'.join(names)}, which the table is keyed on")
        q = float(q)
        groups: dict[float, list[Row]] = {}
        for r in rows:
            groups.setdefault(float(r.get(axis)), []).append(r)
        xs = sorted(groups)
        need = [x for x in xs if x == q] or _bracket(q, xs)
        ys, used, notes, outside = [], [], [], False
        for x in need:
            y, u, sub, out = self._interp(groups[x], rest, attrs, value_of, quantity)
            ys.append(y)
            used += u
            notes += sub
            outside = outside or out
        try:
            exponent = self._exponent(axis, quantity)
            y, how = interp_axis(q, need, ys, self.interpolate.get(axis, "log"), exponent, axis)
        except OutOfRange:
            span = f"{xs[0]:g}" if len(xs) == 1 else f"{xs[0]:g}..{xs[-1]:g}"
            raise _NoAnswer(f"{axis}={q:g} is outside the table's {axis} {span} and the table "
                            f"declares no extrapolation exponent for {axis}") from None
        if how == "interpolated":
            notes.append(f"interpolated {axis}={q:g} between {need[0]:g} and {need[-1]:g}")
        elif how == "extrapolated":
            notes.append(f"extrapolated {axis}={q:g} from {need[0]:g} with exponent "
                         f"{exponent:g}")
        return y, used, notes, outside or how == "extrapolated"


def _bracket(q: float, xs: list[float]) -> list[float]:
    if q < xs[0]:
        return [xs[0]]
    if q > xs[-1]:
        return [xs[-1]]
    i = next(i for i, x in enumerate(xs) if x > q)
    return [xs[i - 1], xs[i]]


def _equal(mine: Any, theirs: Any) -> bool:
    try:
        return float(mine) == float(theirs)
    except (TypeError, ValueError):
        return str(mine).strip().lower() == str(theirs).strip().lower()
