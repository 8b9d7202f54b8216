"""The capacity floors of the open levels in one bounding pass over parked partial tilings.

Each open level gets one :class:`~mapper.model.bound.FillFloor` per group of rows that share
what the floors depend on (the level's keep set, the spatial factors above it, the energy a
filled word costs at least): every kept data space's own floor of its fills, and the joint
floor of all of them over the one tile and innermost loop above it that they share
(``docs/OPTIMAL_SEARCH.md``).

The joint floor raises the energy bound, not the fills. A word of data space i filled into
level k is written there (TIMELOOP_SEMANTICS §8: fills use ``write``), and the next level p
that keeps i serves k's fills: a read of p each (and an update of p each, for read-write
data: the drained partial sum; both less p's partition, a constant), once per group of k's
instances under one of p that take distinct words (where a fan-out between spreads a
dimension i does not project on, one access serves the group: ``G`` reads of p per word
per instance of k, over p's instances; where links may serve them, p's actions are left
out). With ``a_i`` those energies per word (per vector
access / block size, times the instances charged, ``cost.clusters_charged``), every
completion spends at least ``sum_i a_i (f_i - m_i) - slack`` more than the bound, ``f_i``
its fills per instance, ``m_i`` the bound's, ``slack`` what rounding up to whole vector
accesses can take back ((b - 1) / b of an access per instance, action and data space).
Since ``sum_i a_i f_i >= J`` (the joint floor), the bound's energy can be raised by
``max(0, J - sum_i a_i m_i - slack)``.

Data that passes level k on its way from p to a keeper below joins the sum: every word new
to k's tile (the hull of what k's children use in one iteration of the loops above k) is in
no buffer below k, whose tiles all lie in k's previous tile, so p serves it; ``F_i(E, a)``
of that tile bounds what p serves per instance of k (per group, as above), ``m_i`` being
the bound's. p reads each such word and, for read-write data (partial sums that bypass k),
also takes it back as an update: p's reads are what it serves less its partition (the
first touches, a constant) and its updates all of it (TIMELOOP_SEMANTICS §5), so a word
costs a read and an update of p. Only data without stride gaps (``bound.no_stride_gaps``)
is taken, from a keeper below that is fixed, and at one open level only: the floors of the
open levels are added up, so no two may count the same actions, and every open level the
data passes on its way to p, like an open keeper below whose next keeper is p, would count
p's reads again. The level is the lowest open one or the highest below p with a floor
(:class:`PassingAt`); the search takes the larger of the two bounds.

At the lowest open level k, what k serves the next keeper below joins the sum as well
(``FillFloor.served_words``, ``OpenLevelFloors._served``): k's reads and updates of the
words that enter the child's tile on each visit of k's tile (the child, fixed, holds at
most its tile when a visit begins), one access per group of the child's instances with the
same tile, where no link can serve them. Data passing k from a
fixed keeper below takes the same words from p through k (``OpenLevelFloors._passed``):
its term is the larger of the words new to k's tile and those.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from enum import Enum
from typing import Callable

import numpy as np

from ..primes import divisors
from ..spec.arch import Arch
from ..spec.workload import Workload
from .bound import FillFloor, ServedChild, no_stride_gaps, unsplit
from .cost import (ActionEnergies, charged_instances, filled_word_actions, per_word,
                   word_energy)
from .nest import level_tile_extents, product_rows, rank_extents
from .result import BatchResult


class FloorCache:
    """The floor tables of one model, kept across passes (oldest dropped first)."""

    #: bytes of tables kept at most (each table at most FillFloor.MAX_SHAPES entries per data
    #: space and one more for the joint floor: 1 MiB each), the newest always
    KEPT_BYTES = 256 << 20
    #: table entries built per pass at most: a batch spanning many spatial groups gets no
    #: floor for the groups past it (no floor is still a bound), so one call stays short
    #: (measured: 1,017 tables, 32 s in one call on the exercises' tutorial 06)
    BUILDS = 32
    BUILD_SHAPES = 1 << 21
    #: whether the joint floor raises the energy bound (off: each data space's own floor only)
    JOINT = True

    def __init__(self, arch: Arch, workload: Workload, projections: list[np.ndarray]):
        self.arch = arch
        self.workload = workload
        self.projections = projections
        self.bounds = np.array([workload.bounds[d] for d in workload.dims], dtype=np.int64)
        self.size = int(np.prod([len(divisors(int(b))) for b in self.bounds], dtype=np.float64))
        self.tables: OrderedDict[tuple, FillFloor] = OrderedDict()
        self.nbytes = 0

    def get(self, key: tuple, build: Callable[[], FillFloor]) -> FillFloor:
        table = self.tables.get(key)
        if table is None:
            table = self.tables[key] = build()
            self.nbytes += table.nbytes
        while self.nbytes > self.KEPT_BYTES and len(self.tables) > 1:       # memory bounded
            _, old = self.tables.popitem(last=False)
            self.nbytes -= old.nbytes
            old.detach()                 # a pass may still use it: no longer on the account
        return table

    def charge(self, nbytes: int) -> None:
        """A kept table's joint tables took (or, negative, freed) ``nbytes``; the next
        :meth:`get` evicts what is over the budget."""
        self.nbytes += nbytes


@dataclass(frozen=True)
class LevelGroups:
    """One open level's rows grouped by what its floors depend on."""

    inverse: np.ndarray                     # (B,) each row's group
    tables: list[FillFloor | None]          # per group (None: over the build budget)
    weights: list[dict[int, float]]         # per group: pJ per word new to the tile
    slack: list[float]                      # per group: what rounding may take back, pJ
    #: per group: the data spaces whose serving of the keeper below joins the joint floor,
    #: with pJ per word of the level's reads and updates (``OpenLevelFloors._served``)
    served: list[dict[int, tuple[float, float]]]
    #: per group: the groups of the level's instances under one of each weighted data
    #: space's next keeper above that take distinct words (``OpenLevelFloors._weights``)
    up_groups: list[dict[int, int]]
    #: per group: the words each served or passed data space's keeper below holds when a
    #: visit of the level's tile begins, at most (:attr:`ServedChild.held`)
    held: list[dict[int, int]]


