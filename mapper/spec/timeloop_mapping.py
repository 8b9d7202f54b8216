"""Timeloop's mapping YAML (``mapping: [{target, type, factors, permutation, split, keep,
bypass}]``) -> :class:`Mapping`.

Factors are ``"C1 M8 R1"``, a list ``[C=1, M=8]`` or a mapping ``{C: 1, M: 8}``; a dimension
left out has factor 1. Permutations are innermost first; missing dimensions are appended in
the workload's order. A level without a datatype directive keeps every data space.
"""
from __future__ import annotations

import re
from typing import Any

from .arch import Arch
from .errors import Where, as_int, as_list, as_mapping, as_str
from .mapping import LevelMapping, Mapping
from .workload import Workload

_FACTOR = re.compile(r"^\s*([A-Za-z_][A-Za-z_0-9]*?)\s*=?\s*(-?\d+)\s*$")
_TYPES = {"temporal", "spatial", "datatype", "bypass", "dataspace"}


def parse_factors(value: Any, where: Where, dims: tuple[str, ...]) -> dict[str, int]:
    """``"C1 M8"`` / ``["C=1", "M=8"]`` / ``{C: 1}`` -> ``{"C": 1, "M": 8}``."""
    items: list[tuple[str, Any, Where]] = []
    if isinstance(value, dict):
        items = [(str(k), v, where / k) for k, v in value.items()]
    elif isinstance(value, (str, list)):
        tokens = value.replace(",", " ").split() if isinstance(value, str) else value
        for i, tok in enumerate(tokens):
            tw = where / i if isinstance(value, list) else where
            m = _FACTOR.match(str(tok))
            if not m:
                tw.fail(f"malformed factor {tok!r}: expected a dimension and a number, "
                        f"e.g. 'C4' or 'C=4'")
            items.append((m[1], m[2], tw))
    else:
        where.fail(f"expected factors as 'C1 M8 ...', a list ['C=1', ...] or a mapping, "
                   f"got {value!r}")
    out: dict[str, int] = {}
    for d, v, w in items:
        if d not in dims:
            w.fail(f"unknown dimension {d!r} in factors; dimensions are {', '.join(dims)}")
        if d in out:
            w.fail(f"dimension {d!r} is given twice in factors")
        out[d] = as_int(v, w, minimum=1)
    return out


def parse_permutation(value: Any, where: Where, dims: tuple[str, ...]) -> tuple[str, ...]:
    """A permutation (innermost first) completed with the missing dimensions."""
    if isinstance(value, str):
        text = value.strip()
        if all(len(d) == 1 for d in dims):      # "RSP", "R S P", "RS P", "R,S,P"
            order = [c for c in text if c not in " ,\t"]
        else:
            order = text.replace(",", " ").split()
    elif isinstance(value, list):
        order = [as_str(v, where / i) for i, v in enumerate(value)]
    else:
        where.fail(f"expected a permutation such as 'MCRSNPQ' or a list of dimensions, "
                   f"got {value!r}")
    for d in order:
        if d not in dims:
            where.fail(f"unknown dimension {d!r} in permutation; dimensions are "
                       f"{', '.join(dims)}")
    if len(set(order)) != len(order):
        where.fail(f"a dimension appears twice in permutation {value!r}")
    return tuple(order) + tuple(d for d in dims if d not in order)


def read_mapping(value: Any, where: Where, arch: Arch, workload: Workload) -> Mapping:
    """Read Timeloop's mapping list; check targets, factor products and data-space names."""
    dims = workload.dims
    if isinstance(value, dict) and "mapping" in value:
        value, where = value["mapping"], where / "mapping"
    directives = as_list(value, where)
    K = len(arch.storage)
    temporal: list[dict | None] = [None] * K
    spatial: list[tuple[dict, tuple, int] | None] = [None] * K
    # a dummy level keeps nothing unless told (timeloopfe adds its bypass directive)
    keep: list[set[str]] = [set() if arch.storage[k].is_dummy else set(workload.ds_names)
                            for k in range(K)]
    seen: set[tuple[str, str]] = set()
    orders: list[tuple[str, ...]] = [dims] * K
    for i, directive in enumerate(directives):
        dw = where / i
        directive = as_mapping(directive, dw)
        target = arch.level_named(as_str(directive.get("target"), dw / "target"))
        if target == arch.compute.name:
            (dw / "target").fail(f"{target!r} is the compute level; mapping directives target "
                                 f"storage levels: {', '.join(reversed(arch.level_names))}")
        if target not in arch.level_names:
            (dw / "target").fail(f"no storage level named {target!r}; levels are "
                                 f"{', '.join(reversed(arch.level_names))}")
        k = arch.level_index(target)
        kind = as_str(directive.get("type"), dw / "type")
        if kind not in _TYPES:
            (dw / "type").fail(f"unknown directive type {kind!r}; expected one of "
                               f"temporal, spatial, datatype (or bypass, dataspace)")
        kind = "datatype" if kind in ("bypass", "dataspace") else kind
        if (target, kind) in seen:
            dw.fail(f"a second {kind} directive for {target!r}")
        seen.add((target, kind))
        if kind == "datatype":
            allowed = {"target", "type", "keep", "bypass"}
        else:
            allowed = {"target", "type", "factors", "permutation"} | (
                {"split"} if kind == "spatial" else set())
        for key in directive:
            if key not in allowed:
                (dw / key).ignore(f"not a key of a {kind} directive")
        if kind == "datatype":
            kept = set(keep[k])
            for key, add in (("keep", True), ("bypass", False)):
                names = directive.get(key) or []
                for j, n in enumerate(as_list(names, dw / key)):
                    n = as_str(n, dw / key / j)
                    if n not in workload.ds_names:
                        (dw / key / j).fail(f"unknown data space {n!r}; data spaces are "
                                            f"{', '.join(workload.ds_names)}")
                    (kept.add if add else kept.discard)(n)
            both = set(directive.get("keep") or []) & set(directive.get("bypass") or [])
            if both:
                dw.fail(f"data space(s) {sorted(both)} are both kept and bypassed")
            keep[k] = kept
            continue
        factors = parse_factors(directive.get("factors", {}) or {}, dw / "factors", dims)
        order = parse_permutation(directive.get("permutation", ""), dw / "permutation", dims) \
            if directive.get("permutation") else dims
        if kind == "temporal":
            temporal[k] = factors
            orders[k] = order
        else:
            split = as_int(directive.get("split", len(dims)), dw / "split", minimum=0)
            spatial[k] = (factors, order, split)
    levels = []
    for k in range(K):
        t = temporal[k] or {}
        s_f, s_o, s_split = spatial[k] or ({}, dims, len(dims))
        levels.append(LevelMapping(
            temporal=tuple(t.get(d, 1) for d in dims), temporal_order=orders[k],
            spatial=tuple(s_f.get(d, 1) for d in dims), spatial_order=s_o, split=s_split,
            keep=frozenset(keep[k])))
    mapping = Mapping(dims, tuple(levels))
    for d in dims:
        product = mapping.factor_product(d)
        if product != workload.bounds[d]:
            where.fail(f"the factors of dimension {d} multiply to {product} over all levels, "
                       f"but its bound is {workload.bounds[d]}")
    return mapping
