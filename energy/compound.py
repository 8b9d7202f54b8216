"""Accelergy compound components: a class built from subcomponents, priced from them.

A compound class (``compound_components: {classes: [...]}`` or v0.4 ``components:``) gives
default ``attributes`` (expressions over each other and over the component's own attributes;
``"must_specify"`` marks one the component must give), ``subcomponents`` (a name, optionally
an instance range ``name[0..n-1]``, a class, attributes as expressions over the compound's, an
``area_scale``/``area_share`` and an ``energy_scale``) and ``actions``: each a list of
subcomponent actions. As in Accelergy, the energy of a compound action is the sum over its
subcomponent actions of

    energy of the subcomponent's action x its ``energy_scale`` (``action_share``, ``repeat``)
      x the number of instances named (``storage[1..width]`` is ``width`` of them)
      x the subcomponent's ``energy_scale``,

a subcomponent of a compound class is priced the same way (recursively), and a primitive one
by the registry's estimators (the most accurate answer, as for any component). The area is the
sum over the subcomponents of their area x instances x ``area_scale``. An action with no
subcomponent actions costs nothing (a class that is free by definition), and so does a
subcomponent of depth or width 0 (no cells: Sparseloop's metadata store and counters where
nothing is compressed). Action arguments are
evaluated with the compound's attributes; an argument range ``0..n`` is taken at its upper end
(the most active access, as Timeloop's random access).

:class:`CompoundEstimator` is an ordinary estimator (``energy.protocol``): for a component of a
compound class (its ``subclass`` first, then its class) it answers with the accuracy of its
least accurate part, and it is ``definitive``: the user's definition of a class is chosen
before any estimate of that class as a primitive (a built-in SRAM table row for
``smartbuffer_SRAM``, say); the report shows every part's number and source. A part
nobody can price makes it decline, saying which. Expressions are evaluated by the caller's
``evaluate(text, names, where) -> value`` (this package has no expression language of its own).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from .components import (ACTION_ALIASES, Component, ComponentClass, class_key, normalize)
from .errors import EstimationError
from .protocol import Estimate

#: attributes every subcomponent inherits from its compound (the rest it names itself)
INHERITED = ("technology", "voltage", "global_cycle_seconds", "latency", "cycle_seconds")
#: Accelergy's library of Aladdin components (hwcomponents-library, aladdin.py): its adder,
#: comparator and counter take their width from ``width`` (``datawidth`` in its tables) alone,
#: 32 bits where none is given; Accelergy passes them no other attribute. So a class that
#: gives one ``n_bits`` (the exercises' ``regfile``: ``depth`` comparators of
#: ``ceil(log2(depth))`` bits) or ``width_a`` (the 2024 designs' ``intmac``, whose multiplier
#: is an ``aladdin_adder``) has 32-bit parts in Accelergy's ERT, and so it has here: we read
#: the user's classes as the tool they were written for does, and the record says so.
ALADDIN_WIDTH_ONLY = {"aladdin_adder": 32, "aladdin_comparator": 32, "aladdin_counter": 32}
MUST_SPECIFY = "must_specify"
_RANGE = re.compile(r"^(?P<base>[^\[\]]+)\[(?P<lo>[^\]]+?)\.\.(?P<hi>[^\]]+)\]$")
_INDEX = re.compile(r"^(?P<base>[^\[\]]+)\[(?P<i>[^\].]+)\]$")

Evaluate = Callable[[Any, Mapping[str, Any], str], Any]


@dataclass(frozen=True)
class SubAction:
    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    scale: Any = 1                       # energy_scale / action_share / repeat


@dataclass(frozen=True)
class ActionPart:
    subcomponent: str                    # as written: "storage", "storage[1..width]"
    actions: tuple[SubAction, ...]


@dataclass(frozen=True)
class CompoundAction:
    name: str
    parts: tuple[ActionPart, ...]
    arguments: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Subcomponent:
    name: str                            # as written, possibly with a range
    component_class: str
    attributes: Mapping[str, Any] = field(default_factory=dict)
    area_scale: Any = 1
    energy_scale: Any = 1


@dataclass(frozen=True)
class CompoundClass:
    """One compound class; ``origin`` (file and YAML path) is named by every error."""

    name: str
    attributes: Mapping[str, Any]
    subcomponents: tuple[Subcomponent, ...]
    actions: tuple[CompoundAction, ...]
    origin: str = ""

    def action(self, name: str) -> CompoundAction | None:
        """The action ``name``, or one of its Accelergy/Timeloop spellings
        (``mac_random`` for ``compute``, ``random_read`` for ``read``)."""
        by_name = {a.name: a for a in self.actions}
        if name in by_name:
            return by_name[name]
        for a in self.actions:
            if ACTION_ALIASES.get(a.name) == name:
                return a
        return None

    @property
    def kind(self) -> str:
        names = {ACTION_ALIASES.get(a.name, a.name) for a in self.actions}
        if "compute" in names:
            return "compute"
        if "transfer" in names:
            return "network"
        return "storage"

    @property
    def action_names(self) -> tuple[str, ...]:
        """Its actions in this package's spelling (``mac_random`` is ``compute``), in order."""
        return tuple(dict.fromkeys(ACTION_ALIASES.get(a.name, a.name) for a in self.actions))


