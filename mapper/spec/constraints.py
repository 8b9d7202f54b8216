"""User constraints on the mapspace, in Timeloop's vocabulary, as plain data.

A constraint narrows what a mapping may do at one storage level: the factor of a dimension in
the level's temporal or spatial nest (``=``, ``<=``, ``>=``), which loops are pinned innermost
(or outermost) in a nest, which positions of the spatial permutation go to the X axis of the
fan-out (``split``), which data spaces the level must keep or bypass, and the least fraction of
the MACs a mapping must use. The mapspace generator reads these objects; :func:`check_mapping`
judges one finished mapping against them. Readers of Timeloop's YAML forms live in
``timeloop_constraints.py``.

Judging is *semantic*: a loop with factor 1 does nothing, so it is ignored everywhere. A
permutation constraint ``P`` (innermost first) with split ``s`` describes full orders
``inner + <free dims in any order> + outer`` whose position ``i`` goes to X if ``i < s`` (else Y);
a mapping satisfies it if its non-unit loops could come from such an order: each pinned non-unit
loop on the axis its position gives, the pinned ones in their written order, inside every free
one (``inner``) or outside (``outer``), and the free non-unit loops fitting into the free
positions of their axis. So ``NCPRSQM`` split 999 (all X) accepts a mapping ``QMCRSNP`` split 2
(Q, M on X; the rest unit). Timeloop v3.0.3 compares the texts instead and rejects that pair.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

from .arch import Arch
from .errors import Where
from .mapping import LevelMapping, Mapping
from .workload import Workload


def _origin(where: Where) -> str:
    return ": ".join(p for p in (where.file, where.path) if p) or "(built in code)"


@dataclass(frozen=True)
class FactorBound:
    """``lo <= factor <= hi`` for one dimension of one nest (``C=4`` gives lo = hi = 4)."""

    dim: str
    lo: int
    hi: int
    text: str                                    # as written, e.g. "C<=4"
    where: Where = field(default_factory=Where, compare=False, repr=False)


@dataclass(frozen=True)
class LoopOrder:
    """Pinned loops of one nest, innermost first: ``inner`` are the innermost loops, ``outer``
    the outermost ones (written after ``_`` in the permutation); the rest are free between."""

    inner: tuple[str, ...]
    outer: tuple[str, ...] = ()
    text: str = ""
    where: Where = field(default_factory=Where, compare=False, repr=False)

    def position(self, dim: str, n_dims: int) -> int | None:
        """The dimension's index in every full order the constraint allows (None if free)."""
        if dim in self.inner:
            return self.inner.index(dim)
        if dim in self.outer:
            return n_dims - len(self.outer) + self.outer.index(dim)
        return None


@dataclass(frozen=True)
class NestConstraints:
    """Constraints on one nest (temporal, or the spatial fan-out) of one storage level."""

    factors: tuple[FactorBound, ...] = ()
    order: LoopOrder | None = None
    split: int | None = None                     # spatial only; >= number of dims means all X
    split_where: Where = field(default_factory=Where, compare=False, repr=False)

    def factor_range(self, dim: str, bound: int) -> tuple[int, int]:
        """The factors of ``dim`` this nest allows, intersected over all bounds on it."""
        lo, hi = 1, bound
        for b in self.factors:
            if b.dim == dim:
                lo, hi = max(lo, b.lo), min(hi, b.hi)
        return lo, hi


@dataclass(frozen=True)
class DataSpaceRule:
    """The level must keep (``keep=True``) or bypass a data space."""

    ds: str
    keep: bool
    where: Where = field(default_factory=Where, compare=False, repr=False)


@dataclass(frozen=True)
class LevelConstraints:
    """Everything constrained at one storage level."""

    level: str
    temporal: NestConstraints = NestConstraints()
    spatial: NestConstraints = NestConstraints()
    dataspaces: tuple[DataSpaceRule, ...] = ()

    @property
    def keep(self) -> frozenset[str]:
        return frozenset(r.ds for r in self.dataspaces if r.keep)

    @property
    def bypass(self) -> frozenset[str]:
        return frozenset(r.ds for r in self.dataspaces if not r.keep)


@dataclass(frozen=True)
class Constraints:
    """All constraints, one :class:`LevelConstraints` per storage level, innermost first
    (the order of ``Arch.storage``)."""

    levels: tuple[LevelConstraints, ...]
    min_utilization: float | None = None         # fraction of the MACs a mapping must use
    utilization_where: Where = field(default_factory=Where, compare=False, repr=False)

    @staticmethod
    def none(arch: Arch) -> "Constraints":
        """No constraints: every mapping of the arch is allowed."""
        return Constraints(tuple(LevelConstraints(name) for name in arch.level_names))

    def level(self, name: str) -> LevelConstraints:
        for lc in self.levels:
            if lc.level == name:
                return lc
        raise KeyError(name)


# ---------------------------------------------------------------------------------------------
# Semantic order check (shared with the mapspace generator).

def order_allows(order: LoopOrder | None, split: int | None, n_dims: int,
                 x: Sequence[str], y: Sequence[str] = ()) -> bool:
    """Whether non-unit loops ``x`` (X axis, or the temporal nest) and ``y`` (Y axis), each
    innermost first, can come from a full order the constraint allows.

    ``split=None`` means the split is free (any of ``0..n_dims``); a temporal nest is checked
    with ``split=n_dims`` and ``y=()``.
    """
    splits = range(n_dims + 1) if split is None else (min(split, n_dims),)
    return any(_fits(order, s, n_dims, x, y) for s in splits)