class PassingAt(Enum):
    """Which open level's joint floor takes the data passing the open levels on its way from
    a fixed keeper below to its next keeper p above: one only, since each would count p's
    reads. The lowest sees the tile nearest the keeper; the highest, the largest tile whose
    buffer's capacity (of the data it keeps) bounds what p serves (simba_like's weights,
    from DRAM past the global buffer and the PE input buffer to the PE weight buffer)."""

    LOWEST = "lowest"
    HIGHEST = "highest"


@dataclass(frozen=True)
class ChildGroups:
    """The next keeper c below a level (fixed) of one data space, seen from the level: the
    groups of c's instances under one of the level that hold distinct words, whether no
    link can serve them (:func:`distinct_groups`), and the words of the data space in c's
    tile."""

    groups: int
    unlinked: bool
    tile_words: int


class OpenLevelFloors:
    """The floors of one pass: ``fills(i)`` for :class:`~mapper.model.bound.DataSpaceBound`,
    and ``excess(counts)`` (the sum of ``joint_excess(k, counts)`` over the open levels) for
    the energy bound."""

    def __init__(self, cache: FloorCache, keep: tuple[frozenset, ...],
                 energies: ActionEnergies, temporal: np.ndarray, spatial: np.ndarray,
                 fixed_through: int, passing_at: PassingAt = PassingAt.LOWEST):
        """``keep``: the skeleton's keep sets per level; ``temporal``, ``spatial`` (K, D, B)
        the parked partial tilings, fixed through level ``fixed_through``; ``passing_at``:
        where passing data joins a joint floor."""
        self.cache = cache
        self.fixed_through = fixed_through
        self.keep = keep
        self.energies = energies
        self.temporal = temporal
        self.spatial = spatial
        self.budget = min(cache.BUILD_SHAPES, cache.BUILDS * cache.size)
        self._levels: dict[int, LevelGroups] = {}
        #: per level, the data spaces passing it (index -> next keeper above)
        self.passing: dict[int, dict[int, int]] = {}
        names = cache.workload.ds_names
        self.kept = [[i for i, n in enumerate(names) if n in keep[k]] for k in range(len(keep))]
        self.outermost = [max(k for k in range(len(keep)) if n in keep[k]) for n in names]
        self.passing_at = passing_at
        #: per data space passing the lowest open level from a fixed keeper below: the open
        #: level whose joint floor takes it (:class:`PassingAt`)
        self.passing_level = self._passing_levels(passing_at)

    def _passing_levels(self, at: PassingAt) -> dict[int, int]:
        """Per data space with a keeper at or below ``fixed_through`` whose next keeper p
        above is not the lowest open level: the open level (below p) that takes it. The
        highest is the highest that keeps some data below its outermost keeper (a level
        without one has no joint floor); the lowest is the lowest open level."""
        names, K, low = self.cache.workload.ds_names, len(self.keep), self.fixed_through + 1
        out = {}
        for i, n in enumerate(names):
            if not any(n in self.keep[j] for j in range(low)):
                continue
            p = min(j for j in range(low, K) if n in self.keep[j])
            if p == low:
                continue
            floors = [j for j in range(low, p)
                      if any(j < self.outermost[m] for m in self.kept[j])]
            out[i] = max(floors) if at is PassingAt.HIGHEST and floors else low
        return out

    def passing_higher(self) -> OpenLevelFloors | None:
        """The floors of the same pass with passing data at the highest open level, where
        that differs (:class:`PassingAt`); its excess is a bound as well, so the larger
        counts. It takes what is left of this pass's build budget."""
        high = self._passing_levels(PassingAt.HIGHEST)
        if high == self.passing_level:
            return None
        other = OpenLevelFloors(self.cache, self.keep, self.energies, self.temporal,
                                self.spatial, self.fixed_through, PassingAt.HIGHEST)
        other.budget = self.budget
        return other

    def excess(self, counts: dict) -> np.ndarray | None:
        """(B,) the sum of :meth:`joint_excess` over the open levels (None: no joint
        floor)."""
        total = None
        for k in range(self.fixed_through + 1, len(self.keep)):
            x = self.joint_excess(k, counts)
            if x is not None:
                total = x if total is None else total + x
        return total

    def fills(self, i: int) -> Callable[[int], np.ndarray | None]:
        """``floor(k)``: (B,) the least fills of data space i into open level k (or None)."""
        def floor(k: int) -> np.ndarray | None:
            return self._lookup(k, lambda table, extents, g: table(i, extents))
        return floor

    def joint_excess(self, k: int, counts: dict) -> np.ndarray | None:
        """(B,) pJ that every completion spends at level k and the levels it reads from
        beyond the bound whose counts are ``counts`` (data space name ->
        :class:`~mapper.model.access.DataSpaceCounts`); None where level k has no joint
        floor."""
        parts = self.joint_parts(k, counts)
        if parts is None:
            return None
        floor, bound = parts
        excess = floor - bound
        excess[~np.isfinite(excess)] = 0.0
        return np.maximum(excess, 0.0, out=excess)

    def tile_excess(self, k: int, counts: dict, rows: np.ndarray, extents: np.ndarray
                    ) -> np.ndarray | None:
        """(n,) what :meth:`excess` claims for the completions of rows ``rows`` whose tile at
        level k is ``extents`` (D, n): level k's joint floor at that tile itself, not the
        least over the tiles that contain the fixed part (inf where it does not fit), the
        other open levels' as they are. None: no joint floor at k."""
        parts = self.joint_parts(k, counts)
        if parts is None:
            return None
        level = self.level_groups(k)
        floor = np.full(len(rows), -np.inf)
        groups = level.inverse[rows]
        for g in np.unique(groups):
            table = level.tables[g]
            at = np.flatnonzero(groups == g)
            got = None if table is None else \
                table.joint_floor(extents[:, at], level.held[g], exact=True)
            if got is not None:
                floor[at] = got
        excess = floor - parts[1][rows]
        excess[np.isnan(excess) | (excess == -np.inf)] = 0.0
        np.maximum(excess, 0.0, out=excess)
        for j in range(self.fixed_through + 1, len(self.keep)):
            if j != k and (x := self.joint_excess(j, counts)) is not None:
                excess += x[rows]
        return excess

    def joint_parts(self, k: int, counts: dict) -> tuple[np.ndarray, np.ndarray] | None:
        """(J, its share of the bound) (B,) each, in pJ: level k's joint floor, and what the
        bound whose counts are ``counts`` already spends on the same words (``sum_i a_i
        m_i`` and the rounding slack): :meth:`joint_excess` is their difference where
        positive. None where level k has no joint floor."""
        if not self.cache.JOINT:
            return None
        level = self.level_groups(k)
        if all(len(w) + len(sv) < 2 for w, sv in zip(level.weights, level.served)):
            return None
        floor = self._lookup(k, lambda table, extents, g: table.joint_floor(
            extents, level.held[g]), np.inf)
        if floor is None:
            return None
        spent = np.zeros_like(floor)
        wl = self.cache.workload
        for g, (w, slack) in enumerate(zip(level.weights, level.slack)):
            rows = level.inverse == g
            for i, a in w.items():
                c = counts[wl.ds_names[i]]
                if i in self.passing[k]:           # what the next keeper above serves
                    p = self.passing[k][i]         # (per instance of k: one of G groups)
                    bound = (c.reads[p] + c.partition[p] if wl.data_spaces[i].read_write
                             else c.reads[p]) / level.up_groups[g][i]
                elif wl.data_spaces[i].read_write:  # the fills before the first touches
                    bound = c.fills[k] + c.partition[k]
                else:
                    bound = c.fills[k]
                spent[rows] += a * bound[rows]
            for i, (a_read, a_update) in level.served[g].items():
                c = counts[wl.ds_names[i]]
                # what k serves the keeper below: G D_c reads (less k's partition, for
                # read-write data) and G D_c updates (access.py)
                reads = c.reads[k] + c.partition[k] if wl.data_spaces[i].read_write \
                    else c.reads[k]
                spent[rows] += a_read * reads[rows] + a_update * c.updates[k][rows]
            spent[rows] += slack
        return floor, spent

    def joint_floor(self, k: int) -> tuple[np.ndarray, list[dict[int, float]],
                                           list[dict[int, tuple[float, float]]]] | None:
        """Level k's joint floor (B,) in pJ, each row's weights (data space index -> pJ per
        word new to k's tile) and what it serves below (data space index -> pJ per read and
        per update of k); None where there is none."""
        level = self.level_groups(k)
        floor = self._lookup(k, lambda table, extents, g: table.joint_floor(
            extents, level.held[g]), np.inf)
        if floor is None:
            return None
        return floor, [level.weights[g] for g in level.inverse], \
            [level.served[g] for g in level.inverse]

    def _lookup(self, k: int, read, missing=None) -> np.ndarray | None:
        level = self.level_groups(k)
        if not any(t is not None for t in level.tables):
            return None
        extents = level_tile_extents(self.temporal, self.spatial, k)            # (D, B)
        out = None
        for g, table in enumerate(level.tables):
            if table is None:
                continue
            rows = np.flatnonzero(level.inverse == g)
            got = read(table, extents[:, rows], g)
            if got is None:
                continue
            if out is None:
                out = np.zeros(extents.shape[1], dtype=got.dtype)
                if missing is not None:
                    out[:] = missing
            out[rows] = got
        return out

    def level_groups(self, k: int) -> LevelGroups:
        """Level k's row groups, their tables (None: over budget) and joint weights."""
        got = self._levels.get(k)
        if got is not None:
            return got
        cache = self.cache
        wl, arch = cache.workload, cache.arch
        K = len(self.keep)
        above = np.prod(self.spatial[k + 1:], axis=0)                           # (D, B)
        own = [i for i in self.kept[k] if k < self.outermost[i]]
        parents = {i: min(p for p in range(k + 1, K) if wl.ds_names[i] in self.keep[p])
                   for i in range(len(wl.ds_names)) if k < self.outermost[i]}
        # data passing level k from a keeper above to one below, without stride gaps
        # (every word of its tile is read): each word new to k's tile is read from above
        # (and, read-write, updated there; module docstring). From a fixed keeper below,
        # at one open level (self.passing_level): every open level it passes, and an open
        # keeper below, would count the same reads of p again
        keepers = {i: [j for j in range(k) if wl.ds_names[i] in self.keep[j]] for i in parents}
        passing = {i: parents[i] for i in parents if i not in own
                   and self.passing_level.get(i) == k
                   and no_stride_gaps(cache.projections[i])}
        self.passing[k] = passing
        weighted = own + sorted(passing) if cache.JOINT else own
        # per weighted data space: the groups of k's instances under one of its next keeper
        # p above that take distinct words, whether no link serves them (then p reads what
        # k's subtree takes, once per group), and p's instances
        up_rows = []
        for i in weighted:
            p = parents[i]
            up_rows += [*distinct_groups(cache.projections[i],
                                         np.prod(self.spatial[k + 1: p + 1], axis=0),
                                         cache.bounds),
                        np.prod(self.spatial[p + 1:], axis=(0, 1))]
        up_rows = np.array(up_rows, dtype=np.int64).reshape(-1, above.shape[1])
        # the next keeper below of each data space k keeps, where k is the lowest open
        # level (a joint floor of an open level below would count k's reads again)
        children = {}
        if cache.JOINT and k == self.fixed_through + 1:
            for i in own:
                if keepers[i]:
                    children[i] = max(keepers[i])
        # and of each data space passing k: p serves that keeper through k
        passed = {i: max(keepers[i]) for i in passing} if cache.JOINT else {}
        reached = {**children, **passed}
        # per child: the groups of its instances under one of k that hold distinct words,
        # whether no link can serve them, and the words of its tile (fixed: what it holds
        # when a visit of k's tile begins, at most)
        served_rows = []
        for i, c in sorted(reached.items()):
            between = np.prod(self.spatial[c + 1: k + 1], axis=0)               # (D, B)
            served_rows += list(distinct_groups(cache.projections[i], between, cache.bounds))
            tile = np.prod(self.temporal[: c + 1] * self.spatial[: c + 1], axis=0)
            served_rows.append(product_rows(rank_extents(cache.projections[i], tile)))
        served_rows = np.array(served_rows, dtype=np.int64).reshape(-1, above.shape[1])
        groups, inverse = distinct_columns(np.concatenate([above, up_rows, served_rows]))
        if not own:
            n = groups.shape[1]
            got = self._levels[k] = LevelGroups(inverse, [None] * n, [{}] * n, [0.0] * n,
                                                [{}] * n, [{}] * n, [{}] * n)
            return got
        kept = [cache.projections[i] for i in self.kept[k]]
        level = arch.storage[k]
        tables, weights, slacks, served, up_groups, held = [], [], [], [], [], []
        D = above.shape[0]
        for g in range(groups.shape[1]):
            spatial_above = groups[:D, g]
            ups = {i: tuple(int(x) for x in groups[D + 3 * n: D + 3 * n + 3, g])
                   for n, i in enumerate(weighted)}
            at = D + 3 * len(weighted)
            child_groups = {i: ChildGroups(int(groups[at + 3 * n, g]),
                                           bool(groups[at + 3 * n + 1, g]),
                                           int(groups[at + 3 * n + 2, g]))
                            for n, i in enumerate(sorted(reached))}
            inst = int(np.prod(spatial_above))
            w, slack = self._weights(k, inst, weighted, parents, ups)
            children_g, per_word, slack_served = self._served(k, inst, spatial_above,
                                                              children, child_groups)
            passed_g = self._passed(spatial_above, passed, child_groups, w)
            weights.append(w)
            up_groups.append({i: ups[i][0] for i in w})
            held.append({i: c.held for i, c in (children_g | passed_g).items()})
            slacks.append(slack + slack_served)
            served.append(per_word)
            projections = {i: cache.projections[i] for i in own + [i for i in w if i not in own]}
            key = (k, self.keep[k], spatial_above.tobytes(), tuple(projections),
                   tuple(sorted(w.items())) if cache.JOINT else (),
                   tuple((i, c.groups, c.weight) for i, c in sorted(children_g.items())),
                   tuple((i, c.groups) for i, c in sorted(passed_g.items())))
            if key not in cache.tables:
                cost = cache.size * len(projections)
                if self.budget < cost:
                    tables.append(None)
                    continue
                self.budget -= cost
            tables.append(cache.get(key, lambda: FillFloor(
                projections, cache.bounds, level.effective_capacity, kept, spatial_above,
                w if cache.JOINT else None, floors_of=own, served=children_g,
                passed=passed_g, charge=cache.charge)))
        got = self._levels[k] = LevelGroups(inverse, tables, weights, slacks, served,
                                            up_groups, held)
        return got

    @staticmethod
    def _split_alone(A: np.ndarray) -> np.ndarray:
        """(D,) the dimensions a fan-out may split while its children keep distinct words of
        a data space (projection ``A``) and no link is possible: the dimension projects on
        ranks, each of them of that dimension alone with coefficient 1. Their
        translations are then distinct (no multicast: ``G = F``), every rank they move is
        rigid (``bound.links_possible``), and the shares' footprints are the tile's / F."""
        alone = (A != 0).sum(axis=1) == 1                                        # (R,)
        touches = A != 0                                                          # (R, D)
        good_rank = alone[:, None] & (A == 1)
        return touches.any(axis=0) & ~(touches & ~good_rank).any(axis=0)

    def _served(self, k: int, inst: int, spatial_above: np.ndarray, children: dict[int, int],
                child_groups: dict[int, ChildGroups]
                ) -> tuple[dict[int, ServedChild], dict[int, tuple[float, float]], float]:
        """The data spaces whose words level k serves to the next keeper c below join k's
        joint floor (``FillFloor.served_words``), with what k spends per word served: a read
        (and an update, for read-write data) of k, per vector access / block size, times the
        instances charged; and the rounding slack of those. ``child_groups``: per data
        space, c seen from k (:class:`ChildGroups`). Only where k serves each
        group its own words, ``G D_c`` in all (access.py): that, and for read-write data no
        fan-out above k splits the data space (k's partition is then all of it, in the bound
        as in every completion; read-only data counts no partition)."""
        e = self.energies
        wl = self.cache.workload
        table, per_word, slack = {}, {}, 0.0
        for i, c in children.items():
            child = child_groups[i]
            if not child.unlinked or (wl.data_spaces[i].read_write
                                      and not unsplit(self.cache.projections[i],
                                                      spatial_above)):
                continue
            read = self._per_word(k, e.read[k], inst)
            update = self._per_word(k, e.update[k], inst) if wl.data_spaces[i].read_write \
                else (0.0, 0.0)
            a = read[0] + update[0]
            if not np.isfinite(a) or a <= 0:
                continue
            table[i] = ServedChild(child.groups, self._held(c, child), a)
            per_word[i] = (read[0], update[0])
            slack += read[1] + update[1]
        return table, per_word, slack

    def _passed(self, spatial_above: np.ndarray, passed: dict[int, int],
                child_groups: dict[int, ChildGroups], weights: dict[int, float]
                ) -> dict[int, ServedChild]:
        """The data spaces passing level k whose keeper c below (``passed``: index -> c)
        takes from p through k words that ``FillFloor.served_words`` bounds, on the terms of
        :meth:`_served` (no link serves c's instances, no fan-out above k splits read-write
        data), where they join k's joint floor with ``weights`` (p's read and update per
        word, per group of k's instances: :meth:`_weights`)."""
        table = {}
        for i, c in passed.items():
            child = child_groups[i]
            if i not in weights or not child.unlinked or (
                    self.cache.workload.data_spaces[i].read_write
                    and not unsplit(self.cache.projections[i], spatial_above)):
                continue
            table[i] = ServedChild(child.groups, self._held(c, child), weights[i])
        return table

    def _held(self, c: int, child: ChildGroups) -> int:
        """The words of a data space the fixed keeper c holds when a visit begins, at most:
        its tile's (a buffer holds one tile, TIMELOOP_SEMANTICS §3), and no more than its
        capacity."""
        capacity = self.cache.arch.storage[c].effective_capacity
        return child.tile_words if capacity is None else min(int(capacity), child.tile_words)

    def _per_word(self, level: int, energy: float, inst: int) -> tuple[float, float]:
        """(pJ per word, rounding slack in pJ) of one action of a level with ``inst``
        instances (:func:`~mapper.model.cost.per_word` over the instances charged)."""
        spec = self.cache.arch.storage[level]
        return per_word(spec, energy, int(charged_instances(spec, inst)))

    def _weights(self, k: int, inst: int, weighted: list[int], parents: dict[int, int],
                 ups: dict[int, tuple[int, int, int]]) -> tuple[dict[int, float], float]:
        """pJ per word new to level k's tile of each data space (at least), and the rounding
        slack of all of them (module docstring): a kept word's write into k (over k's
        ``inst`` instances) and its read (and update, for read-write data) at the next
        keeper p; a passing word's read (and update) at p. ``ups``: per data space, the
        groups of k's instances under one of p that take distinct words, whether no link
        serves them, and p's instances: p reads what each group takes once (TIMELOOP_SEMANTICS
        §4-5), so a word per instance of k costs ``G`` reads over p's instances; where links
        may serve them, p's actions are left out."""
        arch = self.cache.arch
        wl = self.cache.workload
        weights, slack = {}, 0.0
        for i in weighted:
            p = parents[i]
            groups, unlinked, inst_p = ups[i]
            actions = filled_word_actions(
                self.energies, k if wl.ds_names[i] in self.keep[k] else None,
                p if unlinked else None, groups, wl.data_spaces[i].read_write)
            if not actions:
                continue
            a, slack = word_energy(arch, actions, lambda level: int(charged_instances(
                arch.storage[level], inst if level == k else inst_p)), slack)
            if np.isfinite(a) and a > 0:
                weights[i] = a
        if not np.isfinite(slack):
            return {}, 0.0
        return weights, slack


