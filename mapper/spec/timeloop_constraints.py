"""Timeloop's constraint forms -> :class:`Constraints`.

Read from every place Timeloop and timeloopfe put them: ``architecture_constraints`` and
``mapspace_constraints`` (``{targets: [...]}`` or a bare list), the older
``mapspace: {constraints: [...]}``, v0.4's top-level ``constraints: {targets: [...]}``, and
v0.4's inline ``constraints: {temporal, spatial, dataspace, ...}`` blocks of arch nodes (which
the arch reader leaves in ``Arch.constraints`` as ``(level name, block, where)``).

Forms accepted, as Timeloop v3.0.3 / timeloopfe read them:
factors ``"N=1,C=1"`` / ``"C1 M4"`` / ``[R=3, C<=4, M>=2]`` (``X=0`` means the full bound; an
``=`` above the bound is read as the bound, Timeloop's rule); permutations ``"NCPRSQM"`` /
``[N, C, P]`` innermost first, optionally ``inner _ outer`` to pin the outermost loops too (our
reading of the v0.4 ``_``; v3.0.3 itself only knows the innermost prefix); ``split``;
``keep``/``bypass`` (types datatype/bypass/bypassing/dataspace); ``utilization``/``parallelism``
``min``. Keys Timeloop accepts but we do not model (``no_reuse``, ``no_multicast_no_reduction``,
``max_overbooked_proportion`` ...) are recorded through ``Where.ignore``. A dummy level
(``is_dummy``: it only carries a fan-out) keeps nothing and has unit temporal factors, as
timeloopfe makes it, unless an input says otherwise.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from .arch import Arch
from .constraints import (Constraints, DataSpaceRule, FactorBound, LevelConstraints, LoopOrder,
                          NestConstraints)
from .constraint_macros import expand as expand_macros
from .errors import Where, as_int, as_list, as_mapping, as_number, as_str, check_keys
from .keys import keys_like
from .loader import Inputs
from .workload import Workload

_TYPES = {"temporal": "temporal", "spatial": "spatial", "datatype": "dataspace",
          "bypass": "dataspace", "bypassing": "dataspace", "dataspace": "dataspace",
          "utilization": "utilization", "parallelism": "utilization",
          "max_overbooked_proportion": "overbooking", "skew": "skew"}
_NOT_MODELLED = {
    "no_reuse": "reuse suppression is not modelled",
    "no_temporal_reuse": "reuse suppression is not modelled",
    "no_link_transfer": "link transfers are not constrained by our mapspace",
    "no_multicast_no_reduction": "multicast suppression is not modelled",
    "rmw_first_update": "read-modify-write options are not modelled",
    "rmw_on_first_writeback": "read-modify-write options are not modelled",
    "remainders": "imperfect factorization is not modelled",
    "no_coalesce": "coalescing is not modelled",
    "passthrough": "pass-through is not modelled",
    "proportion": "overbooking is not modelled",
}
_KEYS = {
    "temporal": {"factors", "permutation", "default_max_factor", "default_min_factor"},
    "spatial": {"factors", "permutation", "split", "default_max_factor", "default_min_factor"},
    "dataspace": {"keep", "bypass"},
    "utilization": {"min"},
    "overbooking": set(), "skew": set(),
}
_FACTOR = re.compile(r"^([A-Za-z_][A-Za-z_0-9]*?)(<=|>=|=)?(\d+)$")


def read_constraints(inputs: Inputs, arch: Arch, workload: Workload) -> Constraints:
    """Constraints from all top-level keys Timeloop uses, plus the arch's inline blocks."""
    blocks: list[tuple[Any, Where]] = []
    for key in keys_like(inputs, "constraints", ("architecture_constraints",
                                                 "mapspace_constraints", "constraints")):
        found = inputs.get(key)
        if found is not None:
            blocks.append(found)
    found = inputs.get("mapspace")
    if found is not None and isinstance(found[0], dict) and "constraints" in found[0]:
        value, where = found
        key = "constraints"
        if isinstance(value[key], str):  # libconfig-era `constraints: name` + `constraints_name`
            key = f"constraints_{value[key]}"
            if key not in value:
                (where / "constraints").fail(f"names the constraint list {key!r}, which is "
                                             f"not given")
        blocks.append((value[key], where / key))
    return build_constraints(blocks, arch, workload)


