"""ERT and ART for a list of components: every action's energy and who supplied it.

An explicit energy (``energy: {read: 1.2}`` or ``read_energy: 1.2``) or ``area`` in a
component's attributes overrides every estimator; the record says so and keeps what the
estimators would have said as runners-up. A required action nobody can answer is an
:class:`EstimationError` naming the component, the action and every estimator and file
consulted (all failures are collected into one error). ``update`` with no estimator of its own
is the ``write`` energy (Accelergy's smartbuffer definition, Timeloop v3.0.3's charge), stated in
the record. An optional action (``leak``, ``idle``) or an area nobody can answer is left out of
the tables, never set to zero, with an :class:`EstimationWarning`.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from .components import (ACTION_ALIASES, DRAM_TYPES,
                         DRAM_TYPES_WITHOUT_FIGURE, OPTIONAL_ACTIONS, Component, Normalized,
                         explicit_area, explicit_energy, normalize)
from .ert import ReferenceTables, component_key
from .errors import EstimationError, EstimationWarning, ExtrapolationWarning
from .estimator import Candidate, Choice, Registry

OVERRIDE = "arch attributes"


@dataclass(frozen=True)
class Record:
    """One number of the ERT (``action``) or ART (``action == "area"``) and its provenance."""

    component: str
    action: str
    value: float | None  # None: left out (optional and unanswered)
    estimator: str
    origin: str = ""
    accuracy: float | None = None
    source: str = ""
    citation: str = ""
    note: str = ""
    override: bool = False
    extrapolated: bool = False
    runners_up: tuple[Candidate, ...] = ()

    @property
    def unit(self) -> str:
        return "um^2" if self.action == "area" else "pJ"


@dataclass
class EstimationReport:
    records: list[Record] = field(default_factory=list)
    skipped_files: list[str] = field(default_factory=list)

    def get(self, component: str, action: str) -> Record:
        key = component_key(component)
        for r in self.records:
            if r.component == key and r.action == action:
                return r
        raise KeyError((component, action))

    @property
    def missing(self) -> list[Record]:
        return [r for r in self.records if r.value is None]

    def format(self) -> str:
        """A plain-text table (the CLI prints it; nothing here prints)."""
        head = ("component", "action", "value", "unit", "estimator", "acc", "note")
        rows = [head] + [(
            r.component, r.action, "-" if r.value is None else f"{r.value:.6g}", r.unit,
            r.estimator + (f" [{r.origin}]" if r.origin else ""),
            "" if r.accuracy is None else f"{r.accuracy:g}", r.note) for r in self.records]
        widths = [max(len(row[i]) for row in rows) for i in range(len(head) - 1)]
        table = "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)) + "  " + row[-1]
                           for row in rows).rstrip()
        sources = {}
        for r in self.records:
            if r.value is not None and not r.override:
                sources.setdefault(r.estimator, {})[r.citation or r.source] = None
        lines = [f"  {name}: {' | '.join(c for c in cites if c) or '-'}"
                 for name, cites in sources.items()]
        return table + ("\nsources:\n" + "\n".join(lines) if lines else "")


def estimate_tables(components: Iterable[Component], *,
                    search_path: Sequence[str | os.PathLike] = (), plugins: Sequence[Any] = (),
                    registry: Registry | None = None, entry_points: bool = True,
                    ) -> tuple[ReferenceTables, EstimationReport]:
    """ERT/ART of ``components`` and the report of who supplied each number.

    Numbers extrapolated beyond a table's range and optional ones left out are also warned
    about (:class:`ExtrapolationWarning`, :class:`EstimationWarning`), briefly: the report's
    records say how each was estimated or why it was left out.

    ``registry`` defaults to :meth:`Registry.default` over ``search_path`` and ``plugins``.
    """
    reg = registry or Registry.default(search_path, plugins, entry_points)
    tables, report = ReferenceTables(), EstimationReport(skipped_files=list(reg.skipped))
    errors: list[str] = []
    left_out: list[str] = []
    for comp in components:
        where = f"component {comp.name!r}"
        try:
            norm = normalize(comp, reg.index())
            overrides = explicit_energy(comp.attributes, where)
            area = explicit_area(comp.attributes, where)
        except EstimationError as e:
            errors.append(str(e))
            continue
        wanted = comp.actions if comp.actions is not None else norm.cls.default_actions
        actions = list(dict.fromkeys([ACTION_ALIASES.get(a, a) for a in wanted] + list(overrides)))
        # a class's own actions (a compound class's metadata_read...) are listed unasked
        # and are optional then: the model charges only its kind's actions
        optional = OPTIONAL_ACTIONS | ({a for a in norm.cls.own_actions if a not in
                                        norm.cls.kind_actions} if comp.actions is None else set())
        for action in [*actions, "area"]:
            given = area if action == "area" else overrides.get(action)
            try:
                rec = _record(reg, norm, action, given)
            except EstimationError as e:
                if action in optional or action == "area":
                    rec = Record(component_key(comp.name), action, None, "-",
                                 note="not estimated: " + str(e).splitlines()[0].split(";")[0])
                    left_out.append(f"{comp.name}.{action}")
                else:
                    errors.append(str(e))
                    continue
            report.records.append(rec)
            if rec.value is None:
                continue
            key = component_key(comp.name)
            if action == "area":
                tables.area_um2[key] = rec.value
            else:
                tables.energy_pJ.setdefault(key, {})[action] = rec.value
            tables.source[(key, action)] = _source(rec)
    if errors:
        raise EstimationError("\n\n".join(errors))
    extrapolated = [f"{r.component}.{r.action} ({r.estimator})"
                    for r in report.records if r.extrapolated]
    if extrapolated:
        warnings.warn(ExtrapolationWarning(
            "extrapolated beyond their table's range: "
            + ", ".join(extrapolated)), stacklevel=2)
    if left_out:
        warnings.warn(EstimationWarning(
            f"left out of the tables, as no estimator supplies them (unknown, not zero): "
            f"{', '.join(left_out)}"), stacklevel=2)
    return tables, report


def _record(reg: Registry, norm: Normalized, action: str, given: float | None) -> Record:
    comp = norm.component
    key = component_key(comp.name)
    query = None if action == "area" else action
    if given is not None:
        try:
            others, _ = _choose(reg, norm, query)
            runners = (Candidate(others.estimator, others.origin, others.estimate.accuracy,
                                 others.value), *others.runners_up)
        except EstimationError:
            runners = ()
        return Record(key, action, given, OVERRIDE, note="explicit value in the arch "
                      "attributes overrides every estimator", override=True, runners_up=runners)
    choice, note = _choose(reg, norm, query)
    est = choice.estimate
    notes = "; ".join(n for n in (note, est.note, *norm.notes) if n)
    return Record(key, action, est.value, choice.estimator, choice.origin, est.accuracy,
                  est.source, est.citation, notes, False, est.extrapolated, choice.runners_up)


def _choose(reg: Registry, norm: Normalized, action: str | None) -> tuple[Choice, str]:
    """The registry's choice, or a derived action's (a storage ``update`` nobody answers is
    the ``write``, an ``idle`` cycle the ``leak``)."""
    try:
        choice, derived = reg.choose_or_derive(norm.component.name, norm.cls, action,
                                               norm.attributes)
    except EstimationError as first:
        _dram_hint(norm, action, first)
        raise
    return choice, derived.note if derived else ""


def _dram_hint(norm: Normalized, action: str | None, error: EstimationError) -> None:
    """A DRAM type with no per-bit figure in any table: say so and what to give instead."""
    typ = norm.attributes.get("type")
    if norm.cls.name != "DRAM" or action in (None, *OPTIONAL_ACTIONS) or typ in DRAM_TYPES:
        return
    known = ", ".join(DRAM_TYPES)
    if typ in DRAM_TYPES_WITHOUT_FIGURE:
        why = (f"DRAM type {typ} has no per-bit energy in the built-in tables: no primary "
               f"figure was at hand (energy/tables/dram.yaml)")
    else:
        why = f"DRAM type {typ!r} is not in the tables (types with a figure: {known})"
    raise EstimationError(
        f"component {norm.component.name!r}: {why}; give one: `energy: {{read: PJ, write: PJ}}` "
        f"in its attributes (pJ per access of `width` = {norm.attributes.get('width'):g} bits), "
        f"or a row (class: DRAM, type: {typ}, width: ..., action: read|write|update, energy: "
        f"...) in a table file on --energy-tables\n{error}") from None


def _source(rec: Record) -> str:
    if rec.override:
        return OVERRIDE
    acc = "" if rec.accuracy is None else f", accuracy {rec.accuracy:g}"
    return f"{rec.estimator} [{rec.origin}{acc}]: {rec.source}"