class _Decline(Exception):
    """A part cannot be priced (no estimator for it): the estimator declines, saying why."""


@dataclass(frozen=True)
class _Price:
    value: float
    accuracy: float
    parts: tuple[str, ...]
    sources: tuple[str, ...]
    extrapolated: bool = False


class CompoundEstimator:
    """Prices components of compound classes from their subcomponents (see the module)."""

    name = "compound components"
    #: the user's own definition of a class: it is chosen before any estimate of the class
    #: as a primitive, whatever their accuracies (as in Accelergy, a compound class is priced
    #: from its subcomponents; its parts still get the most accurate estimator)
    definitive = True

    def __init__(self, classes: tuple[CompoundClass, ...] | list[CompoundClass], registry: Any,
                 evaluate: Evaluate) -> None:
        self.registry = registry
        self.evaluate = evaluate
        self.by_key: dict[str, CompoundClass] = {}
        for c in classes:
            self.by_key[class_key(c.name)] = c
        known = registry.index()
        #: class names the other estimators answer (a compound of one of these names that
        #: cannot be built from its parts is priced by them, as a component would be)
        self.builtin = frozenset(known)
        #: classes the estimators did not know: declared here, so components may use them
        self.classes = tuple(
            ComponentClass(c.name, c.kind, needs_technology=False,
                           declared_in=c.origin or "compound_components",
                           own_actions=c.action_names)
            for k, c in self.by_key.items() if k not in known)
        self._why: dict[tuple, str] = {}
        self._cache: dict[tuple, _Price] = {}
        self._inside = 0

    # --- the estimator protocol ------------------------------------------------------------
    def compound_of(self, component_class: str, attributes: Mapping[str, Any]
                    ) -> CompoundClass | None:
        """The compound class of a component: its ``subclass`` when it has one (Accelergy's
        class, next to Timeloop's ``class: storage``), else its class."""
        sub = attributes.get("subclass")
        name = sub if sub is not None else component_class
        return self.by_key.get(class_key(str(name)))

    def supports(self, component_class: str, action: str | None,
                 attributes: Mapping[str, Any]) -> float | None:
        if self._inside:                # the registry asks everyone about a primitive part
            self._why[(component_class, action)] = "not asked about a compound's own parts"
            return None
        cls = self.compound_of(component_class, attributes)
        if cls is None:
            self._why[(component_class, action)] = "no compound class of that name"
            return None
        try:
            return self._price(cls, action, attributes).accuracy
        except _Decline as e:
            self._why[(component_class, action)] = self._why[(cls.name, action)] = str(e)
            return None

    def estimate(self, component_class: str, action: str | None,
                 attributes: Mapping[str, Any]) -> Estimate:
        cls = self.compound_of(component_class, attributes)
        if cls is None:
            raise EstimationError(f"{component_class} is not a compound class")
        try:
            p = self._price(cls, action, attributes)
        except _Decline as e:
            raise EstimationError(str(e)) from None
        what = "area" if action is None else action
        note = (f"compound class {cls.name} ({cls.origin}): {what} = "
                + (" + ".join(p.parts) if p.parts else "0 (no subcomponent actions)"))
        return Estimate(p.value, p.accuracy, f"compound class {cls.name}",
                        note=note, extrapolated=p.extrapolated)

    def why_not(self, component_class: str, action: str | None, attributes) -> str:
        return self._why.get((component_class, action), "declined")

    def reason(self, class_name: str, action: str | None) -> str:
        """Why the last query of ``action`` (None: area) of a compound class declined."""
        return self._why.get((class_name, action), "")

    # --- pricing ----------------------------------------------------------------------------
    def _price(self, cls: CompoundClass, action: str | None, given: Mapping[str, Any],
               stack: tuple[str, ...] = ()) -> _Price:
        key = (cls.name, action, _frozen(given), stack)
        if key not in self._cache:
            self._cache[key] = self._compute(cls, action, given, stack)
        return self._cache[key]

    def _compute(self, cls: CompoundClass, action: str | None, given: Mapping[str, Any],
                 stack: tuple[str, ...]) -> _Price:
        if cls.name in stack:
            raise EstimationError(f"{cls.origin}: compound class {cls.name} contains itself "
                                  f"({' -> '.join((*stack, cls.name))})")
        stack = (*stack, cls.name)
        attrs = self._attributes(cls, given)
        if action is None:
            return self._area(cls, attrs, stack)
        act = cls.action(action)
        if act is None:
            raise _Decline(f"compound class {cls.name} ({cls.origin}) has no action {action!r}"
                           f" (its actions: {', '.join(a.name for a in cls.actions) or 'none'})")
        names = dict(attrs)
        for arg, value in act.arguments.items():
            names[arg] = self._value(value, attrs, f"{cls.origin}: action {act.name}: "
                                                   f"arguments.{arg}", allow_range=True)
        total, accuracy, parts, sources, extra = 0.0, 100.0, [], [], False
        for part in act.parts:
            where = f"{cls.origin}: action {act.name}: subcomponent {part.subcomponent}"
            base, count = self._instances(part.subcomponent, names, where)
            sub = self._subcomponent(cls, base, where)
            sub_attrs = self._sub_attributes(sub, attrs, where)
            sub_scale = self._value(sub.energy_scale, attrs, f"{where}: energy_scale")
            for sa in part.actions:
                w = f"{where}: action {sa.name}"
                scale = self._value(sa.scale, names, f"{w}: energy_scale")
                args = {k: self._value(v, names, f"{w}: arguments.{k}", allow_range=True)
                        for k, v in sa.arguments.items()}
                p = self._part(sub, sa.name, {**sub_attrs, **args}, stack, w)
                factor = scale * count * sub_scale
                total += p.value * factor
                accuracy = min(accuracy, p.accuracy)
                extra |= p.extrapolated
                shown = f"{factor:g} x " if factor != 1 else ""
                parts.append(f"{shown}{base}.{sa.name} {p.value:.4g} pJ ({', '.join(p.sources)})")
                sources += p.sources
        return _Price(total, accuracy, tuple(parts), tuple(dict.fromkeys(sources)), extra)

    def _area(self, cls: CompoundClass, attrs: dict, stack: tuple[str, ...]) -> _Price:
        total, accuracy, parts, sources, extra = 0.0, 100.0, [], [], False
        for sub in cls.subcomponents:
            where = f"{cls.origin}: subcomponent {sub.name}"
            base, count = self._instances(sub.name, attrs, where)
            sub_attrs = self._sub_attributes(sub, attrs, where)
            scale = self._value(sub.area_scale, attrs, f"{where}: area_scale")
            p = self._part(sub, None, sub_attrs, stack, where)
            total += p.value * count * scale
            accuracy = min(accuracy, p.accuracy)
            extra |= p.extrapolated
            parts.append(f"{count * scale:g} x {base} {p.value:.4g} um^2")
            sources += p.sources
        return _Price(total, accuracy, tuple(parts), tuple(dict.fromkeys(sources)), extra)

    def _part(self, sub: Subcomponent, action: str | None, attrs: dict,
              stack: tuple[str, ...], where: str) -> _Price:
        """One subcomponent's action (None: area): a compound class recursively, else the
        registry's best primitive estimate."""
        inner = self.compound_of(sub.component_class, attrs)
        if inner is not None:
            try:
                return self._price(inner, action, attrs, stack)
            except _Decline:
                if class_key(sub.component_class) not in self.builtin:
                    raise
                # as for a component: the estimators' own answer for a class they know
        primitive, unread = _primitive_attributes(attrs, sub.component_class)
        comp = Component(f"{stack[0]}.{sub.name}", sub.component_class, primitive)
        empty = _empty_part(comp)
        if empty:
            return _Price(0.0, 100.0, (), (empty,))
        try:
            norm = normalize(comp, self.registry.index())
        except EstimationError as e:
            raise _Decline(f"{where}: {e}") from None
        query = None if action is None else _primitive_action(action, norm.cls)
        self._inside += 1
        try:
            choice, derived = self.registry.choose_or_derive(comp.name, norm.cls, query,
                                                             norm.attributes)
        except EstimationError as e:
            first = str(e).splitlines()[0].removesuffix("; consulted:")
            raise _Decline(f"{where}: {first}") from None
        finally:
            self._inside -= 1
        est = choice.estimate
        source = choice.estimator + (f", {derived.short}" if derived else "") + unread
        return _Price(est.value, est.accuracy if est.accuracy is not None else 0.0, (),
                      (source,), est.extrapolated)

    # --- attributes and names ---------------------------------------------------------------
    def _attributes(self, cls: CompoundClass, given: Mapping[str, Any]) -> dict:
        """The class's defaults with the component's attributes over them (names compare
        case-insensitively, as the component's were normalised), all evaluated."""
        lower = {str(k).lower(): k for k in cls.attributes}
        merged = dict(cls.attributes)
        for k, v in given.items():
            merged[lower.get(str(k).lower(), k)] = v
        missing = [k for k, v in merged.items() if v == MUST_SPECIFY]
        if missing:
            raise EstimationError(f"{cls.origin}: compound class {cls.name} needs the "
                                  f"attribute(s) {', '.join(missing)} (must_specify); give them "
                                  f"in the component's attributes")
        return {k: self._value(v, merged, f"{cls.origin}: attributes.{k}", keep_text=True)
                for k, v in merged.items()}

    def _sub_attributes(self, sub: Subcomponent, attrs: dict, where: str) -> dict:
        """A subcomponent's attributes, evaluated in order over the compound's and the ones
        before them (``mantissa: adder_width - exponent``)."""
        out = {k: attrs[k] for k in INHERITED if k in attrs}
        own: dict = {}
        for k, v in sub.attributes.items():
            own[k] = self._value(v, {**attrs, **own}, f"{where}: attributes.{k}",
                                 keep_text=True)
        out.update(own)
        return out

    def _subcomponent(self, cls: CompoundClass, base: str, where: str) -> Subcomponent:
        for sub in cls.subcomponents:
            if _base(sub.name) == base:
                return sub
        raise EstimationError(f"{where}: no subcomponent named {base!r} in compound class "
                              f"{cls.name} (its subcomponents: "
                              f"{', '.join(_base(s.name) for s in cls.subcomponents) or 'none'})")

    def _instances(self, name: str, names: Mapping[str, Any], where: str) -> tuple[str, int]:
        """``storage[1..width]`` -> ("storage", width); ``gen[0]`` -> ("gen", 1)."""
        m = _RANGE.match(name.strip())
        if m:
            lo = self._integer(m["lo"], names, where)
            hi = self._integer(m["hi"], names, where)
            if hi < lo:
                raise EstimationError(f"{where}: the instance range {name!r} is empty")
            return m["base"].strip(), hi - lo + 1
        m = _INDEX.match(name.strip())
        return (m["base"].strip() if m else name.strip()), 1

    def _integer(self, text: str, names: Mapping[str, Any], where: str) -> int:
        v = self._value(text, names, where)
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if not isinstance(v, int) or isinstance(v, bool):
            raise EstimationError(f"{where}: {text!r} is not an integer ({v!r})")
        return v

    def _value(self, value: Any, names: Mapping[str, Any], where: str,
               allow_range: bool = False, keep_text: bool = False) -> Any:
        if isinstance(value, str) and allow_range and ".." in value:
            lo, _, hi = value.partition("..")
            value = hi                  # a range of argument values: the most active end
        try:
            v = self.evaluate(value, names, where)
        except ValueError as e:         # the caller's expression errors
            raise EstimationError(str(e)) from None
        if isinstance(v, str) and not keep_text:
            raise EstimationError(f"{where}: {value!r} is not a number (an unknown name?)")
        return v