def build_constraints(blocks: Iterable[tuple[Any, Where]], arch: Arch, workload: Workload,
                      inline: Iterable[tuple] | None = None) -> Constraints:
    """Constraints from target lists (``(value, where)`` each) and inline v0.4 blocks
    (default: ``arch.constraints``)."""
    acc = _Accumulator(arch, workload)
    for value, where in blocks:
        if value is None:
            continue
        if isinstance(value, dict):
            key = "targets" if "targets" in value else "constraints" if "constraints" in value \
                else None
            for k in value:
                if k not in ("targets", "constraints", "version"):
                    (where / k).ignore("not a constraints key")
            if key is None:
                continue
            value, where = value[key], where / key
        for i, item in enumerate(as_list(value, where)):
            acc.target(item, where / i)
    for entry in (arch.constraints if inline is None else inline):
        acc.inline(*entry)
    return acc.result()


@dataclass
class _Nest:
    factors: list[FactorBound] = field(default_factory=list)
    order: LoopOrder | None = None
    split: int | None = None
    split_where: Where = field(default_factory=Where)


@dataclass
class _Level:
    temporal: _Nest = field(default_factory=_Nest)
    spatial: _Nest = field(default_factory=_Nest)
    dataspaces: dict[str, DataSpaceRule] = field(default_factory=dict)


