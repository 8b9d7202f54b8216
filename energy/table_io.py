"""Read table files: this package's YAML and CSV, and Accelergy's table-based plug-in CSV.

YAML: metadata (``accuracy`` required, ``source``, ``technology``, ``voltage``,
``interpolate``, ``extrapolate``, ``classes``) and ``entries``, one mapping per row with
``class``, ``action`` (``read``, ``read|write``, ``*``; omitted for an area-only row),
``energy`` (pJ), ``area`` (um^2), ``source`` and attribute columns. CSV: the same columns, the
metadata in ``# key: value`` lines on top. Accelergy (accelergy-table-based-plug-ins): a
``*.table.yaml`` identifier (``name, technology, accuracy, path_to_data_dir``) whose data
directory holds one CSV per class (``technology,width,depth,...,action,...,energy,area``);
columns a component does not give (``latency``, ``data_delta``) are ignored as Accelergy does,
and of several matching argument rows the largest energy (the random access) is used.
Column names ``a|b`` are aliases; the action ``*`` matches every action.

A row may price several actions at once (one row per grid point of a generated table):
``read_energy``, ``write_energy``, ... (pJ) each stand for a row of that action, and
``leak_power`` (uW of static power per instance) for a ``leak`` row, which the estimator turns
into energy per cycle at the component's clock (``global_cycle_seconds``).
"""
from __future__ import annotations

import csv
import io
import os
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .components import (ACTION_ALIASES, ComponentClass, class_index, class_key,
                         parse_technology)
from .errors import EstimationError, TableError, parse_number
from .table_estimator import Row, TableEstimator

_META = {"name", "source", "description", "notes", "derivation", "technology", "voltage",
         "accuracy", "interpolate", "extrapolate", "extrapolation_source", "missing_attributes",
         "technology_scaling", "classes", "entries", "path_to_data_dir"}
_ENERGY = ("energy", "energy(pj)", "dynamic energy(pj)", "energy_pj")
_AREA = ("area", "area(um^2)", "area(um2)", "area_um2")
_POWER = ("leak_power", "leak_power(uw)")
#: ``<action>_energy`` columns: one row per action priced in them
_PER_ACTION = ("read", "write", "update", "compute", "transfer", "leak", "idle")


def _read_text(path: Path) -> str:
    """A table file's text; a binary or unreadable file is a TableError naming it."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise TableError(f"{path}: not a text file (byte {e.start} is not UTF-8): a table is "
                         f"YAML or CSV; remove the file from the table directory") from None
    except OSError as e:
        raise TableError(f"{path}: cannot read: {e.strerror or e}") from None


def load_path(path: str | os.PathLike) -> tuple[list[TableEstimator], list[str]]:
    """Tables in a file or (recursively) a directory, and the files skipped (with why)."""
    p = Path(path)
    if not p.exists():
        raise TableError(f"{p}: no such table file or directory")
    if p.is_file():
        t = load_file(p)
        return ([t], []) if t is not None else ([], [f"{p}: not a table (no 'entries')"])
    tables, skipped, claimed = [], [], set()
    files = sorted(f for f in p.rglob("*") if f.is_file())
    for f in files:
        if f.name.endswith(".table.yaml"):
            t, data_dir = load_accelergy_set(f)
            tables.append(t)
            claimed.add(data_dir)
    for f in files:
        if f.name.endswith(".table.yaml") or any(d in f.parents for d in claimed):
            continue
        if f.suffix.lower() in (".yaml", ".yml", ".csv"):
            t = load_file(f)
            if t is None:
                skipped.append(f"{f}: not a table (no 'entries')")
            else:
                tables.append(t)
    return tables, skipped


_LOADED: dict[tuple, TableEstimator | None] = {}


def load_file(path: Path) -> TableEstimator | None:
    """A YAML or CSV table; ``None`` for a YAML file that is not a table (no ``entries``).

    A file read before (same path, size and modification time) is not parsed again: its rows
    are shared (they are immutable), the estimator around them is new."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _LOADED:
        _LOADED[key] = _load_file(path)
    table = _LOADED[key]
    return None if table is None else replace(table, _cache={}, _by_class=None, _nodes={},
                                              index=None)


def _load_file(path: Path) -> TableEstimator | None:
    text = _read_text(path)
    if path.suffix.lower() == ".csv":
        meta_lines = [ln.lstrip("#").strip() for ln in text.splitlines() if ln.startswith("#")]
        meta = _yaml("\n".join(meta_lines), path) or {}
        body = "\n".join(ln for ln in text.splitlines() if not ln.startswith("#"))
        return _table(meta, _csv_entries(body, path, default_class=path.stem), path)
    data = _yaml(text, path)
    if not isinstance(data, dict) or "entries" not in data:
        return None
    entries = data["entries"]
    if not isinstance(entries, list):
        raise TableError(f"{path}: 'entries' must be a list of rows")
    return _table(data, [(e, f"{path}: entries[{i}]") for i, e in enumerate(entries)], path)


