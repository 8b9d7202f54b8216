"""Loading the inputs as a user gives them: files merged Timeloop-style (any file may hold any
top-level key), bundled templates and their parameters, a layer picked from a layer library,
and the energy and area tables (given as ERT/ART, else estimated by :mod:`energy`), read and
validated into one :class:`Spec`.

    >>> from mapper.inputs.load import load
    >>> spec = load(["eyeriss_like", "problem.yaml", "map.yaml"], overrides={"pe_rows": 8})

:func:`mapper.api.load` is this function.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Sequence

from energy import (EstimationError, EstimationReport, ReferenceTables, TableError, read_art,
                    read_ert)

from ..spec import read_arch, read_mapping, read_workload
from ..spec.arch import Arch
from ..spec.components import read_compound_classes
from ..spec.constraints import Constraints
from ..spec.errors import Notes, SpecError, Where
from ..spec.jinja import Rendering
from ..spec.keys import part_name
from ..spec.loader import Inputs, load_yaml
from ..spec.mapping import Mapping
from ..spec.sparse import say_once, sparsity_note
from ..spec.timeloop_constraints import read_constraints
from ..spec.variables import check_all_taken, timeloop_variables
from ..spec.workload import Workload
from .templates import Overrides, read_arch_overridden, resolve_input

#: top-level keys of Timeloop's and our formats that the model run does not use
_OTHER_KEYS = {"mapspace": "Timeloop's mapspace template: the mapspace searched here is the "
                           "whole one, narrowed by the constraints",
               "globals": "not used", "model": "not used",
               "dumped_by_timeloop_front_end": "marks timeloopfe's processed input, which is "
                                               "read as Timeloop reads it",
               "action_counts": "Accelergy's action counts: the model counts the actions of "
                                "a mapping itself"}


_KNOWN_KEYS = ("architecture", "arch", "problem", "workload", "mapping", "ERT", "ART",
               "architecture_constraints", "mapspace_constraints", "constraints", "layers",
               "einsums", "source", "name", "variables", "compound_components",
               "components", "sparse_optimizations")


@dataclass
class Spec:
    """Everything one run needs, read and validated."""

    arch: Arch
    workload: Workload | None      # None only where the caller did not need one
    mapping: Mapping | None
    tables: ReferenceTables | None
    constraints: Constraints | None
    inputs: Inputs
    #: where the energies and areas came from, e.g. "ERT from arch.yaml; ART estimated"
    energy_source: str = ""
    #: the estimators' report, when any number was estimated (``mapper energy`` prints it)
    energy_report: EstimationReport | None = None
    #: estimator warnings (extrapolations, numbers left out), for the caller to show
    energy_warnings: tuple[str, ...] = ()
    #: Accelergy compound component classes of the inputs, priced from their subcomponents
    compound_classes: tuple = ()
    #: what of Sparseloop the inputs hold and that it is ignored (figures are dense), or None
    sparsity: str | None = None

    @property
    def notes(self) -> Notes:
        return self.inputs.notes


def load(paths: Sequence[str | Path], ert: str | Path | None = None,
         art: str | Path | None = None, need_mapping: bool = True,
         energy_tables: Sequence[str | Path] = (), need_workload: bool = True,
         overrides: Overrides | dict[str, Any] | None = None, layer: str | None = None,
         check_layout: bool = True) -> Spec:
    """Read and merge input files (any file may hold any top-level key, Timeloop style).

    Energies come from an ERT (embedded or ``ert``) when one is given, areas likewise from an
    ART; whatever is not given is estimated by :mod:`energy` (built-in tables, table files in
    ``energy_tables``, the arch's ``energy_tables`` attribute, ``$ENERGY_TABLES_PATH``,
    plug-ins), and ``Spec.energy_source`` says which.

    A path may name a bundled template (``eyeriss_like``); ``overrides`` sets its parameters
    (or any variables of an arch in our format), see :mod:`mapper.inputs.templates`.
    ``layer`` picks one layer of a layer library (``problems/layers/*.yaml``:
    ``layers: {NAME: problem}``). ``check_layout=False`` is for pricing the components alone
    (``mapper energy``): a breach of Timeloop's spatial layout rule (a level's mesh must divide
    the mesh below it), which Accelergy does not check, is then a note instead of an error;
    such a spec cannot be modelled.
    """
    overrides = Overrides.of(overrides)
    inputs = Inputs(rendering=Rendering(overrides.values, overrides.origins))
    for p in paths:
        inputs.add_file(resolve_input(p))
    arch = _read_arch(inputs, overrides, check_layout)
    found = inputs.get("problem", "workload")
    if layer is not None or (found is None and "layers" in inputs.values):
        found = _library_layer(inputs, layer)
    if found is None and need_workload:
        inputs.require("problem", "problem", "workload")
    workload = read_workload(*found) if found else None
    if layer is not None and "name" not in found[0]:
        workload = replace(workload, name=layer)    # a library layer is named after its key
    mapping = None
    found = inputs.get("mapping")
    if found is not None and found[0] == []:    # timeloopfe's processed input of a search
        if need_mapping:
            found[1].fail("the mapping is empty (mapping: []): give the mapping file too, "
                          "e.g. the timeloop-mapper.map.yaml next to this file")
        found = None
    if found is not None and workload is None:      # mapper energy ARCH MAP: no problem
        found[1].ignore("a mapping without a problem: only the architecture is needed here")
        found = None
    if found is not None:
        mapping = read_mapping(found[0], found[1], arch, workload)
    elif need_mapping:
        inputs.require("mapping", "mapping")
    given = _read_tables(inputs, ert, art)
    constraints = read_constraints(inputs, arch, workload) if workload else None
    for key in inputs.values:
        if key in _OTHER_KEYS and not (key == "mapspace" and "constraints" in
                                       (inputs.values[key] or {})):
            Where(inputs.files[key], key, inputs.notes).ignore(_OTHER_KEYS[key])
        elif key not in _KNOWN_KEYS and part_name(key) in ("globals", "ignore"):
            Where(inputs.files[key], key, inputs.notes).ignore(
                f"timeloopfe reads a key named *{part_name(key)}* as its {part_name(key)}"
                if part_name(key) == "globals" else "its name says ignore (timeloopfe's rule)")
        elif key not in _KNOWN_KEYS and key not in _OTHER_KEYS and key != "mapper" \
                and part_name(key) is None:
            raise SpecError(f"unknown top-level key {key!r}; expected one of "
                            f"{', '.join(_KNOWN_KEYS + tuple(_OTHER_KEYS) + ('mapper',))}",
                            inputs.files[key], key)
    spec = Spec(arch, workload, mapping, None, constraints, inputs,
                compound_classes=read_compound_classes(inputs),
                sparsity=sparsity_note(inputs))
    say_once(inputs.notes, spec.sparsity)
    _complete_tables(spec, given, energy_tables)
    return spec


def _read_arch(inputs: Inputs, overrides: Overrides, check_layout: bool = True) -> Arch:
    """The arch, with each ``--set`` value where it belongs: the templates that used it,
    Timeloop's ``variables:``, or the parameters of an arch in our format
    (:mod:`mapper.spec.variables`)."""
    value, where = inputs.require("architecture", "architecture", "arch")
    variables, taken = timeloop_variables(inputs, overrides.values)
    taken |= set(overrides.values) & inputs.rendering.used
    rest = overrides.only(k for k in overrides.values if k not in taken)
    own = isinstance(value, dict) and ("levels" in value or (
        isinstance(value.get("arch"), dict) and "levels" in value["arch"]))
    if own:
        return read_arch_overridden(value, where, rest)
    check_all_taken(rest.values, rest.origins, taken, inputs.rendering.used, variables,
                    inputs.rendering.templates)
    return read_arch(value, where, variables, check_layout)


def _library_layer(inputs: Inputs, layer: str | None):
    """The problem of one named layer of a layer library, with its location."""
    found = inputs.get("layers")
    if found is None:
        raise SpecError(f"--layer {layer}: no layer library given (a file with a top-level "
                        f"'layers' mapping, e.g. problems/layers/resnet18.yaml)")
    value, where = found
    names = list(value) if isinstance(value, dict) else []
    if layer is None:
        where.fail(f"this is a layer library: choose a layer with --layer NAME, one of "
                   f"{', '.join(names)}")
    if layer not in names:
        import difflib
        hint = difflib.get_close_matches(layer, names, n=1)
        where.fail(f"no layer {layer!r}" + (f" (did you mean {hint[0]!r}?)" if hint else "")
                   + f"; layers: {', '.join(names)}")
    problem = dict(value[layer])
    return problem, where / layer


def _read_tables(inputs: Inputs, ert: str | Path | None,
                 art: str | Path | None) -> dict[str, tuple[ReferenceTables, str]]:
    """The ERT and ART given in the inputs or as files: {"ERT"|"ART": (tables, file)}."""
    found: dict[str, tuple[ReferenceTables, str]] = {}
    try:
        for key, reader, path in (("ERT", read_ert, ert), ("ART", read_art, art)):
            if key in inputs.values:
                found[key] = reader(inputs.values[key], inputs.files[key]), inputs.files[key]
            if path is not None:
                fresh = reader(load_yaml(path), str(path))
                prev = found.get(key)
                found[key] = (prev[0].merge(fresh) if prev else fresh), str(path)
    except TableError as e:
        raise SpecError(str(e)) from None
    return found


def _complete_tables(spec: Spec, given: dict[str, tuple[ReferenceTables, str]],
                     energy_tables: Sequence[str | Path]) -> None:
    """Given ERT/ART as they are; the rest from the estimators, saying which is which."""
    from .energy_tables import estimate_arch_tables
    arch_file = spec.inputs.files.get("architecture", spec.inputs.files.get("arch"))
    estimated = None
    if "ERT" not in given or "ART" not in given:
        try:
            estimated, spec.energy_report, warns = estimate_arch_tables(
                spec.arch, energy_tables, arch_file, spec.compound_classes)
            spec.energy_warnings = tuple(warns)
        except EstimationError as e:
            if "ERT" not in given:
                raise SpecError(f"{arch_file}: architecture: no ERT given and the energy "
                                f"estimators cannot answer: {e}") from None
            spec.energy_warnings = (f"areas not estimated: {e}",)
    energy = given["ERT"][0] if "ERT" in given else estimated
    area = given["ART"][0] if "ART" in given else estimated
    tables = ReferenceTables(dict(energy.energy_pJ), dict(area.area_um2) if area else {},
                             dict(energy.source))
    for level in spec.arch.storage:     # Timeloop's ERTs leave out the dummy levels: free
        if level.is_dummy and tables.energy(level.name, "read") is None:
            tables.energy_pJ[level.name] = {"read": 0.0, "write": 0.0, "update": 0.0}
            tables.source[(level.name, "read")] = "dummy_storage: zero by definition"
    spec.tables = tables
    spec.energy_source = "; ".join(
        f"{key} from {given[key][1]}" if key in given else f"{key} estimated"
        for key in ("ERT", "ART"))