class _Accumulator:
    """Collects constraints per level; a second, different value for the same thing fails."""

    def __init__(self, arch: Arch, workload: Workload):
        self.arch, self.workload = arch, workload
        self.levels = {name: _Level() for name in arch.level_names}
        self.min_utilization: tuple[float, Where] | None = None

    # -- entry points -------------------------------------------------------------------------
    def target(self, item: Any, where: Where, level: str | None = None) -> None:
        item = as_mapping(item, where)
        if level is None:
            level = self._level(item, where)
        if isinstance(item.get("constraints"), list):   # a target holding a list of constraints
            for j, sub in enumerate(item["constraints"]):
                self.target(sub, where / "constraints" / j, level)
            return
        kind_w = where / "type"
        kind = _TYPES.get(as_str(item.get("type"), kind_w))
        if kind is None:
            kind_w.fail(f"unknown constraint type {item['type']!r}; expected one of "
                        f"{', '.join(_TYPES)}")
        body = dict(item)
        if isinstance(item.get("attributes"), dict):
            body.update(item["attributes"])
        self._body(kind, level, body, where)

    def inline(self, level: str, block: Any, where: Where | str | None) -> None:
        """A v0.4 arch node's ``constraints: {temporal, spatial, dataspace, ...}`` block (or one
        v0.3-style target dict already attached to the level)."""
        where = where if isinstance(where, Where) else Where(None, where or "constraints")
        if level not in self.levels:
            where.fail(f"constraints on {level!r}, which is not a storage level; levels are "
                       f"{', '.join(reversed(self.arch.level_names))}")
        if isinstance(block, dict) and "type" in block:   # a v0.3-style target for this level
            self.target(block, where, level)
            return
        for key, body in as_mapping(block, where).items():
            kind = _TYPES.get(str(key))
            if kind is None or key in ("datatype", "bypass", "bypassing", "parallelism"):
                (where / key).fail(f"unknown constraint group {key!r}; expected temporal, "
                                   f"spatial, dataspace, utilization or max_overbooked_proportion")
            if body is None:
                continue
            self._body(kind, level, dict(as_mapping(body, where / key)), where / key, v4=True)

    # -- parsing ------------------------------------------------------------------------------
    def _level(self, item: dict, where: Where) -> str:
        key = "target" if "target" in item else "name" if "name" in item else None
        if key is None:
            where.fail("missing required key 'target' (the storage level constrained)")
        value, tw = item[key], where / key
        names = self.arch.level_names
        if isinstance(value, int) and not isinstance(value, bool):
            if not 0 <= value < len(names):
                tw.fail(f"storage level {value} does not exist; levels are 0 (innermost, "
                        f"{names[0]}) to {len(names) - 1} ({names[-1]})")
            return names[value]
        name = self.arch.level_named(as_str(value, tw))
        if name not in names:
            hint = " (that is the compute level)" if name == self.arch.compute.name else ""
            tw.fail(f"no storage level named {name!r}{hint}; levels are "
                    f"{', '.join(reversed(names))}")
        return name

    def _body(self, kind: str, level: str, body: dict, where: Where, v4: bool = False) -> None:
        for key in list(body):
            if key in _NOT_MODELLED:
                if body[key] not in (None, [], ""):
                    (where / key).ignore(_NOT_MODELLED[key])
                del body[key]
        if kind == "skew":
            where.ignore("skews are not modelled")
            return
        for key in ("type", "target", "name", "attributes", "constraints"):
            body.pop(key, None)
        body = expand_macros(kind, body, where, self.workload)
        check_keys(body, where, sorted(_KEYS[kind]))
        if kind == "overbooking":
            return
        if kind == "dataspace":
            self._dataspace(level, body, where)
        elif kind == "utilization":
            self._utilization(body, where)
        else:
            self._nest(kind, level, body, where, v4)

    def _nest(self, kind: str, level: str, body: dict, where: Where, v4: bool = False) -> None:
        k = self.arch.level_index(level)
        if kind == "spatial" and self.arch.fanout(k) == (1, 1):
            where.fail(f"a spatial constraint on {level!r}, which has no spatial fan-out "
                       f"(its children have as many instances as it has)")
        nest: _Nest = getattr(self.levels[level], kind)
        bounds = parse_factor_bounds(body.get("factors"), where / "factors", self.workload) \
            if body.get("factors") not in (None, "", []) else []
        named = {b.dim for b in bounds}
        given = list(bounds)                     # the block's own factors, not the defaults
        for key, lo_hi in (("default_max_factor", "hi"), ("default_min_factor", "lo")):
            if body.get(key) is not None:
                v = as_int(body[key], where / key, minimum=1)
                for d in self.workload.dims:
                    if d not in named:
                        bound = self.workload.bounds[d]
                        lo, hi = (1, v) if lo_hi == "hi" else (v, bound)
                        bounds.append(FactorBound(d, lo, hi, f"{d}{'<=' if lo_hi == 'hi' else '>='}"
                                                  f"{v} ({key})", where / key))
        nest.factors += [b for b in bounds
                         if (b.dim, b.lo, b.hi) not in {(o.dim, o.lo, o.hi) for o in nest.factors}]
        order = None
        if body.get("permutation") not in (None, "", []):
            order = parse_order(body["permutation"], where / "permutation", self.workload.dims)
        if v4 and (order is not None or body.get("split") is not None):
            order = self._timeloopfe_order(order, given, where)
        if order is not None:
            if nest.order is not None and (nest.order.inner, nest.order.outer) != \
                    (order.inner, order.outer):
                (where / "permutation").fail(
                    f"{kind} permutation {order.text!r} of {level!r} contradicts "
                    f"{nest.order.text!r} given at {_at(nest.order.where)}")
            nest.order = nest.order or order
        if kind == "spatial" and body.get("split") is not None:
            split = as_int(body["split"], where / "split", minimum=0)
            if nest.split is not None and nest.split != split:
                (where / "split").fail(f"split {split} of {level!r} contradicts split "
                                       f"{nest.split} given at {_at(nest.split_where)}")
            nest.split, nest.split_where = split, where / "split"

    def _timeloopfe_order(self, order: LoopOrder | None, bounds: list[FactorBound],
                          where: Where) -> LoopOrder | None:
        """A v0.4 node's permutation as timeloopfe hands it to Timeloop: each dimension this
        block fixes to 1, then each dimension of bound 1 in the problem, not in the
        permutation, is inserted at its front (so innermost). This moves the positions that
        ``split`` counts: ``permutation: [C, M], split: 1`` with ``R=1, S=1, P=1, Q=1`` and
        N = 1 becomes ``N Q P S R C M`` (simple_weight_stationary), putting C and M on Y."""
        inner, outer = (order.inner, order.outer) if order is not None else ((), ())
        listed = set(inner) | set(outer)
        front: list[str] = []
        for d in [b.dim for b in bounds if b.lo == b.hi == 1] + \
                [d for d in self.workload.dims if self.workload.bounds[d] == 1]:
            if d not in listed:
                listed.add(d)
                front.insert(0, d)
        if not front:
            return order
        inner = tuple(front) + inner
        tokens = (*inner, *(("_", *outer) if outer else ()))
        text = "".join(tokens) if all(len(t) == 1 for t in tokens) else " ".join(tokens)
        return LoopOrder(inner, outer, text,
                         order.where if order is not None else where / "permutation")

    def _dataspace(self, level: str, body: dict, where: Where) -> None:
        rules = self.levels[level].dataspaces
        for key, keep in (("keep", True), ("bypass", False)):
            names = body.get(key)
            if names is None:
                continue
            names = [names] if isinstance(names, str) else as_list(names, where / key)
            for j, n in enumerate(names):
                nw = where / key / j
                n = as_str(n, nw)
                if n not in self.workload.ds_names:
                    nw.fail(f"unknown data space {n!r}; data spaces are "
                            f"{', '.join(self.workload.ds_names)}")
                old = rules.get(n)
                if old is not None and old.keep != keep:
                    nw.fail(f"{level!r} must {key} {n}, but {_at(old.where)} says it must "
                            f"{'keep' if old.keep else 'bypass'} it")
                rules.setdefault(n, DataSpaceRule(n, keep, nw))

    def _utilization(self, body: dict, where: Where) -> None:
        if "min" not in body:
            where.fail("missing required key 'min' (the least fraction of MACs to use)")
        v = as_number(body["min"], where / "min", minimum=0.0)
        if v > 1:
            (where / "min").fail(f"expected a fraction between 0 and 1, got {v:g}")
        if self.min_utilization is not None and self.min_utilization[0] != v:
            (where / "min").fail(f"utilization min {v:g} contradicts "
                                 f"{self.min_utilization[0]:g} given at "
                                 f"{_at(self.min_utilization[1])}")
        self.min_utilization = (v, where / "min")

    # -- result -------------------------------------------------------------------------------
    def dummy_defaults(self) -> None:
        """timeloopfe's rule for a dummy level (it only carries a fan-out): it keeps nothing and
        its temporal factors are 1. Fills only what no input constrains."""
        for level in self.arch.storage:
            if not level.is_dummy:
                continue
            acc, where = self.levels[level.name], Where(None, f"dummy level {level.name}")
            for ds in self.workload.ds_names:
                acc.dataspaces.setdefault(ds, DataSpaceRule(ds, False, where))
            bounded = {b.dim for b in acc.temporal.factors}
            acc.temporal.factors += [FactorBound(d, 1, 1, f"{d}=1 (dummy level)", where)
                                     for d in self.workload.dims if d not in bounded]

    def result(self) -> Constraints:
        self.dummy_defaults()
        levels = []
        for name in self.arch.level_names:
            acc = self.levels[name]
            nests = []
            for kind in ("temporal", "spatial"):
                nest: _Nest = getattr(acc, kind)
                for d in self.workload.dims:
                    _check_satisfiable(nest.factors, d, self.workload.bounds[d], name, kind)
                nests.append(NestConstraints(tuple(nest.factors), nest.order, nest.split,
                                             nest.split_where))
            levels.append(LevelConstraints(name, nests[0], nests[1],
                                           tuple(acc.dataspaces.values())))
        mu, mw = self.min_utilization or (None, Where())
        return Constraints(tuple(levels), mu, mw)