def load_accelergy_set(identifier: Path) -> tuple[TableEstimator, Path]:
    """An Accelergy table set: its identifier YAML and the CSVs (one per class) it points to."""
    meta = _yaml(_read_text(identifier), identifier)
    if not isinstance(meta, dict):
        raise TableError(f"{identifier}: expected a mapping with name, technology, accuracy, "
                         f"path_to_data_dir")
    for key in ("name", "technology", "accuracy", "path_to_data_dir"):
        if key not in meta:
            raise TableError(f"{identifier}: Accelergy table identifier needs {key!r}")
    data_dir = (identifier.parent / str(meta["path_to_data_dir"])).resolve()
    if not data_dir.is_dir():
        raise TableError(f"{identifier}: path_to_data_dir {data_dir} is not a directory")
    entries = []
    for f in sorted(data_dir.rglob("*.csv")):
        entries += _csv_entries(_read_text(f), f, default_class=f.stem)
    meta = {**meta, "missing_attributes": meta.get("missing_attributes", "ignore")}
    return _table(meta, entries, identifier), data_dir


def _yaml(text: str, path: Path) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise TableError(f"{path}: not valid YAML: {e}") from None


def _csv_entries(text: str, path: Path, default_class: str) -> list[tuple[dict, str]]:
    reader = csv.reader(io.StringIO(text))
    rows = [r for r in reader if any(c.strip() for c in r)]
    if not rows:
        return []
    header = [h.strip() for h in rows[0]]
    out = []
    for n, cells in enumerate(rows[1:], start=2):
        if len(cells) != len(header):
            raise TableError(f"{path}: row {n}: {len(cells)} cells for {len(header)} columns")
        entry = {h: c.strip() for h, c in zip(header, cells) if c.strip() != ""}
        entry.setdefault("class", default_class)
        out.append((entry, f"{path}: row {n}"))
    return out


def _table(meta: dict, entries: list[tuple[dict, str]], path: Path) -> TableEstimator:
    unknown = set(meta) - _META
    if unknown:
        raise TableError(f"{path}: unknown table key(s) {', '.join(sorted(map(str, unknown)))}"
                         f" (allowed: {', '.join(sorted(_META))})")
    if "accuracy" not in meta:
        raise TableError(f"{path}: state 'accuracy' (0-100): how far the table is trusted, "
                         f"which decides between estimators")
    accuracy = parse_number(meta["accuracy"], f"{path}: accuracy")
    if accuracy > 100:
        raise TableError(f"{path}: accuracy {accuracy} is above 100")
    classes = tuple(_declared_class(c, path) for c in meta.get("classes") or ())
    try:
        index = class_index(classes)
        technology = parse_technology(meta.get("technology"), str(path))
    except EstimationError as e:
        raise TableError(str(e)) from None
    interpolate = {str(k): str(v) for k, v in (meta.get("interpolate") or {}).items()}
    for axis, mode in interpolate.items():
        if mode not in ("log", "linear"):
            raise TableError(f"{path}: interpolate.{axis}: {mode!r} is neither log nor linear")
    extrapolate = {str(k): _exponents(v, f"{path}: extrapolate.{k}")
                   for k, v in (meta.get("extrapolate") or {}).items()}
    missing = str(meta.get("missing_attributes", "mismatch"))
    if missing not in ("mismatch", "ignore"):
        raise TableError(f"{path}: missing_attributes must be mismatch or ignore")
    rows = [r for e, where in entries for r in _rows(e, where, index)]
    return TableEstimator(
        name=str(meta.get("name") or path.name.split(".")[0]), path=str(path),
        accuracy=accuracy, rows=rows, citation=str(meta.get("source") or ""),
        technology=technology,
        voltage=None if meta.get("voltage") is None
        else parse_number(meta["voltage"], f"{path}: voltage", nonnegative=False),
        interpolate=interpolate, extrapolate=extrapolate, missing_attributes=missing,
        technology_scaling=bool(meta.get("technology_scaling", True)), classes=classes)


def _exponents(value: Any, where: str) -> float | dict[str, float]:
    """An exponent, or one per quantity: ``{energy: 0.5, leak: 1.0, area: 1.0}``."""
    if not isinstance(value, dict):
        return parse_number(value, where, nonnegative=False)
    unknown = set(map(str, value)) - {"energy", "leak", "area"}
    if unknown:
        raise TableError(f"{where}: {', '.join(sorted(unknown))}: expected exponents for "
                         f"energy, leak and/or area")
    return {str(q): parse_number(v, f"{where}.{q}", nonnegative=False) for q, v in value.items()}


