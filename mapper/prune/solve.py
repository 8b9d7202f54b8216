"""Solving the CP-SAT model of the tiling space (:class:`~mapper.prune.cpsat.TilingCpModel`):
feasibility, one tiling, counting and enumeration.

All solves are deterministic: a fixed seed and a fixed number of workers (1 by default;
enumeration always uses one, as CP-SAT requires). Enumerated tilings come back as arrays in
the batch model's layout, sorted, so equal spaces give equal arrays.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Mapping as TMapping, Sequence

import numpy as np
from ortools.sat.python import cp_model

from ..primes import divisors, exponents
from ..spec.mapping import Axis, Mapping

if TYPE_CHECKING:
    from .checks import Check
    from .cpsat import TilingCpModel

#: a partial tiling: (level index, slot "T"/"X"/"Y", dimension) -> factor
Fixed = TMapping[tuple[int, str, str], int]


@dataclass(frozen=True)
class Tilings:
    """B tilings as ``(B, K, D)`` int64 factor arrays (levels innermost first, dimensions in
    ``workload.dims`` order); ``spatial = spatial_x * spatial_y``, one of which is 1."""

    temporal: np.ndarray
    spatial_x: np.ndarray
    spatial_y: np.ndarray

    @property
    def spatial(self) -> np.ndarray:
        return self.spatial_x * self.spatial_y

    def __len__(self) -> int:
        return self.temporal.shape[0]


class SolveTimeout(RuntimeError):
    """The solver hit its time limit before it could decide."""


def solver(tm: "TilingCpModel", workers: int | None = None) -> cp_model.CpSolver:
    """A deterministic solver. Probing and symmetry detection are off: the models are small
    and solved many times (explanations, domains), so per-solve overhead dominates (halves
    the time of ``slot_domains`` on the Eyeriss-like arch)."""
    s = cp_model.CpSolver()
    s.parameters.num_workers = workers or tm.workers
    s.parameters.random_seed = tm.seed
    s.parameters.cp_model_probing_level = 0
    s.parameters.symmetry_level = 0
    s.parameters.catch_sigint_signal = False   # leave Ctrl-C to Python (a KeyboardInterrupt)
    if tm.time_limit is not None:
        s.parameters.max_time_in_seconds = tm.time_limit
    return s


def with_all_checks(tm: "TilingCpModel", fixed: Fixed | None = None) -> cp_model.CpModel:
    """A copy of the model with every check enforced and the given factors fixed."""
    m = tm.model.clone()
    m.clear_assumptions()
    for lit in tm.literals:
        m.add(m.get_bool_var_from_proto_index(lit.index) == 1)
    for (k, slot, d), f in (fixed or {}).items():
        exps = tm.exp.get((k, slot, d))
        if exps is None:
            if f != 1:                     # no such loop (no fan-out there): factor must be 1
                m.add_bool_or([])
            continue
        try:
            want = exponents(f, tuple(tm.primes[d]))
        except ValueError:                 # not a divisor of the bound
            m.add_bool_or([])
            continue
        for v, a in zip(exps, want):
            m.add(m.get_int_var_from_proto_index(v.index) == a)
    return m


def decide(tm: "TilingCpModel", model: cp_model.CpModel, s: cp_model.CpSolver | None = None
           ) -> tuple[bool, cp_model.CpSolver]:
    s = s or solver(tm)
    status = s.solve(model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return True, s
    if status == cp_model.INFEASIBLE:
        return False, s
    raise SolveTimeout(f"CP-SAT stopped with status {s.status_name(status)} "
                       f"(time limit {tm.time_limit} s)")


def feasible(tm: "TilingCpModel", fixed: Fixed | None = None) -> bool:
    return decide(tm, with_all_checks(tm, fixed))[0]


def tiling_of(tm: "TilingCpModel", mapping: Mapping) -> dict[tuple[int, str, str], int]:
    """The factors of a mapping as a :data:`Fixed` (spatial factors on the axis its
    permutation and split give them)."""
    fixed = {}
    for k, lm in enumerate(mapping.levels):
        x = set(lm.spatial_order[: lm.split])
        for i, d in enumerate(mapping.dims):
            fixed[k, Axis.TEMPORAL, d] = lm.temporal[i]
            on = Axis.X if d in x else Axis.Y
            fixed[k, on, d] = lm.spatial[i]
            fixed[k, Axis.Y if on == Axis.X else Axis.X, d] = 1
    return fixed


def optimum(tm: "TilingCpModel", on: Iterable["Check"], expr, maximize: bool = False,
            at_most: Sequence[tuple[object, int]] = ()) -> cp_model.CpSolver | None:
    """Solve with the checks ``on`` enforced and every other check off, optimising ``expr``
    (an expression over the model's variables), under the extra limits ``expr_i <= n_i`` of
    ``at_most``; the solver (to read values; its response's status is OPTIMAL when proven),
    or None when no tiling was found (none satisfies the checks, or the time limit came
    first). The one place that solves part of the checks: the explanations (least words a
    conflict needs) and Eyexam's steps (most MACs in parallel under some of the arch's
    limits) both ask it."""
    m = tm.model.clone()
    m.clear_assumptions()
    enforced = {c.index for c in on}
    for i, lit in enumerate(tm.literals):
        m.add(m.get_bool_var_from_proto_index(lit.index) == (1 if i in enforced else 0))
    for e, n in at_most:
        m.add(e <= n)
    (m.maximize if maximize else m.minimize)(expr)
    s = solver(tm)
    status = s.solve(m)
    return s if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None


def solution_of(tm: "TilingCpModel", s: cp_model.CpSolver) -> dict[tuple[int, str, str], int]:
    """The factors of the tiling a solver found, as a :data:`Fixed` (every slot the model
    has, unit factors included)."""
    return {(k, slot, d): math.prod(p ** s.value(v) for p, v in zip(tm.primes[d], exps))
            for (k, slot, d), exps in sorted(tm.exp.items())}


def _exponent_vars(tm: "TilingCpModel") -> list[tuple[int, str, int, int, cp_model.IntVar]]:
    """(k, slot, dim index, prime, variable) for every exponent variable."""
    out = []
    for (k, slot, d), exps in tm.exp.items():
        for p, v in zip(tm.primes[d], exps):
            out.append((k, slot, tm.dims.index(d), p, v))
    return out


class _Collector(cp_model.CpSolverSolutionCallback):
    def __init__(self, variables, limit: int | None):
        super().__init__()
        self.variables, self.limit = variables, limit
        self.rows: set[tuple[int, ...]] = set()

    def on_solution_callback(self) -> None:
        self.rows.add(tuple(self.value(v) for *_, v in self.variables))
        if self.limit is not None and len(self.rows) >= self.limit:
            self.stop_search()


def enumerate_tilings(tm: "TilingCpModel", limit: int | None = None,
                      fixed: Fixed | None = None) -> Tilings:
    """Every valid tiling (at most ``limit``), sorted; fine for small spaces only."""
    model = with_all_checks(tm, fixed)
    variables = _exponent_vars(tm)
    s = solver(tm, workers=1)
    s.parameters.num_workers = 1
    s.parameters.enumerate_all_solutions = True
    cb = _Collector(variables, limit)
    status = s.solve(model, cb)
    if status == cp_model.UNKNOWN:
        raise SolveTimeout(f"enumeration stopped at the time limit {tm.time_limit} s")
    K, D = tm.K, len(tm.dims)
    rows = sorted(cb.rows)[:limit] if limit is not None else sorted(cb.rows)
    out = {slot: np.ones((len(rows), K, D), dtype=np.int64) for slot in "TXY"}
    for b, row in enumerate(rows):
        for (k, slot, j, p, _), a in zip(variables, row):
            out[slot][b, k, j] *= p ** a
    order = np.lexsort(np.concatenate([out[s].reshape(len(rows), -1) for s in "TXY"],
                                      axis=1).T[::-1]) if rows else np.arange(0)
    return Tilings(out[Axis.TEMPORAL][order], out[Axis.X][order], out[Axis.Y][order])


def count(tm: "TilingCpModel", limit: int | None = None, fixed: Fixed | None = None) -> int:
    """The number of valid tilings (stops at ``limit``)."""
    model = with_all_checks(tm, fixed)
    variables = _exponent_vars(tm)
    s = solver(tm, workers=1)
    s.parameters.enumerate_all_solutions = True
    cb = _Collector(variables, limit)
    if s.solve(model, cb) == cp_model.UNKNOWN:
        raise SolveTimeout(f"counting stopped at the time limit {tm.time_limit} s")
    return len(cb.rows)


def _presolved_exponents(tm: "TilingCpModel", model: cp_model.CpModel) -> dict[int, list[int]]:
    """Exponent domains after CP-SAT's presolve, with the reductions that drop feasible
    solutions turned off, so the domains are a sound over-approximation (variable index ->
    flat [lo, hi, lo, hi, ...] intervals); empty dict if presolve proves infeasibility."""
    s = solver(tm, workers=1)
    s.parameters.stop_after_presolve = True
    s.parameters.fill_tightened_domains_in_response = True
    s.parameters.keep_all_feasible_solutions_in_presolve = True
    if s.solve(model) == cp_model.INFEASIBLE:
        return {}
    tight = s.response_proto.tightened_variables
    if not len(tight):
        return {v.index: list(tm.model.proto.variables[v.index].domain)
                for exps in tm.exp.values() for v in exps}
    return {v.index: list(tight[v.index].domain) for exps in tm.exp.values() for v in exps}


def _in(domain: list[int], a: int) -> bool:
    return any(domain[i] <= a <= domain[i + 1] for i in range(0, len(domain), 2))


def slot_domains(tm: "TilingCpModel") -> dict[tuple[int, str, str], tuple[int, ...]]:
    """For every loop slot (k, "T"/"X"/"Y", d) the factors some valid tiling gives it; all
    empty if no tiling exists.

    Exact: presolve (with every feasible solution kept) narrows the candidates, then each
    remaining value is either witnessed by a solution or proven impossible by a solve. A
    solution witnesses one value of every slot at once, so few solves are needed. Slots with
    no variables (no fan-out on that axis, or a bound of 1) are left out: their factor is 1.
    """
    model = with_all_checks(tm)
    keys = sorted(tm.exp)
    domains = _presolved_exponents(tm, model)
    if not domains:
        return {key: () for key in keys}
    seen: dict[tuple, set[int]] = {key: set() for key in keys}
    candidates: dict[tuple, list[tuple[int, tuple[int, ...]]]] = {}
    for key in keys:
        exps, primes = tm.exp[key], tuple(tm.primes[key[2]])
        candidates[key] = [(f, a) for f in divisors(tm.workload.bounds[key[2]])
                           for a in [exponents(f, primes)]
                           if all(_in(domains[v.index], x) for v, x in zip(exps, a))]
    s = solver(tm)

    def witness(lits: list) -> bool:
        model.clear_assumptions()
        model.add_assumptions(lits)
        ok, _ = decide(tm, model, s)
        if ok:
            for other in keys:
                primes = tm.primes[other[2]]
                seen[other].add(math.prod(p ** s.value(v) for p, v in zip(primes, tm.exp[other])))
        return ok

    if not witness([]):
        return {key: () for key in keys}
    for key in keys:
        for f, a in candidates[key]:
            if f in seen[key]:
                continue
            lit = model.new_bool_var(f"try_{key}_{f}")
            for v, x in zip(tm.exp[key], a):
                model.add(model.get_int_var_from_proto_index(v.index) == x).only_enforce_if(lit)
            witness([lit])
    return {key: tuple(sorted(seen[key])) for key in keys}