def _at(where: Where) -> str:
    return ": ".join(p for p in (where.file, where.path) if p) or "another constraint"


def _check_satisfiable(bounds: list[FactorBound], d: str, bound: int, level: str,
                       kind: str) -> None:
    mine = [b for b in bounds if b.dim == d]
    lo = max([1] + [b.lo for b in mine])
    hi = min([bound] + [b.hi for b in mine])
    if lo > hi or not any(bound % f == 0 for f in range(lo, hi + 1)):
        worst = max(mine, key=lambda b: b.lo) if mine else None
        if worst is not None:
            texts = ", ".join(f"{b.text} ({_at(b.where)})" for b in mine)
            worst.where.fail(f"no {kind} factor of {d} at {level!r} satisfies {texts} and "
                             f"divides the bound {d}={bound}")


def parse_factor_bounds(value: Any, where: Where, workload: Workload) -> list[FactorBound]:
    """``"N=1,C=1"`` / ``"C1 M4"`` / ``[R=3, C<=4]`` / ``{C: 4}`` -> bounds (``X=0``: the full
    bound; ``=`` above the bound reads as the bound, as in Timeloop)."""
    if isinstance(value, dict):
        tokens = [(f"{k}={v}", where / k) for k, v in value.items()]
    elif isinstance(value, str):
        text = re.sub(r"\s*(<=|>=|=)\s*", r"\1", value.strip())
        tokens = [(t, where) for t in re.split(r"[\s,]+", text) if t]
    elif isinstance(value, list):
        tokens = []
        for i, t in enumerate(value):
            text = re.sub(r"\s*(<=|>=|=)\s*", r"\1", str(t).strip())
            tokens += [(s, where / i) for s in re.split(r"[\s,]+", text) if s]
    else:
        where.fail(f"expected factors as 'C=1,M<=4', 'C1 M4' or a list ['C=1', ...], "
                   f"got {value!r}")
    out: list[FactorBound] = []
    seen: dict[str, set[str]] = {}
    for tok, tw in tokens:
        m = _FACTOR.match(tok)
        if not m:
            tw.fail(f"malformed factor {tok!r}: expected a dimension, '=', '<=' or '>=' and a "
                    f"number, e.g. 'C=4' or 'M<=8'")
        d, op, v = m[1], m[2] or "=", int(m[3])
        if d not in workload.dims:
            tw.fail(f"unknown dimension {d!r} in factors; dimensions are "
                    f"{', '.join(workload.dims)}")
        bound = workload.bounds[d]
        if op == "=":
            v = bound if v == 0 or v > bound else v
            lo, hi = v, v
        elif v == 0:
            tw.fail(f"{tok!r}: a factor bound must be at least 1")
        elif op == "<=":
            lo, hi = 1, min(v, bound)
        else:
            lo, hi = v, bound
        ops = seen.setdefault(d, set())
        if op in ops or "=" in ops or (op == "=" and ops):
            tw.fail(f"dimension {d} is bounded twice in these factors ({tok!r} and an "
                    f"earlier {d}{'/'.join(sorted(ops))})")
        ops.add(op)
        out.append(FactorBound(d, lo, hi, tok, tw))
    return out