def _fits(order: LoopOrder | None, s: int, n: int, x: Sequence[str], y: Sequence[str]) -> bool:
    inner = order.inner if order else ()
    outer = order.outer if order else ()

    def rank(d: str) -> tuple[int, int]:
        if d in inner:
            return 0, inner.index(d)
        if d in outer:
            return 2, outer.index(d)
        return 1, 0

    # X loops sit inside Y loops, so x + y is the loops' order in the full permutation.
    ranks = [rank(d) for d in (*x, *y)]
    if any(later < earlier for earlier, later in zip(ranks, ranks[1:])):
        return False
    for dims, on_x in ((x, True), (y, False)):
        for d in dims:
            pos = order.position(d, n) if order else None
            if pos is not None and (pos < s) != on_x:
                return False
    first_free, end_free = len(inner), n - len(outer)
    free_x = sum(1 for d in x if rank(d)[0] == 1)
    free_y = sum(1 for d in y if rank(d)[0] == 1)
    return (free_x <= max(0, min(s, end_free) - first_free)
            and free_y <= max(0, end_free - max(s, first_free)))


def spatial_axes(lm: LevelMapping, dims: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """A level's non-unit spatial loops on X and on Y, innermost first."""
    nonunit = [d for d in lm.spatial_order if lm.spatial[dims.index(d)] > 1]
    x = [d for d in lm.spatial_order[: lm.split] if d in nonunit]
    y = [d for d in lm.spatial_order[lm.split:] if d in nonunit]
    return x, y


def temporal_loops(lm: LevelMapping, dims: tuple[str, ...]) -> list[str]:
    """A level's non-unit temporal loops, innermost first."""
    return [d for d in lm.temporal_order if lm.temporal[dims.index(d)] > 1]


# ---------------------------------------------------------------------------------------------
# Judging one mapping.

@dataclass(frozen=True)
class Violation:
    """One constraint a mapping breaks: where the constraint was written, what the mapping has."""

    level: str
    constraint: str
    found: str
    where: Where = field(default_factory=Where, compare=False, repr=False)

    def __str__(self) -> str:
        return (f"{_origin(self.where)}: {self.level}: {self.constraint}; "
                f"the mapping has {self.found}")


def _describe(kind: str, x: Sequence[str], y: Sequence[str]) -> str:
    if kind == "temporal":
        return "temporal loops " + (" ".join(x) or "none") + " (innermost first, factor > 1)"
    return (f"spatial X loops {' '.join(x) or 'none'}, Y loops {' '.join(y) or 'none'} "
            f"(innermost first, factor > 1)")


def _check_nest(kind: str, nc: NestConstraints, lm: LevelMapping, level: str,
                dims: tuple[str, ...]) -> list[Violation]:
    out = []
    factors = lm.temporal if kind == "temporal" else lm.spatial
    for b in nc.factors:
        f = factors[dims.index(b.dim)]
        if not b.lo <= f <= b.hi:
            out.append(Violation(level, f"{kind} factor {b.text}", f"{kind} {b.dim}{f}", b.where))
    if kind == "temporal":
        x, y = temporal_loops(lm, dims), []
        if nc.order is not None and not order_allows(nc.order, len(dims), len(dims), x):
            out.append(Violation(level, f"temporal permutation {nc.order.text}",
                                 _describe(kind, x, y), nc.order.where))
        return out
    x, y = spatial_axes(lm, dims)
    if nc.order is None and nc.split is None:
        return out
    if not order_allows(nc.order, nc.split, len(dims), x, y):
        text = " ".join(p for p in (f"permutation {nc.order.text}" if nc.order else "",
                                    f"split {nc.split}" if nc.split is not None else "") if p)
        where = nc.order.where if nc.order is not None else nc.split_where
        out.append(Violation(level, f"spatial {text}", _describe(kind, x, y), where))
    return out


def utilization(mapping: Mapping, arch: Arch) -> float:
    """Fraction of the MACs that get work: product of all spatial factors / MAC instances
    (Timeloop's fan-out utilization, which its uber mapspace compares with ``min``)."""
    used = math.prod(math.prod(lm.spatial) for lm in mapping.levels)
    return used / arch.compute.instances


def check_mapping(mapping: Mapping, arch: Arch, workload: Workload,
                  constraints: Constraints) -> list[Violation]:
    """Every constraint the mapping breaks (empty if it satisfies all), judged semantically."""
    if len(mapping.levels) != len(arch.storage) or len(constraints.levels) != len(arch.storage):
        raise ValueError(f"the mapping has {len(mapping.levels)} levels and the constraints "
                         f"{len(constraints.levels)}, but the arch has {len(arch.storage)}")
    dims = workload.dims
    out: list[Violation] = []
    for lm, lc in zip(mapping.levels, constraints.levels):
        out += _check_nest("temporal", lc.temporal, lm, lc.level, dims)
        out += _check_nest("spatial", lc.spatial, lm, lc.level, dims)
        for rule in lc.dataspaces:
            if (rule.ds in lm.keep) != rule.keep:
                verb = "keep" if rule.keep else "bypass"
                has = "bypassed" if rule.keep else "kept"
                out.append(Violation(lc.level, f"{verb} {rule.ds}", f"{rule.ds} {has}", rule.where))
    if constraints.min_utilization is not None:
        u = utilization(mapping, arch)
        if u < constraints.min_utilization:
            out.append(Violation(arch.storage[0].name,
                                 f"utilization min {constraints.min_utilization:g}",
                                 f"utilization {u:.4g} of {arch.compute.instances} MACs",
                                 constraints.utilization_where))
    return out