def _declared_class(spec: Any, path: Path) -> ComponentClass:
    if not isinstance(spec, dict) or "name" not in spec or "kind" not in spec:
        raise TableError(f"{path}: classes: each needs 'name' and 'kind' (storage, compute, "
                         f"network), got {spec!r}")
    if spec["kind"] not in ("storage", "compute", "network"):
        raise TableError(f"{path}: class {spec['name']}: kind {spec['kind']!r} is not "
                         f"storage, compute or network")
    return ComponentClass(str(spec["name"]), str(spec["kind"]),
                          tuple(str(a) for a in spec.get("aliases") or ()),
                          needs_technology=bool(spec.get("needs_technology", True)),
                          declared_in=str(path))


def _rows(entry: Any, where: str, index: dict[str, ComponentClass]) -> list[Row]:
    """The rows of one entry: itself, or one per ``<action>_energy`` / ``leak_power`` column
    (and an area-only row) when it prices several actions."""
    if not isinstance(entry, dict):
        raise TableError(f"{where}: expected a mapping, got {entry!r}")
    e = {str(k).strip().lower(): v for k, v in entry.items()}
    per_action = {k: v for k, v in e.items()
                  if k.endswith("_energy") and k[: -len("_energy")] in _PER_ACTION}
    power = [k for k in _POWER if k in e]
    if not per_action and not (power and "action" not in e):
        return [_row(e, where, index)]
    if "action" in e or any(k in e for k in _ENERGY):
        raise TableError(f"{where}: give either 'action' with 'energy', or per-action columns "
                         f"({', '.join(sorted(per_action) or power)}), not both")
    common = {k: v for k, v in e.items() if k not in per_action and k not in _POWER
              and k not in _AREA}
    rows = [_row({**common, "action": k[: -len("_energy")], "energy": v}, where, index)
            for k, v in per_action.items()]
    if power:
        rows.append(_row({**common, "action": "leak", power[0]: e[power[0]]}, where, index))
    area = [k for k in _AREA if k in e]
    if area:
        rows.append(_row({**common, area[0]: e[area[0]]}, where, index))
    return rows


def _row(e: dict, where: str, index: dict[str, ComponentClass]) -> Row:
    e = dict(e)
    if "class" not in e:
        raise TableError(f"{where}: row has no 'class'")
    raw = e.pop("class")
    cls = index.get(class_key(raw))
    cls_name = cls.name if cls else str(raw)
    energy = _pop_number(e, _ENERGY, where)
    area = _pop_number(e, _AREA, where)
    power = _pop_number(e, _POWER, where)
    citation = e.pop("source", None)
    action = e.pop("action", None)
    if energy is None and area is None and power is None:
        raise TableError(f"{where}: row gives neither energy nor area")
    if energy is not None and action in (None, ""):
        raise TableError(f"{where}: an energy needs an action")
    if power is not None and (energy is not None or str(action).strip() != "leak"):
        raise TableError(f"{where}: leak_power (uW) prices the 'leak' action alone; give it "
                         f"with action: leak and no energy")
    actions: frozenset[str] | None = frozenset()
    if action not in (None, ""):
        names = [a.strip() for a in str(action).split("|") if a.strip()]
        actions = None if "*" in names else frozenset(ACTION_ALIASES.get(a, a) for a in names)
    columns = []
    for k, v in e.items():
        names = _column_names(k)
        if "technology" in names and not _known_technology(v):
            try:
                parse_technology(v, where)
            except EstimationError as err:
                raise TableError(str(err)) from None
        columns.append((names, v))
    return Row(cls_name, actions, tuple(columns), energy, area,
               None if citation is None else str(citation), where, power)


@lru_cache(maxsize=None)
def _column_names(key: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in key.split("|"))


def _known_technology(value: Any) -> bool:
    try:
        return _valid_technology(value)
    except TypeError:                     # unhashable: not a node; parse_technology says why
        return False


@lru_cache(maxsize=1024)
def _valid_technology(value: Any) -> bool:
    try:
        parse_technology(value, "")
    except EstimationError:
        return False
    return True


def _pop_number(e: dict, keys: tuple[str, ...], where: str) -> float | None:
    found = [k for k in keys if k in e]
    if len(found) > 1:
        raise TableError(f"{where}: both {found[0]!r} and {found[1]!r} given")
    return parse_number(e.pop(found[0]), f"{where}: {found[0]}") if found else None