def parse_order(value: Any, where: Where, dims: tuple[str, ...]) -> LoopOrder:
    """A permutation constraint (innermost first), optionally ``inner _ outer``."""
    if isinstance(value, str):
        text = value.strip()
        if "," in text:
            tokens = [t.strip() for t in text.split(",") if t.strip()]
        elif all(len(d) == 1 for d in dims):
            tokens = [c for c in text.replace("...", "_") if not c.isspace()]
        else:
            tokens = text.split()
    elif isinstance(value, list):
        tokens = [as_str(t, where / i) for i, t in enumerate(value)]
    else:
        where.fail(f"expected a permutation such as 'NCPRSQM' or a list [N, C, ...], got "
                   f"{value!r}")
    tokens = ["_" if t in ("_", "...") else t for t in tokens]
    if tokens.count("_") > 1:
        where.fail(f"permutation {value!r}: at most one '_' (between the pinned innermost and "
                   f"the pinned outermost loops)")
    inner = tuple(tokens[: tokens.index("_")]) if "_" in tokens else tuple(tokens)
    outer = tuple(tokens[tokens.index("_") + 1:]) if "_" in tokens else ()
    for d in (*inner, *outer):
        if d not in dims:
            where.fail(f"unknown dimension {d!r} in permutation {value!r}; dimensions are "
                       f"{', '.join(dims)}")
    if len(set(inner + outer)) != len(inner + outer):
        where.fail(f"a dimension appears twice in permutation {value!r}")
    text = "".join(tokens) if all(len(t) == 1 for t in tokens) else " ".join(tokens)
    return LoopOrder(inner, outer, text, where)