def _base(name: str) -> str:
    return re.sub(r"\[[^\]]*\]$", "", name.strip())


def _frozen(d: Mapping[str, Any]) -> tuple:
    return tuple(sorted((str(k), repr(v)) for k, v in d.items()))


def _empty_part(comp: Component) -> str:
    """Why a subcomponent has nothing in it (``depth`` or ``width`` 0: Sparseloop's metadata
    store and counters where nothing is compressed, ``metadata_storage_depth: 0``,
    ``metadata_counter_width: 0``), or "": it has no cells, so its actions and area are 0
    (Accelergy's plug-ins price a smallest array or adder instead)."""
    for key in ("depth", "width"):
        value = next((v for k, v in comp.attributes.items() if str(k).lower() == key), None)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0:
            return f"empty part ({key} 0): 0"
    return ""


def _primitive_action(action: str, cls: ComponentClass) -> str:
    """Accelergy's primitive action names in this package's terms: an arithmetic unit's
    ``read``/``add``/``multiply``/``mac`` is its ``compute``, its clock-gated ``mac_gated``/
    ``mult_gated`` (an operand is zero: nothing switches) an ``idle`` cycle; a storage's
    ``random_read`` its ``read``..."""
    a = ACTION_ALIASES.get(action, action)
    if cls.kind == "compute" and a.endswith("_gated"):
        return "idle"
    if cls.kind == "compute" and a not in ("leak", "idle"):
        return "compute"
    return a


