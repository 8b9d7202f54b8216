"""The Python API: load inputs the way ``mapper`` does and evaluate mappings.

    >>> from mapper import api
    >>> spec = api.load(["arch.yaml", "problem.yaml", "map.yaml"])
    >>> result = api.evaluate(spec)          # an Evaluation (typed), or raises SpecError
    >>> result.energy_pJ, result.cycles
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from energy import ReferenceTables, TableError, read_art, read_ert

from .model.evaluate import Model
from .model.result import Evaluation
from .spec import read_arch, read_mapping, read_workload
from .spec.arch import Arch
from .spec.constraints import Constraints, Violation, check_mapping
from .spec.errors import Notes, SpecError, Where
from .spec.loader import Inputs, load_yaml
from .spec.timeloop_constraints import read_constraints
from .spec.mapping import Mapping
from .spec.workload import Workload

#: top-level keys of Timeloop's and our formats that the model run does not use
_OTHER_KEYS = {"mapper": "mapper settings are used by `mapper search`",
               "mapspace": "mapspace settings are used by `mapper search`",
               "variables": "variables are substituted by timeloopfe; give numbers",
               "globals": "not used", "compound_components": "not used",
               "components": "not used", "model": "not used"}


_KNOWN_KEYS = ("architecture", "arch", "problem", "workload", "mapping", "ERT", "ART",
               "architecture_constraints", "mapspace_constraints", "constraints")


@dataclass
class Spec:
    """Everything one run needs, read and validated."""

    arch: Arch
    workload: Workload
    mapping: Mapping | None
    tables: ReferenceTables | None
    constraints: Constraints
    inputs: Inputs

    @property
    def notes(self) -> Notes:
        return self.inputs.notes


def load(paths: Sequence[str | Path], ert: str | Path | None = None,
         art: str | Path | None = None, need_mapping: bool = True) -> Spec:
    """Read and merge input files (any file may hold any top-level key, Timeloop style)."""
    inputs = Inputs()
    for p in paths:
        inputs.add_file(p)
    arch = read_arch(*inputs.require("architecture", "architecture", "arch"))
    workload = read_workload(*inputs.require("problem", "problem", "workload"))
    mapping = None
    found = inputs.get("mapping")
    if found is not None:
        mapping = read_mapping(found[0], found[1], arch, workload)
    elif need_mapping:
        inputs.require("mapping", "mapping")
    tables = _read_tables(inputs, ert, art)
    constraints = read_constraints(inputs, arch, workload)
    for key in inputs.values:
        if key in _OTHER_KEYS and not (key == "mapspace" and "constraints" in
                                       (inputs.values[key] or {})):
            Where(inputs.files[key], key, inputs.notes).ignore(_OTHER_KEYS[key])
        elif key not in _KNOWN_KEYS and key not in _OTHER_KEYS:
            raise SpecError(f"unknown top-level key {key!r}; expected one of "
                            f"{', '.join(_KNOWN_KEYS + tuple(_OTHER_KEYS))}",
                            inputs.files[key], key)
    return Spec(arch, workload, mapping, tables, constraints, inputs)


def _read_tables(inputs: Inputs, ert: str | Path | None,
                 art: str | Path | None) -> ReferenceTables | None:
    tables = None
    try:
        for key, reader in (("ERT", read_ert), ("ART", read_art)):
            if key in inputs.values:
                tables = reader(inputs.values[key], inputs.files[key], tables)
        for path, reader in ((ert, read_ert), (art, read_art)):
            if path is not None:
                data = load_yaml(path)
                fresh = reader(data, str(path))
                tables = fresh if tables is None else tables.merge(fresh)
    except TableError as e:
        raise SpecError(str(e)) from None
    return tables


def model_of(spec: Spec) -> Model:
    return Model(spec.arch, spec.workload, spec.tables)


def check(spec: Spec, mapping: Mapping | None = None) -> list[Violation]:
    """The user constraints (architecture_constraints, mapspace_constraints, inline
    constraints) that the mapping breaks; loops with factor 1 do not count."""
    mapping = mapping or spec.mapping
    if mapping is None:
        raise SpecError("no mapping given: expected a top-level key 'mapping'")
    return check_mapping(mapping, spec.arch, spec.workload, spec.constraints)


def evaluate(spec: Spec, mapping: Mapping | None = None) -> Evaluation:
    """Evaluate the spec's mapping (or ``mapping``) with the analytical model."""
    mapping = mapping or spec.mapping
    if mapping is None:
        raise SpecError("no mapping given: expected a top-level key 'mapping'")
    return model_of(spec).evaluate_mapping(mapping)