@dataclass(frozen=True)
class TileBound:
    """A bound of partial tilings (``Model.tile_bound``) and what bounds their completions
    whose tile at one open level k is given: ``base``, the bound's energy before the joint
    floors' excess, plus the excess of each placement of passing data (each a bound, so the
    largest counts) with level k's joint floor taken at that tile itself
    (:meth:`OpenLevelFloors.tile_excess`). A completion's tile at k is one of the tiles the
    floor of the partial tiling ranges over, so this is at least the partial tiling's own
    joint excess, and every completion with that tile spends at least as much."""

    result: BatchResult
    base: np.ndarray                                    # (B,) pJ
    placements: tuple[OpenLevelFloors, ...]

    def energy(self, k: int, rows: np.ndarray, extents: np.ndarray) -> np.ndarray:
        """(n,) pJ every completion of partial tilings ``rows`` whose tile at level k is
        ``extents`` (D, n) spends, at least."""
        most = np.zeros(len(rows))
        for floors in self.placements:
            got = floors.tile_excess(k, self.result.counts, rows, extents)
            if got is None:
                got = floors.excess(self.result.counts)
                got = None if got is None else got[rows]
            if got is not None:
                np.maximum(most, got, out=most)
        return self.base[rows] + most


def distinct_groups(A: np.ndarray, between: np.ndarray, bounds: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """(B,) the groups of a child's instances under one instance of a level whose tiles of a
    data space (projection ``A``) differ, ``between`` (D, B) the spatial factors from the
    child up to that level: the product of the factors of the dimensions the data space
    projects on (a dimension it does not project on spreads copies of one tile: multicast,
    or spatial reduction for partial sums, served by one access; TIMELOOP_SEMANTICS §4); and
    (B,) whether no link can serve them: every rank is of one dimension whose bound
    (``bounds`` (D,)) exceeds 1, the others never looping nor spread (then every rank is
    rigid, ``bound.links_possible``), or every dimension the fan-outs spread is one of
    :meth:`OpenLevelFloors._split_alone`."""
    touches = (A != 0).any(axis=0)                                                # (D,)
    groups = np.prod(np.where(touches[:, None], between, 1), axis=0)
    if (((A != 0) & (bounds > 1)[None]).sum(axis=1) <= 1).all():
        return groups, np.ones(between.shape[1], dtype=np.int64)
    split_ok = OpenLevelFloors._split_alone(A)
    return groups, (~((between > 1) & ~split_ok[:, None]).any(axis=0)).astype(np.int64)


def distinct_columns(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct columns, inverse (B,)) of a (D, B) array of small non-negative integers:
    ``np.unique(x, axis=1, return_inverse=True)``, through one packed integer per column
    where the varying rows fit 63 bits (numpy's column-wise unique sorts structured rows,
    which cost a search more than the bound it served)."""
    varying = np.flatnonzero((x != x[:, :1]).any(axis=1)) if x.shape[1] else np.arange(0)
    if not len(varying):
        return x[:, :1], np.zeros(x.shape[1], dtype=np.intp)
    bits = [max(int(x[r].max()).bit_length(), 1) for r in varying]
    if x.min() < 0 or sum(bits) > 63:
        groups, inverse = np.unique(x, axis=1, return_inverse=True)
        return groups, inverse.reshape(-1)
    key = np.zeros(x.shape[1], dtype=np.int64)
    for r, b in zip(varying, bits):
        key <<= b
        key |= x[r]
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    return x[:, first], inverse.reshape(-1)
