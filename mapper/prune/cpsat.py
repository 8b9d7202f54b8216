"""A CP-SAT model of the tiling space: which loop factors fit the architecture and the rules.

Variables: for every dimension d, storage level k and slot (temporal ``T``, spatial ``X``,
spatial ``Y``) and every prime p of d's bound, the exponent ``a[k,slot,d,p]`` of p in that
loop's factor; the exponents of a prime sum to the bound's, so the factors of d multiply to
its bound by construction. Values are tied to exponents by table constraints (one row per
divisor), so every number below is exact:

* the tile extent ``E[k,d]`` (all factors of d at levels <= k) from the summed exponents;
* the extent of a rank ``1 + sum c*(E[k,d] - 1)`` (Timeloop's axis-aligned hull; the linear
  expression is built by ``spec.workload.rank_extent``, the model's own function), the tile
  size as the product of rank extents (AddMultiplicationEquality), and per level with a depth
  ``sum of kept tile sizes <= depth * block_size / multiple_buffering``;
* per fan-out and axis, the product of the spatial factors <= the physical fan-out;
* user factor bounds, the spatial permutation/split (``axes.py``), the least utilization.

Each of those is enforced under its own literal (``checks.py``), so an infeasible model can
name the smallest conflicting set (``explain.py``). A dimension sits on one axis per fan-out
(one spatial permutation per level), so at most one of its X and Y factors exceeds 1.
"""
from __future__ import annotations

import math
from typing import Iterable, Sequence

from ortools.sat.python import cp_model

from ..primes import exponent_table, factorize
from ..spec.arch import Arch
from ..spec.constraints import Constraints, FactorBound
from ..spec.errors import Where
from ..spec.mapping import Axis
from ..spec.workload import DataSpace, Workload, rank_extent
from .axes import add_axis_rule
from .checks import Check

Keep = Sequence[Iterable[str]] | None


