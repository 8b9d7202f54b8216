"""The sweep spec: which designs, networks and batch sizes a design-space sweep runs, read and
validated like every other input (errors name the file, the YAML path and what was expected).

    sweep:
      designs:
        - template: eyeriss_like                  # a bundled template or a template file
          grid: {pe_rows: [8, 12], glb_kb: [64, 128]}   # every combination
          zip: {ifmap_spad_depth: [12, 24], psum_spad_depth: [16, 32]}   # paired values
          params: {clock_mhz: 200}                # fixed for every design of this entry
        - arch: path/to/arch.yaml                 # a fixed architecture is one design
      where: "pe_rows * pe_cols <= 256"           # optional filter over the parameters
      energy_tables: {sram: [], mram: [tables/]}  # optional axis: label -> table directories
      networks: [resnet18, {network: bert_base, params: {seq: 128}}]
      batch: [1, 8]                               # optional (default: each network's own)
      objective: edp
      search: {algorithm: hybrid, search_size: 2000}   # what `mapper network` takes

An entry's designs are the product of its ``grid`` values times its ``zip`` tuples (both
optional), each with its ``params``. ``where`` is an expression of the safe evaluator
(:mod:`mapper.spec.expr`) over a design's parameters, its template's defaults included; a
design whose template lacks a name it uses is kept (the filter does not apply to it). Paths
are relative to the spec file.
"""
from __future__ import annotations

import ast
import difflib
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..inputs.templates import parameters, template_path
from ..mapsearch.run import ALGORITHMS
from ..network.library import network_path
from ..network.run_inputs import network_parameters
from ..spec.errors import (SpecError, Where, as_int, as_list, as_mapping, as_number, as_str,
                           check_keys, type_name)
from ..spec.expr import evaluate
from ..spec.loader import load_yaml

#: the keys of ``search:``, as ``mapper network`` takes them
SEARCH_KEYS = ("algorithm", "time_limit", "search_size", "victory_condition", "seed")


@dataclass(frozen=True)
class Design:
    """One architecture: a template with parameter values, or fixed arch files."""

    name: str
    template: str | None = None            # the template's file (resolved)
    params: dict[str, Any] = field(default_factory=dict)
    arch_files: tuple[str, ...] = ()       # for a fixed architecture
    where: str = ""                        # the spec's YAML path of its entry

    @property
    def inputs(self) -> list[str]:
        """The arch inputs as ``mapper network`` takes them."""
        return [self.template] if self.template else list(self.arch_files)


