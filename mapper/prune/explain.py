"""Why no tiling exists: the smallest set of conflicting constraints, in the user's words.

CP-SAT solves under one assumption literal per constraint (``checks.py``); on infeasibility
``sufficient_assumptions_for_infeasibility`` returns a core, which deletion shrinks to a
minimal one: dropping any single constraint of the answer makes the rest satisfiable. For a
capacity, fan-out or utilization limit in the core, a second solve under the *other* core
constraints finds the least the rest of the core demands of it ("needs 24 words"), so the
message says what the conflict is about, not only that there is one.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from .axes import describe
from .checks import Check
from .solve import SolveTimeout, optimum, solver

if TYPE_CHECKING:
    from .cpsat import TilingCpModel


def _infeasible_under(tm: "TilingCpModel", indices: list[int]) -> tuple[bool, list[int]]:
    """Whether the model is infeasible with just these checks on, and a core of them."""
    m = tm.model
    m.clear_assumptions()
    m.add_assumptions([tm.literals[i] for i in indices])
    s = solver(tm, workers=1)
    status = s.solve(m)
    m.clear_assumptions()
    if status == cp_model.INFEASIBLE:
        core = set(s.sufficient_assumptions_for_infeasibility())
        lits = {tm.literals[i].index: i for i in indices}
        return True, [lits[c] for c in sorted(core) if c in lits] or list(indices)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return False, []
    raise SolveTimeout(f"CP-SAT stopped with status {s.status_name(status)} while explaining")


def minimal_conflict(tm: "TilingCpModel") -> list[Check]:
    """A minimal set of checks that cannot hold together (empty if the model is feasible)."""
    bad, core = _infeasible_under(tm, list(range(len(tm.checks))))
    if not bad:
        return []
    core = sorted(core)
    i = 0
    while i < len(core):
        trial = core[:i] + core[i + 1:]
        still_bad, smaller = _infeasible_under(tm, trial)
        if still_bad:
            core = [c for c in trial if c in set(smaller)]
        else:
            i += 1
    return [tm.checks[i] for i in core]


def _extent_words(tm: "TilingCpModel", s: cp_model.CpSolver, k: int, ds_name: str) -> str:
    ds = tm.workload.data_space(ds_name)
    parts = [f"{d}={s.value(tm.extent[k, d])}" for d in tm.dims
             if d in ds.dims() and not isinstance(tm.extent[k, d], int)
             and s.value(tm.extent[k, d]) > 1]
    return ", ".join(parts) if parts else "every factor 1"


def _capacity_text(tm: "TilingCpModel", c: Check, others: list[Check]) -> str:
    k = c.info["k"]
    level = tm.arch.storage[k]
    holds = (f"the level holds {c.info['capacity']} (depth {level.depth} x block "
             f"{level.block_size}" + (f" / multiple buffering {level.multiple_buffering:g}"
                                      if level.multiple_buffering != 1 else "") + ")")
    s = optimum(tm, others, tm.used[k])
    if s is None:
        return f"{c.level}: the kept tiles do not fit; {holds}"
    tiles = [(name, s.value(tm.tile[k, name])) for (kk, name) in tm.tile if kk == k
             and _counted(tm, s, k, name)]
    if len(tiles) == 1:
        name, words = tiles[0]
        return (f"{name} tile at {c.level} needs at least {words} words with "
                f"{_extent_words(tm, s, k, name)}, but {holds}")
    total = sum(w for _, w in tiles)
    each = "; ".join(f"{n} {w} with {_extent_words(tm, s, k, n)}" for n, w in tiles)
    return f"the tiles kept at {c.level} need at least {total} words ({each}), but {holds}"


def _counted(tm: "TilingCpModel", s: cp_model.CpSolver, k: int, name: str) -> bool:
    """Whether data space ``name`` counts towards level k's capacity in solution ``s``."""
    if tm.keep is not None:
        return name in tm.keep[k]
    for c in tm.checks:
        if c.kind == "keep" and c.info["k"] == k and c.info["rule"].ds == name:
            return bool(s.value(tm.literals[c.index]))
    return k == tm.K - 1


def _fanout_text(tm: "TilingCpModel", c: Check, others: list[Check]) -> str:
    k, axis = c.info["k"], c.info["axis"]
    s = optimum(tm, others, tm.fanout_used[k, axis])
    need = f"at least {s.value(tm.fanout_used[k, axis])}" if s else "more"
    return (f"the spatial loops at {c.level} need a fan-out of {need} in {axis}, but the level "
            f"has {c.info['physical']} children in {axis}")


def _utilization_text(tm: "TilingCpModel", c: Check, others: list[Check]) -> str:
    s = optimum(tm, others, tm.utilization_used, maximize=True)
    most = f"at most {s.value(tm.utilization_used)}" if s else "fewer"
    return (f"the constraint `{c.text}` ({c.origin()}) needs {c.info['need']} of the "
            f"{c.info['instances']} MACs busy, but the other constraints allow {most}")


def _factor_text(tm: "TilingCpModel", c: Check) -> str:
    b, bound = c.info["bound"], tm.workload.bounds[c.info["bound"].dim]
    d = b.dim
    if b.lo == b.hi:
        says = f"forces {d}={b.lo}" + (" (the full bound)" if b.lo == bound and b.lo > 1
                                       and not b.text.endswith(f"={b.lo}") else "")
    elif b.lo == 1:
        says = f"allows at most {d}={b.hi}"
    elif b.hi == bound:
        says = f"needs {d}>={b.lo}"
    else:
        says = f"allows only {b.lo}<={d}<={b.hi}"
    return (f"the constraint `{c.text}` at {c.level} ({c.origin()}) {says} in the "
            f"{c.info['nest']} loops there")


def describe_check(tm: "TilingCpModel", c: Check, others: list[Check]) -> str:
    """One line about one check of a conflict; ``others`` are the rest of the conflict."""
    if c.kind == "capacity":
        return _capacity_text(tm, c, others)
    if c.kind == "fanout":
        return _fanout_text(tm, c, others)
    if c.kind == "utilization":
        return _utilization_text(tm, c, others)
    if c.kind == "factor":
        return _factor_text(tm, c)
    if c.kind == "axes":
        return (f"the constraint `{c.text}` at {c.level} ({c.origin()}) "
                f"{describe(c.info['nest'], tm.dims)}")
    rule = c.info["rule"]
    if c.info["given"]:
        has = "bypasses" if rule.keep else "keeps"
        return (f"the constraint `{c.text}` at {c.level} ({c.origin()}) contradicts the keep "
                f"set asked for, which {has} {rule.ds} there")
    return f"the constraint `{c.text}` at {c.level} ({c.origin()}) keeps {rule.ds} there"


def explain_infeasible(tm: "TilingCpModel") -> list[str]:
    """The minimal conflict, one line per constraint: the arch's limits first (what cannot
    hold), then the user's constraints (what forces it). Empty if a tiling exists."""
    conflict = minimal_conflict(tm)
    if not conflict:
        return []
    ordered = sorted(conflict, key=lambda c: (c.is_user_constraint, c.index))
    return [describe_check(tm, c, [o for o in conflict if o is not c]) for c in ordered]
