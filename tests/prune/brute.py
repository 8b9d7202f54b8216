"""Brute force: every factor assignment of a small space, judged rule by rule from the spec.

Independent of the CP-SAT model on purpose: factors are enumerated directly (no exponents),
tile sizes come from ``Workload.footprint`` and spatial permutations from ``order_allows``
over every ordering of the non-unit loops.
"""
from __future__ import annotations

import itertools
import math

from mapper.spec.arch import Arch
from mapper.spec.constraints import Constraints, order_allows
from mapper.spec.workload import Workload

Row = tuple[int, ...]   # temporal, spatial X, spatial Y factors, each (K, D) flattened


def splits(n: int, parts: int):
    """Ordered factorizations of n into ``parts`` factors."""
    if parts == 1:
        yield (n,)
        return
    for f in range(1, n + 1):
        if n % f == 0:
            for rest in splits(n // f, parts - 1):
                yield (f, *rest)


def slots(arch: Arch) -> list[tuple[int, str]]:
    out = []
    for k in range(len(arch.storage)):
        fx, fy = arch.fanout(k)
        out += [(k, "T")] + ([(k, "X")] if fx > 1 else []) + ([(k, "Y")] if fy > 1 else [])
    return out


def kept(arch: Arch, workload: Workload, constraints: Constraints, keep, k: int) -> set[str]:
    if keep is not None:
        return set(keep[k])
    rules = {r.ds: r.keep for r in constraints.levels[k].dataspaces}
    if k == len(arch.storage) - 1:
        return {n for n in workload.ds_names if rules.get(n, True)}
    return {n for n, keep_it in rules.items() if keep_it}


def _axes_ok(nest, dims, x: list[str], y: list[str]) -> bool:
    if nest.order is None and nest.split is None:
        return True
    return any(order_allows(nest.order, nest.split, len(dims), px, py)
               for px in itertools.permutations(x) for py in itertools.permutations(y))


def valid(arch: Arch, workload: Workload, constraints: Constraints, keep,
          t: list[list[int]], x: list[list[int]], y: list[list[int]]) -> bool:
    dims, K = workload.dims, len(arch.storage)
    for k in range(K):
        lc = constraints.levels[k]
        if keep is not None and any((r.ds in keep[k]) != r.keep for r in lc.dataspaces):
            return False
        fx, fy = arch.fanout(k)
        if math.prod(x[k]) > fx or math.prod(y[k]) > fy:
            return False
        if any(a > 1 and b > 1 for a, b in zip(x[k], y[k])):
            return False
        for kind, nest in (("T", lc.temporal), ("S", lc.spatial)):
            for b in nest.factors:
                j = dims.index(b.dim)
                f = t[k][j] if kind == "T" else x[k][j] * y[k][j]
                if not b.lo <= f <= b.hi:
                    return False
        xs = [d for j, d in enumerate(dims) if x[k][j] > 1]
        ys = [d for j, d in enumerate(dims) if y[k][j] > 1]
        if not _axes_ok(lc.spatial, dims, xs, ys):
            return False
        cap = arch.storage[k].effective_capacity
        if cap is not None:
            ext = {d: math.prod(t[i][j] * x[i][j] * y[i][j] for i in range(k + 1))
                   for j, d in enumerate(dims)}
            used = sum(workload.footprint(workload.data_space(n), ext)
                       for n in kept(arch, workload, constraints, keep, k))
            if used > cap:
                return False
    if constraints.min_utilization is not None:
        used = math.prod(x[k][j] * y[k][j] for k in range(K) for j in range(len(dims)))
        if used / arch.compute.instances < constraints.min_utilization:
            return False
    return True


def brute_force(arch: Arch, workload: Workload, constraints: Constraints,
                keep=None) -> set[Row]:
    dims, K = workload.dims, len(arch.storage)
    sl = slots(arch)
    per_dim = [list(splits(workload.bounds[d], len(sl))) for d in dims]
    out = set()
    for choice in itertools.product(*per_dim):
        f = {s: [[1] * len(dims) for _ in range(K)] for s in "TXY"}
        for j, parts in enumerate(choice):
            for (k, s), v in zip(sl, parts):
                f[s][k][j] = v
        if valid(arch, workload, constraints, keep, f["T"], f["X"], f["Y"]):
            out.add(tuple(v for s in "TXY" for row in f[s] for v in row))
    return out


def rows(tilings) -> set[Row]:
    """CP-SAT's enumeration in the same flattened form."""
    n = len(tilings)
    flat = [a.reshape(n, a.shape[1] * a.shape[2])
            for a in (tilings.temporal, tilings.spatial_x, tilings.spatial_y)]
    return {tuple(int(v) for a in flat for v in a[b]) for b in range(n)}