class TilingCpModel:
    """The tiling space of one workload on one architecture under one constraint set, as
    CP-SAT variables and checks (:class:`~mapper.prune.tiling_model.TilingModel` adds the
    questions asked of it).

    ``keep``: per storage level (innermost first) the data spaces it keeps, or ``None``: a
    level keeps what its constraints say it must (the outermost level keeps everything not
    bypassed by a rule) and bypasses the rest -- the choice that fits best, so no tiling that
    fits under *some* keep choice is pruned.
    """

    def __init__(self, arch: Arch, workload: Workload, constraints: Constraints | None = None,
                 keep: Keep = None, *, workers: int = 1, seed: int = 0,
                 time_limit: float | None = None):
        self.arch, self.workload = arch, workload
        self.constraints = constraints or Constraints.none(arch)
        self.dims, self.K = workload.dims, len(arch.storage)
        self.keep = None if keep is None else tuple(frozenset(k) for k in keep)
        if self.keep is not None and len(self.keep) != self.K:
            raise ValueError(f"keep names {len(self.keep)} levels, the arch has {self.K}")
        self.workers, self.seed, self.time_limit = workers, seed, time_limit
        self.model = cp_model.CpModel()
        self.checks: list[Check] = []
        self.literals: list[cp_model.IntVar] = []
        self.primes = {d: factorize(workload.bounds[d]) for d in self.dims}
        self._tables: dict[tuple, cp_model.IntVar] = {}
        #: per (k, slot, d): the exponent variables (one per prime of d), absent if unit
        self.exp: dict[tuple[int, str, str], list[cp_model.IntVar]] = {}
        #: per (k, d): the tile extent E[k,d] (an int 1 if d's bound is 1)
        self.extent: dict[tuple[int, str], object] = {}
        #: per (k, ds name): the tile size in words (only levels with a depth)
        self.tile: dict[tuple[int, str], object] = {}
        #: per k: words kept at the level (linear expression); per (k, axis): fan-out used
        self.used: dict[int, object] = {}
        self.fanout_used: dict[tuple[int, str], object] = {}
        self.utilization_used: object = 1
        self._exponents()
        self._extents()
        self._factor_bounds()
        self._spatial_axes()
        self._fanout()
        self._capacity()
        self._utilization()

    # ------------------------------------------------------------------ variables
    def slots(self, k: int) -> tuple[str, ...]:
        """The slots level k has: T always, X / Y where the fan-out on that axis exceeds 1."""
        fx, fy = self.arch.fanout(k)
        return (Axis.TEMPORAL,) + ((Axis.X,) if fx > 1 else ()) + ((Axis.Y,) if fy > 1 else ())

    def _exponents(self) -> None:
        m = self.model
        for d in self.dims:
            for p, e in self.primes[d].items():
                terms = []
                for k in range(self.K):
                    for slot in self.slots(k):
                        v = m.new_int_var(0, e, f"a_{k}{slot}_{d}_{p}")
                        self.exp.setdefault((k, slot, d), []).append(v)
                        terms.append(v)
                m.add(sum(terms) == e)

    def value(self, d: str, exps: list, key: tuple) -> object:
        """The factor ``prod p^a`` of dimension d made by exponent expressions ``exps``."""
        if not self.primes[d] or not exps:
            return 1
        if key in self._tables:
            return self._tables[key]
        m = self.model
        rows = exponent_table(self.primes[d])
        v = m.new_int_var_from_domain(cp_model.Domain.from_values(sorted(r[-1] for r in rows)),
                                      "v_" + "_".join(map(str, key)))
        variables = []
        for i, x in enumerate(exps):
            if not isinstance(x, cp_model.IntVar):
                y = m.new_int_var(0, list(self.primes[d].values())[i], f"s_{key}_{i}")
                m.add(y == x)
                x = y
            variables.append(x)
        m.add_allowed_assignments(variables + [v], rows)
        self._tables[key] = v
        return v

    def slot_value(self, k: int, slot: str, d: str) -> object:
        return self.value(d, self.exp.get((k, slot, d), []), (k, slot, d))

    def nonunit(self, k: int, slot: str, d: str) -> object:
        """Boolean "the factor of d in this slot is above 1" (0 if it cannot be)."""
        exps = self.exp.get((k, slot, d))
        if not exps:
            return 0
        key = ("nonunit", k, slot, d)
        if key not in self._tables:
            b = self.model.new_bool_var(f"n_{k}{slot}_{d}")
            self.model.add(sum(exps) >= 1).only_enforce_if(b)
            self.model.add(sum(exps) == 0).only_enforce_if(~b)
            self._tables[key] = b
        return self._tables[key]

    def _extents(self) -> None:
        for d in self.dims:
            n = len(self.primes[d])
            cum = [0] * n
            for k in range(self.K):
                for slot in self.slots(k):
                    cum = [c + x for c, x in zip(cum, self.exp.get((k, slot, d), [0] * n))]
                self.extent[k, d] = self.value(d, cum, ("E", k, d)) if n else 1

    def _check(self, kind: str, level: str | None, text: str, where: Where | None,
               **info) -> cp_model.IntVar:
        lit = self.model.new_bool_var(f"check{len(self.checks)}_{kind}")
        self.checks.append(Check(len(self.checks), kind, level, text, where, info))
        self.literals.append(lit)
        return lit

    # ------------------------------------------------------------------ user constraints
    def _factor_bounds(self) -> None:
        for k, level in enumerate(self.arch.storage):
            lc = self.constraints.level(level.name)
            for kind, nest in (("temporal", lc.temporal), ("spatial", lc.spatial)):
                for b in nest.factors:
                    lit = self._check("factor", level.name, f"{kind} factors: {b.text}", b.where,
                                      bound=b, nest=kind, k=k)
                    self._factor_bound(k, kind, b, lit)

    def _factor_bound(self, k: int, kind: str, b: FactorBound, lit) -> None:
        m, d = self.model, b.dim
        slots = (Axis.TEMPORAL,) if kind == "temporal" else tuple(s for s in self.slots(k) if s != Axis.TEMPORAL)
        exps = [self.exp[k, s, d] for s in slots if (k, s, d) in self.exp]
        full = self.primes[d]
        if not exps:                               # the factor is 1 whatever happens
            if not b.lo <= 1 <= b.hi:
                m.add_bool_or([~lit])
            return
        if b.hi == 1 or (b.lo == b.hi == self.workload.bounds[d]):
            for i, e in enumerate(full.values()):
                total = sum(x[i] for x in exps)
                m.add(total == (0 if b.hi == 1 else e)).only_enforce_if(lit)
            return
        # one of X, Y is 1 (one axis per dimension), so the spatial factor is X + Y - 1
        value = sum(self.slot_value(k, s, d) for s in slots) - (len(slots) - 1)
        m.add(value >= b.lo).only_enforce_if(lit)
        m.add(value <= b.hi).only_enforce_if(lit)

    def _spatial_axes(self) -> None:
        for k, level in enumerate(self.arch.storage):
            slots = self.slots(k)
            if Axis.X not in slots and Axis.Y not in slots:
                continue
            on_x = {d: self.nonunit(k, Axis.X, d) for d in self.dims}
            on_y = {d: self.nonunit(k, Axis.Y, d) for d in self.dims}
            if Axis.X in slots and Axis.Y in slots:        # one spatial permutation: one axis per dim
                for d in self.dims:
                    if not isinstance(on_x[d], int):
                        self.model.add_bool_or([~on_x[d], ~on_y[d]])
            nest = self.constraints.level(level.name).spatial
            if nest.order is None and nest.split is None:
                continue
            text = " ".join(p for p in (f"permutation {nest.order.text}" if nest.order else "",
                                        f"split {nest.split}" if nest.split is not None else "")
                            if p)
            where = nest.order.where if nest.order is not None else nest.split_where
            lit = self._check("axes", level.name, f"spatial {text}", where, nest=nest, k=k)
            add_axis_rule(self.model, nest, self.dims, on_x, on_y, lit, f"ax{k}")

    # ------------------------------------------------------------------ the arch's limits
    def _product(self, factors: list, name: str, cap: int) -> object:
        """A variable equal to the product of ``factors``, known to be at most ``cap`` (which
        keeps domains inside int64 when many fan-outs multiply)."""
        factors = [f for f in factors if not isinstance(f, int)]
        if not factors:
            return 1
        if len(factors) == 1:
            return factors[0]
        # Pairwise, each partial product capped: CP-SAT rejects a product whose factors'
        # bounds multiply past int64 even when the target's domain is small.
        v = factors[0]
        for i, f in enumerate(factors[1:], 1):
            hi = min(cap, self.upper(v) * self.upper(f))
            w = self.model.new_int_var(1, hi, name if i == len(factors) - 1 else f"{name}_{i}")
            self.model.add_multiplication_equality(w, [v, f])
            v = w
        return v

    def upper(self, v: cp_model.IntVar) -> int:
        """The largest value of a variable's domain (the proto's repeated field does not
        support negative indices: ``domain[-1]`` reads 0)."""
        domain = self.model.proto.variables[v.index].domain
        return domain[len(domain) - 1]

    def _fanout(self) -> None:
        for k, level in enumerate(self.arch.storage):
            for axis, phys in zip("XY", self.arch.fanout(k)):
                if axis not in self.slots(k):
                    continue
                used = self._product([self.slot_value(k, axis, d) for d in self.dims],
                                     f"fan{k}{axis}", self.workload.macs)
                self.fanout_used[k, axis] = used
                lit = self._check("fanout", level.name, f"fan-out {axis} of {level.name}",
                                  None, axis=axis, physical=phys, k=k)
                self.model.add(used <= phys).only_enforce_if(lit)

    def tile_size(self, k: int, ds: DataSpace) -> object:
        """Words of ``ds`` in level k's tile: the product over its ranks of
        :func:`~mapper.spec.workload.rank_extent` (the halo rule, the model's own function)
        over the extents ``E[k,d]``; a rank that is not one variable gets a variable equal to
        that linear expression, so that the product is an AddMultiplicationEquality."""
        if (k, ds.name) in self.tile:
            return self.tile[k, ds.name]
        box = {d: self.extent[k, d] for d in self.dims}
        extents = []
        for r, rank in enumerate(ds.ranks):
            # a dimension of bound 1 adds c * (1 - 1) = 0: left out, the model stays smaller
            rank = [(d, c) for d, c in rank if self.workload.bounds[d] > 1]
            e = rank_extent(rank, box)
            if isinstance(e, int):                   # every dimension of the rank has bound 1
                continue
            if not isinstance(e, cp_model.IntVar):
                hi = rank_extent(rank, self.workload.bounds)
                v = self.model.new_int_var(1, hi, f"e_{k}_{ds.name}_{r}")
                self.model.add(v == e)
                e = v
            extents.append(e)
        size = self._product(extents, f"tile_{k}_{ds.name}", self.workload.tensor_size(ds))
        self.tile[k, ds.name] = size
        return size

    def _capacity(self) -> None:
        m = self.model
        outermost = self.K - 1
        for k, level in enumerate(self.arch.storage):
            cap = level.effective_capacity
            lc = self.constraints.level(level.name)
            rules = {r.ds: r for r in lc.dataspaces}
            if self.keep is not None:
                for r in lc.dataspaces:
                    if (r.ds in self.keep[k]) != r.keep:
                        lit = self._check("keep", level.name,
                                          f"{'keep' if r.keep else 'bypass'} {r.ds}", r.where,
                                          rule=r, k=k, given=True)
                        m.add_bool_or([~lit])
                if cap is None or not self.keep[k]:
                    continue
                terms = [self.tile_size(k, ds) for ds in self.workload.data_spaces
                         if ds.name in self.keep[k]]
            else:
                if cap is None:
                    continue
                terms = []
                for ds in self.workload.data_spaces:
                    rule = rules.get(ds.name)
                    if k == outermost and (rule is None or rule.keep):
                        terms.append(self.tile_size(k, ds))
                    elif rule is not None and rule.keep:
                        kept = self._check("keep", level.name, f"keep {ds.name}", rule.where,
                                           rule=rule, k=k, given=False)
                        size = self.tile_size(k, ds)
                        hi = self.workload.tensor_size(ds)
                        part = m.new_int_var(0, hi, f"kept_{k}_{ds.name}")
                        m.add(part == size).only_enforce_if(kept)
                        m.add(part == 0).only_enforce_if(~kept)
                        terms.append(part)
                if not terms:
                    continue
            self.used[k] = sum(terms)
            lit = self._check("capacity", level.name, f"capacity of {level.name}", None,
                              capacity=cap, k=k)
            m.add(self.used[k] <= cap).only_enforce_if(lit)

    def _utilization(self) -> None:
        c, n = self.constraints, self.arch.compute.instances
        spatial = [self.fanout_used[key] for key in sorted(self.fanout_used)]
        self.utilization_used = self._product(spatial, "spatial_total", self.workload.macs)
        if c.min_utilization is None:
            return
        need = max(0, math.ceil(c.min_utilization * n) - 2)
        while need / n < c.min_utilization:          # check_mapping's float comparison
            need += 1
        lit = self._check("utilization", None, f"utilization min {c.min_utilization:g}",
                          c.utilization_where, need=need, instances=n)
        self.model.add(self.utilization_used >= need).only_enforce_if(lit)
