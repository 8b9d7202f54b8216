"""The one validity predicate of the search: a mapping is valid when the model finds it valid
(capacity of the kept tiles, fan-out) and it breaks none of the user's constraints, judged as
``mapper model`` judges them (:func:`mapper.spec.constraints.check_mapping`: factors,
permutations, splits, keep/bypass, utilization; loops with factor 1 do not count).

:func:`valid_mask` is that predicate over a batch, vectorized: the factor, keep and
utilization rules are array comparisons, and the permutation and split rules are judged once
per distinct pattern of non-unit loops by the very function ``check_mapping`` uses
(``order_allows``). Every mapping the search keeps, as its incumbent or as a seed of the hill
climbing, passed it; :func:`verified_best` checks the returned mapping once more, with
``check_mapping`` itself, and raises :class:`InvalidResult` (a bug, never a user error) rather
than return a mapping ``mapper model`` would reject.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..model.batch import MappingBatch
from ..model.evaluate import Model
from ..model.result import BatchResult, Evaluation
from ..spec.arch import Arch
from ..spec.constraints import Constraints, LoopOrder, check_mapping, order_allows


class InvalidResult(RuntimeError):
    """The search was about to return a mapping the model or the constraints reject: a bug of
    the search, reported as such."""


@lru_cache(maxsize=65536)
def _allows(order: LoopOrder | None, split: int | None, n: int, x: tuple[str, ...],
            y: tuple[str, ...] = ()) -> bool:
    return order_allows(order, split, n, x, y)


def _patterns(nonunit: np.ndarray):
    """(pattern, rows) of each distinct row of a (B, D) bool array (rows packed into one
    integer each, so the grouping is a 1-D unique)."""
    if nonunit.shape[1] == 0:
        yield np.zeros(0, bool), np.arange(len(nonunit))
        return
    packed = nonunit.astype(np.int64) @ (np.int64(1) << np.arange(nonunit.shape[1],
                                                                 dtype=np.int64))
    keys, first, inverse = np.unique(packed, return_index=True, return_inverse=True)
    if len(keys) == 1:
        yield nonunit[0], np.arange(len(nonunit))
        return
    order = np.argsort(inverse, kind="stable")
    for f, rows in zip(first, np.split(order, np.cumsum(np.bincount(inverse))[:-1])):
        yield nonunit[f], rows


def constraint_mask(batch: MappingBatch, constraints: Constraints, arch: Arch) -> np.ndarray:
    """(B,) which mappings of the batch break none of the constraints (``check_mapping``'s
    rules, row by row)."""
    sk = batch.skeleton
    dims, n = sk.dims, len(sk.dims)
    index = {d: j for j, d in enumerate(dims)}
    ok = np.ones(len(batch), dtype=bool)
    for k, lc in enumerate(constraints.levels):
        for rule in lc.dataspaces:
            if (rule.ds in sk.keep[k]) != rule.keep:
                return np.zeros(len(batch), dtype=bool)
        for nest, factors in ((lc.temporal, batch.temporal[:, k]),
                              (lc.spatial, batch.spatial[:, k])):
            for b in nest.factors:
                f = factors[:, index[b.dim]]
                ok &= (f >= b.lo) & (f <= b.hi)
        order = lc.temporal.order
        if order is not None:
            loops = [index[d] for d in sk.temporal_order[k]]
            for pattern, rows in _patterns(batch.temporal[:, k] > 1):
                x = tuple(dims[j] for j in loops if pattern[j])
                if not _allows(order, n, n, x):
                    ok[rows] = False
        nest = lc.spatial
        if nest.order is not None or nest.split is not None:
            spatial = [index[d] for d in sk.spatial_order[k]]
            on_x, on_y = spatial[:sk.split[k]], spatial[sk.split[k]:]
            for pattern, rows in _patterns(batch.spatial[:, k] > 1):
                x = tuple(dims[j] for j in on_x if pattern[j])
                y = tuple(dims[j] for j in on_y if pattern[j])
                if not _allows(nest.order, nest.split, n, x, y):
                    ok[rows] = False
    if constraints.min_utilization is not None:
        used = batch.spatial.reshape(len(batch), -1).prod(axis=1)
        ok &= used / arch.compute.instances >= constraints.min_utilization
    return ok


def valid_mask(batch: MappingBatch, result: BatchResult, constraints: Constraints,
               arch: Arch) -> np.ndarray:
    """(B,) the search's validity: the model's (``result.valid``) and the constraints',
    the latter judged only for the rows the model finds valid."""
    valid = np.asarray(result.valid, dtype=bool).copy()
    rows = np.flatnonzero(valid)
    if len(rows) and len(rows) < len(batch):
        valid[rows] = constraint_mask(batch.take(rows), constraints, arch)
    elif len(rows):
        valid &= constraint_mask(batch, constraints, arch)
    return valid


def verified_best(model: Model, constraints: Constraints, one: MappingBatch) -> Evaluation:
    """The evaluation of the search's result (a batch of one), after checking it as ``mapper
    model`` does; :class:`InvalidResult` if the model or a constraint rejects it."""
    ev = model.evaluation(model.evaluate(one), 0)
    broken = [str(v) for v in check_mapping(ev.mapping, model.arch, model.workload, constraints)]
    if not ev.valid or broken:
        reasons = "; ".join([*ev.violations, *broken])
        raise InvalidResult(f"internal error: the search chose a mapping that is not valid "
                            f"({reasons}); this is a bug of the search, please report it "
                            f"with the input files")
    return ev