def _primitive_attributes(attrs: Mapping[str, Any], component_class: str
                          ) -> tuple[dict, str]:
    """A primitive's width under the name the tables use, and what the record says of
    attributes it does not read. Accelergy's Aladdin adder, comparator and counter read
    ``width`` or ``datawidth`` alone (:data:`ALADDIN_WIDTH_ONLY`); other primitives' widths
    go by other names in its plug-ins: ``width_a`` (multipliers), ``n_bits``/``precision``
    (adders, comparators), or a floating-point unit's ``exponent + mantissa``."""
    out = {k: v for k, v in attrs.items()
           if not (isinstance(v, float) and not math.isfinite(v))}
    unread = ""
    default = ALADDIN_WIDTH_ONLY.get(class_key(component_class))
    if out.get("width") is not None:
        return out, unread
    if default is not None:             # Accelergy's Aladdin part: width, or its default
        out["width"] = out["datawidth"] if out.get("datawidth") is not None else default
        ignored = [f"{k} {out[k]:g}" for k in ("n_bits", "precision", "width_a")
                   if isinstance(out.get(k), (int, float))]
        if ignored:
            unread = (f"; {component_class} reads its width from width alone, as in Accelergy: "
                      f"{out['width']:g} bits ({', '.join(ignored)} not read)")
        return out, unread
    for alt in ("width_a", "n_bits", "precision", "datawidth"):
        if out.get(alt) is not None:
            out["width"] = out[alt]
            break
    else:
        e, m = out.get("exponent"), out.get("mantissa")
        if isinstance(e, (int, float)) and isinstance(m, (int, float)):
            out["width"] = e + m
    return out, unread


def unused_definitions(estimator: CompoundEstimator, components, report) -> list[str]:
    """One warning per component of a compound class some of whose numbers came from another
    estimator (a built-in class of the same name): which, and why the definition was not
    used."""
    out = []
    for comp in components:
        attrs = {str(k).lower(): v for k, v in comp.attributes.items()}
        sub = comp.subclass or attrs.get("subclass")
        cls = estimator.compound_of(comp.component_class, {"subclass": sub} if sub else {})
        if cls is None:
            continue
        others = [r for r in report.records if r.component == comp.name.split("[")[0]
                  and r.value is not None and not r.override and r.estimator != estimator.name]
        if not others:
            continue
        why = next((w for r in others if (w := estimator.reason(
            cls.name, None if r.action == "area" else r.action))), "")
        out.append(f"{comp.name}: {', '.join(r.action for r in others)} of compound class "
                   f"{cls.name} ({cls.origin}) not built from its subcomponents"
                   + (f" ({why})" if why else "")
                   + f"; estimated by {', '.join(dict.fromkeys(r.estimator for r in others))}"
                   + " instead")
    return out
