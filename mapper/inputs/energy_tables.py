"""The architecture's energy and area tables from the :mod:`energy` estimators.

This is the one place where :mod:`mapper` hands its components to :mod:`energy` (which never
imports :mod:`mapper`): every storage level and the compute level become
:class:`energy.Component` records with their class, attributes and instance counts.
"""
from __future__ import annotations

import os
import re
import warnings
from pathlib import Path
from typing import Sequence

from energy import Component, EstimationReport, ReferenceTables, Registry, estimate_tables
from energy.compound import CompoundEstimator, unused_definitions
from energy.estimator import arch_table_dirs, search_path

from ..spec.arch import Arch
from ..spec.components import evaluator

#: Accelergy's DRAM type when an arch names none (the 2020 tutorial's MainMemory: 8 pJ/bit)
DEFAULT_DRAM_TYPE = "LPDDR4"


def arch_components(arch: Arch) -> list[Component]:
    """Outermost level first, the compute level last (the order a reader of the arch expects).
    Attributes as Accelergy reads them: a DRAM without a ``type`` is its default type
    (:data:`DEFAULT_DRAM_TYPE`), a voltage may carry its unit (``1V``)."""
    out = [Component(level.name, level.component_class, _as_accelergy_reads(level.component_class,
                                                                   level.attributes),
                     level.instances, subclass=level.attributes.get("subclass"))
           for level in reversed(arch.storage)]
    out.append(Component(arch.compute.name, arch.compute.component_class,
                         _as_accelergy_reads(arch.compute.component_class,
                                             arch.compute.attributes), arch.compute.instances))
    return out


def _as_accelergy_reads(cls: str, attributes: dict) -> dict:
    if str(cls).strip().lower() in ("dram", "offchip_dram") and "type" not in attributes:
        attributes = {**attributes, "type": DEFAULT_DRAM_TYPE}
    voltage = attributes.get("voltage")       # Accelergy's exercises write "1V"
    if isinstance(voltage, str) and re.fullmatch(r"\s*[0-9.]+(e-?[0-9]+)?\s*[vV]\s*", voltage):
        attributes = {**attributes, "voltage": float(voltage.strip()[:-1])}
    return attributes


def compound_registry(compound_classes: Sequence = (),
                      table_dirs: Sequence[str | os.PathLike] = (), entry_points: bool = True,
                      ) -> tuple[Registry, CompoundEstimator | None]:
    """The estimators' registry (built-ins, plug-ins, the tables of ``table_dirs``) with the
    inputs' Accelergy compound classes priced from their subcomponents (the estimator, to ask
    which definitions went unused; None without classes)."""
    registry = Registry.default(table_dirs, entry_points=entry_points)
    if not compound_classes:
        return registry, None
    return registry, registry.register(
        CompoundEstimator(compound_classes, registry, evaluator()), "runtime")


def estimate_arch_tables(arch: Arch, table_dirs: Sequence[str | os.PathLike] = (),
                         arch_file: str | None = None, compound_classes: Sequence = (),
                         ) -> tuple[ReferenceTables, EstimationReport, list[str]]:
    """ERT/ART of every component, the report of who supplied each number, and the warnings
    raised on the way (extrapolations, left-out optional actions) as text for the caller.
    ``compound_classes`` (Accelergy's, :mod:`energy.compound`) are priced from their
    subcomponents."""
    arch_dir = Path(arch_file).parent if arch_file else Path(".")
    dirs = search_path(table_dirs, arch_table_dirs(arch.attributes, arch_dir))
    components = arch_components(arch)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        registry, compound = compound_registry(compound_classes, dirs)
        tables, report = estimate_tables(components, registry=registry)
    notes = [str(w.message) for w in caught]
    untyped = [lv.name for lv in arch.storage
               if "type" not in lv.attributes
               and "type" in _as_accelergy_reads(lv.component_class, lv.attributes)]
    if untyped:
        notes.append(f"{', '.join(untyped)}: a DRAM without a type is {DEFAULT_DRAM_TYPE}, as "
                     f"Accelergy assumes (give type: to choose another)")
    if compound is not None:
        notes += unused_definitions(compound, components, report)
    return tables, report, notes


#: where a user of the command finds the details the energy warnings leave out
DETAILS = ("`mapper energy ARCH` (with this run's --set, --params and --energy-tables) lists "
           "every energy and area with the estimator that supplied it and its notes")


def warning_lines(warnings: Sequence[str], details: str | None = DETAILS) -> list[str]:
    """The estimator warnings as printed lines, then where their details are (once)."""
    lines = [f"warning: energy: {w}" for w in warnings]
    if lines and details:
        lines.append(f"note: energy: {details}")
    return lines