@dataclass(frozen=True)
class NetworkRef:
    name: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SweepSpec:
    file: str
    designs: tuple[Design, ...]
    networks: tuple[NetworkRef, ...]
    batches: tuple[int | None, ...]
    energy_tables: dict[str, tuple[str, ...]]      # label -> directories; {} = one default axis
    objective: str
    search: dict[str, Any]
    #: every template parameter swept or set, in first-seen order (the result table's columns)
    parameters: tuple[str, ...] = ()
    filtered_out: int = 0                           # designs the ``where`` removed

    @property
    def table_labels(self) -> tuple[str | None, ...]:
        return tuple(self.energy_tables) or (None,)


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and check a sweep spec file."""
    path = Path(path)
    data = load_yaml(path)
    where = Where(str(path))
    top = as_mapping(data, where)
    check_keys(top, where, ("sweep",), ("sweep",))
    return read_sweep(top["sweep"], where / "sweep", path.parent)


def read_sweep(value: Any, where: Where, base: Path = Path(".")) -> SweepSpec:
    s = as_mapping(value, where)
    check_keys(s, where, ("designs", "where", "energy_tables", "networks", "batch",
                          "objective", "search"), ("designs", "networks"))
    designs, names = _designs(s["designs"], where / "designs", base)
    kept = designs
    if s.get("where") is not None:
        kept = _filter(designs, s["where"], where / "where")
        if not kept:
            (where / "where").fail(f"no design passes the filter {s['where']!r} (of "
                                   f"{len(designs)})")
    return SweepSpec(
        file=where.file or "", designs=tuple(kept),
        networks=_networks(s["networks"], where / "networks", base),
        batches=_batches(s.get("batch"), where / "batch"),
        energy_tables=_tables(s.get("energy_tables"), where / "energy_tables", base),
        objective=_objective(s.get("objective", "edp"), where / "objective"),
        search=_search(s.get("search") or {}, where / "search"),
        parameters=tuple(names), filtered_out=len(designs) - len(kept))


# -- designs ----------------------------------------------------------------------------------

def _designs(value: Any, where: Where, base: Path) -> tuple[list[Design], list[str]]:
    entries = as_list(value, where)
    if not entries:
        where.fail("expected at least one design (a template with parameters, or arch:)")
    out: list[Design] = []
    names: list[str] = []
    for i, entry in enumerate(entries):
        w = where / i
        entry = as_mapping(entry, w)
        if "arch" in entry:
            check_keys(entry, w, ("arch", "name"))
            files = entry["arch"] if isinstance(entry["arch"], list) else [entry["arch"]]
            paths = []
            for j, f in enumerate(files):
                p = _path(as_str(f, w / "arch" / j if isinstance(entry["arch"], list)
                                 else w / "arch"), base)
                if not p.is_file():
                    (w / "arch").fail(f"no such file: {p}")
                paths.append(str(p))
            name = as_str(entry.get("name", Path(paths[0]).stem), w / "name")
            out.append(Design(name, arch_files=tuple(paths), where=w.path))
            continue
        check_keys(entry, w, ("template", "grid", "zip", "params", "name"), ("template",))
        template = as_str(entry["template"], w / "template")
        try:
            tfile = template_path(template) if not _looks_like_path(template) \
                else _path(template, base)
            known = parameters(tfile)
        except SpecError as e:
            raise SpecError(e.message, where.file, (w / "template").path) from None
        label = as_str(entry.get("name", Path(template).stem), w / "name")
        fixed = _params(entry.get("params") or {}, w / "params", known, template)
        grid = _params(entry.get("grid") or {}, w / "grid", known, template, lists=True)
        zipped = _params(entry.get("zip") or {}, w / "zip", known, template, lists=True)
        lengths = {len(v) for v in zipped.values()}
        if len(lengths) > 1:
            (w / "zip").fail(f"the lists of zip: are paired value by value, so they must be "
                             f"equally long; got lengths "
                             f"{', '.join(f'{k}: {len(v)}' for k, v in zipped.items())}")
        both = set(grid) & set(zipped) | (set(fixed) & (set(grid) | set(zipped)))
        if both:
            w.fail(f"parameter {sorted(both)[0]!r} is given twice (in more than one of "
                   f"params, grid and zip)")
        for n in (*fixed, *grid, *zipped):
            if n not in names:
                names.append(n)
        zip_rows = [dict(zip(zipped, vals)) for vals in zip(*zipped.values())] or [{}]
        for combo in itertools.product(*grid.values()):
            for z in zip_rows:
                params = {**fixed, **dict(zip(grid, combo)), **z}
                shown = ",".join(f"{k}={v}" for k, v in {**dict(zip(grid, combo)), **z}.items())
                out.append(Design(f"{label}[{shown}]" if shown else label, str(tfile),
                                  params, where=w.path))
    seen: set[str] = set()
    for d in out:
        if d.name in seen:
            Where(where.file, d.where).fail(f"design {d.name!r} occurs twice: give the "
                                            f"entries different names (name:)")
        seen.add(d.name)
    return out, names


def _looks_like_path(text: str) -> bool:
    return text.endswith((".yaml", ".yml")) or "/" in text


def _path(text: str, base: Path) -> Path:
    p = Path(text).expanduser()
    return p if p.is_absolute() else base / p


def _params(value: Any, where: Where, known: dict, template: str,
            lists: bool = False) -> dict[str, Any]:
    value = as_mapping(value, where)
    out = {}
    for name, v in value.items():
        w = where / str(name)
        if name not in known:
            hint = difflib.get_close_matches(str(name), list(known), n=1)
            w.fail(f"unknown parameter {name!r} of template {template}"
                   + (f" (did you mean {hint[0]!r}?)" if hint else "")
                   + f"; its parameters are: {', '.join(known)}")
        if lists:
            values = v if isinstance(v, list) else None
            if values is None:
                w.fail(f"expected a list of values, got {type_name(v)}")
            if not values:
                w.fail("an empty list of values: the sweep would have no design")
            for j, x in enumerate(values):
                _scalar(x, w / j)
            out[name] = values
        else:
            out[name] = _scalar(v, w)
    return out


def _scalar(v: Any, where: Where) -> Any:
    if isinstance(v, (dict, list)) or v is None:
        where.fail(f"expected a number or a string, got {type_name(v)}")
    return v


def _names_in(expression: str) -> set[str]:
    tree = ast.parse(expression, mode="eval")
    calls = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in calls}


def _filter(designs: list[Design], value: Any, where: Where) -> list[Design]:
    text = as_str(value, where)
    try:
        used = _names_in(text)
    except (SyntaxError, ValueError, RecursionError):
        where.fail(f"expected an expression over the parameters (like 'pe_rows * pe_cols <= "
                   f"256'), got {text!r}, which is not one")
    known: set[str] = set()
    values_of = []
    for d in designs:
        names = {} if d.template is None else {**parameters(d.template), **d.params}
        known |= set(names)
        values_of.append(names)
    unknown = sorted(used - known)
    if unknown:
        where.fail(f"{', '.join(map(repr, unknown))} in {text!r} is not a parameter of any "
                   f"design; parameters are: {', '.join(sorted(known)) or 'none'}")
    kept = []
    for d, names in zip(designs, values_of):
        if not used <= set(names):
            kept.append(d)                # its template lacks a name: not filtered
            continue
        result = evaluate(text, names, where)
        if isinstance(result, str) or not isinstance(result, (bool, int, float)):
            where.fail(f"expected an expression over the parameters that is true or false, "
                       f"got {text!r}, which does not evaluate for design {d.name}")
        if result:
            kept.append(d)
    return kept


# -- the other axes ---------------------------------------------------------------------------

def _networks(value: Any, where: Where, base: Path) -> tuple[NetworkRef, ...]:
    entries = value if isinstance(value, list) else [value]
    if not entries:
        where.fail("expected at least one network (a bundled name such as resnet18, or a file)")
    out = []
    for i, entry in enumerate(entries):
        w = where / i if isinstance(value, list) else where
        params: dict[str, Any] = {}
        if isinstance(entry, dict):
            check_keys(entry, w, ("network", "params"), ("network",))
            params = dict(as_mapping(entry.get("params") or {}, w / "params"))
            name = as_str(entry["network"], w / "network")
            w_name = w / "network"
        else:
            name, w_name = as_str(entry, w), w
        local = _path(name, base)
        try:
            path = network_path(str(local) if local.is_file() else name)
            declared = network_parameters(path)
        except SpecError as e:
            w_name.fail(e.message)
        for k, v in params.items():
            if k == "batch":
                (w / "params" / k).fail("give the batch size with the sweep's batch: key")
            if k not in declared:
                (w / "params" / str(k)).fail(
                    f"unknown parameter {k!r} of network {name}; its parameters are: "
                    f"{', '.join(p for p in declared if p != 'batch') or 'none'}")
            _scalar(v, w / "params" / str(k))
        label = Path(name).stem + "".join(f"[{k}={v}]" for k, v in params.items())
        out.append(NetworkRef(label, str(path), params))
    labels = [n.name for n in out]
    for n in labels:
        if labels.count(n) > 1:
            where.fail(f"network {n!r} is listed twice")
    return tuple(out)


def _batches(value: Any, where: Where) -> tuple[int | None, ...]:
    if value is None:
        return (None,)
    values = value if isinstance(value, list) else [value]
    if not values:
        where.fail("expected a batch size or a non-empty list of them")
    out = tuple(as_int(v, where / i if isinstance(value, list) else where, minimum=1)
                for i, v in enumerate(values))
    if len(set(out)) < len(out):
        where.fail(f"a batch size is listed twice: {list(out)}")
    return out


def _tables(value: Any, where: Where, base: Path) -> dict[str, tuple[str, ...]]:
    if value is None:
        return {}
    value = as_mapping(value, where)
    if not value:
        where.fail("expected label: [table directories] entries (or leave the key out)")
    out = {}
    for label, dirs in value.items():
        w = where / str(label)
        dirs = [] if dirs is None else dirs
        dirs = dirs if isinstance(dirs, list) else [dirs]
        paths = []
        for j, d in enumerate(dirs):
            p = _path(as_str(d, w / j), base)
            if not p.is_dir():
                (w / j).fail(f"no such directory: {p}")
            paths.append(str(p))
        out[str(label)] = tuple(paths)
    return out


def _objective(value: Any, where: Where) -> str:
    from ..inputs.settings import parse_objective_arg
    text = as_str(value, where) if not isinstance(value, dict) else value
    try:
        parse_objective_arg(text)
    except SpecError as e:
        where.fail(e.message)
    return text if isinstance(text, str) else ",".join(f"{k}:{v}" for k, v in text.items())


def _search(value: Any, where: Where) -> dict[str, Any]:
    value = as_mapping(value, where)
    check_keys(value, where, SEARCH_KEYS)
    out: dict[str, Any] = {}
    for k, v in value.items():
        w = where / k
        if k == "algorithm":
            v = as_str(v, w)
            if v not in ALGORITHMS:
                w.fail(f"unknown algorithm {v!r}; expected one of: {', '.join(ALGORITHMS)}")
            out[k] = v
        elif k == "time_limit":
            out[k] = as_number(v, w, minimum=0)
        elif k == "seed":
            out[k] = as_int(v, w, minimum=0)
        else:
            out[k] = as_int(v, w, minimum=1)
    return out
