"""``optimal``: branch and bound over the space of ``exhaustive``. A lower bound of the
objective over all loop orders of a tiling (``model/bound.py``), and over all completions of a
partial tiling whose spatial factors are fixed, discards what cannot beat the incumbent (the
best mapping found so far, seeded by a hybrid search); the rest is evaluated like
``exhaustive``. When it finishes, its best mapping is proven optimal; why each rule discards
nothing that could win: ``docs/OPTIMAL_SEARCH.md``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from ..mapspace.orders import embedding, supersequence
from ..mapspace.space import Tilings
from ..model.batch import MappingBatch
from ..model.bound import Bound, innermost_candidates
from ..model.floors import TileBound
from ..model.nest import level_tile_extents
from .algorithm import Budget, Share
from .batches import row_groups, skeleton_for, support_groups
from .state import OutOfTime, SearchState
from .stopping import StopReason


class BranchAndBound:
    name = "optimal"
    proves_optimality = True

    #: partial tilings bounded per model batch (memory stays near this many rows per level)
    PIECE = 16384
    #: partial tilings passed down together to the next level, best bound first
    DESCEND = 512
    #: whole tilings held (factor columns, int32) before their loop orders are visited: at
    #: first FIRST_HOLD (the first tilings reached have the best bounds of the depth-first
    #: walk: visiting them early gives an incumbent that prunes the rest), then twice as many
    #: at every visit up to HOLD (larger batches)
    FIRST_HOLD = 1 << 10
    HOLD = 1 << 20
    #: ... or after this many seconds of bounding since the last visit, so that a tight
    #: bound that lets few tilings through still yields incumbents early (the result does
    #: not depend on when tilings are visited, only the time to reach it)
    HOLD_SECONDS = 1.0
    #: keep choices per worker from which parallel workers split the keep choices (with
    #: fewer, one keep choice's work would fall to one worker)
    KEEP_SPLIT = 4
    #: sharpening (:meth:`_sharpened`) runs the model once per candidate innermost loop of
    #: each level; it pays where the rows it prunes would cost the stages below more than
    #: it does. Whole tilings: always (:meth:`_sharpened_if_paying`). Per keep choice and
    #: stage of partial tilings it runs on the first SHARPEN_SAMPLE rows that may
    #: improve, then while the model rows it spared (rows pruned times the model rows a row
    #: passed on from the stage has cost below it so far, visits included) are at least
    #: SHARPEN_MARGIN times those it spent, and every SHARPEN_PROBE-th time regardless; the
    #: yield grows as the incumbent improves, so each improvement starts a new sample.
    #: Skipping it only leaves a bound lower: nothing that could win is discarded either way.
    SHARPEN_SAMPLE = 256
    SHARPEN_MARGIN = 1.0
    SHARPEN_PROBE = 8

    def run(self, state: SearchState, share: Share = Share(),
            rng: np.random.Generator | None = None, budget: Budget = Budget()) -> StopReason:
        """Branch and bound of this worker's share of the space, depth first over the levels
        from the innermost (``docs/OPTIMAL_SEARCH.md``).

        1. The spatial factors first (all fan-outs), then the temporal factors level by
           level from the innermost: a stage's choices are enumerated in bounded pieces for
           the partial tilings that survived before it; each partial tiling is bounded over
           every completion and loop order (``Bound.fixed_through``) and dropped when it
           cannot beat the incumbent; the survivors go down best bound first.
        2. Whole tilings are bounded by their partial tiling's bound with the joint floor
           at their own tile of the level below the outermost (a lookup each), then those
           that may still win over every loop order; the survivors' loop orders are
           enumerated outermost level first, every order of a level bounded over the orders
           still open inside it.
        A bound is compared with the incumbent when it is used, so every improvement prunes
        what follows. Memory is a few pieces per level whatever the space.
        """
        self.state, self.share = state, share
        self.model, self.space, self.objective = state.model, state.space, state.objective
        self.progress = state.progress
        self.progress.phase = "optimal"
        #: the levels' permutation constraints: the bounds range over the orders they allow
        self.orders = tuple(lc.temporal.order for lc in self.space.constraints.levels)
        # How parallel workers split the space: by keep choice where there are enough of
        # them (each worker then bounds and visits only its own, nothing twice), else by
        # whole tiling (:func:`tiling_owner`; each walks the partial tilings).
        self.split_keeps = share.count > 1 and \
            len(self.space.keep_choices) >= self.KEEP_SPLIT * share.count
        self.split_tilings = share.count > 1 and not self.split_keeps
        self.work = StageWork(len(self.space.arch.storage))
        try:
            for keep, spatial in self._keep_choices_best_first():
                self._held: list[tuple[np.ndarray, np.ndarray]] = []
                self._held_rows = 0
                self._hold_limit = self.FIRST_HOLD
                self._held_since = time.monotonic()
                self._sharpening: dict[int | None, SharpeningYield] = {}
                self._sharpening_at = self.state.incumbent_key()
                if spatial is None:
                    self._descend(-1, *self.space.root(), keep)
                else:
                    for d, r, keys in spatial:
                        self._go_down(-1, d, r, keys, keep)
                self._hold(None, keep)
        except OutOfTime:
            return StopReason.TIME_LIMIT
        return StopReason.FINISHED

    def _keep_choices_best_first(self):
        """(keep sets, their bounded spatial stage as (done, rest, keys) pieces) in the order
        of the best bound of their spatial stage, so that the keep choice most likely to hold
        the optimum gives the first incumbent (the others are then pruned by it). On a
        one-level arch the spatial stage is the last one: (keep, None), in the given order."""
        mine = [(i, keep) for i, keep in enumerate(self.space.keep_choices)
                if not self.split_keeps or i % self.share.count == self.share.index]
        if len(self.space.arch.storage) < 2:
            return [(keep, None) for _, keep in mine]
        staged = []
        for i, keep in mine:
            pieces, best = [], None
            for d, r in self.space.expand(-1, *self.space.root(), keep, self.PIECE):
                if self.state.out_of_time():
                    raise OutOfTime
                keys = self._bound_keys(self.space.parked(d, r, -1), keep, -1)
                pieces.append((d, r, keys))
                if len(keys):
                    low = tuple(keys[np.lexsort(keys.T[::-1])[0]])
                    best = low if best is None else min(best, low)
            staged.append((best is None, best or (), i, keep, pieces))
        staged.sort(key=lambda s: s[:3])
        return [(keep, pieces) for *_, keep, pieces in staged]

    def _descend(self, k: int, done: np.ndarray, rest: np.ndarray, keep,
                 bounds: np.ndarray | None = None) -> None:
        """Extend ``done`` (through level k - 1) to level k (k = -1: the spatial factors),
        bound, and go on with the survivors; through the level below the outermost, hold the
        whole tilings for their visit. ``bounds``: (n, columns) the bound key of each row of
        ``done``, a bound of its extensions too."""
        K = len(self.space.arch.storage)
        # (a one-level arch has no partial tilings before its whole ones)
        tiles = self._tile_bounds(done, rest, keep, bounds) if k == K - 2 >= 0 else None
        for d, r in self.space.expand(k, done, rest, keep, self.PIECE):
            if self.state.out_of_time():
                raise OutOfTime
            if k == K - 2:
                columns = self.space.finish(d, r, keep)
                if self.split_tilings:
                    columns = columns[tiling_owner(columns, self.share.count) ==
                                      self.share.index]
                if len(columns) and tiles is not None:
                    ok = self._may_improve_at_their_tile(columns, done, tiles)
                    self.progress.pruned += int((~ok).sum())
                    columns = columns[ok]
                self._hold(columns, keep)
                continue
            self.progress.phase = "optimal: bounding " + \
                (f"level {self.space.arch.storage[k].name}" if k >= 0 else "spatial factors")
            self.state.show()
            parked = self.space.parked(d, r, k)
            self._go_down(k, d, r, self._sharpened_if_paying(
                parked, self._bound_keys(parked, keep, k), keep, k), keep)

    def _tile_bounds(self, done: np.ndarray, rest: np.ndarray, keep,
                     bounds: np.ndarray | None = None
                     ) -> tuple[list[tuple[np.ndarray, TileBound]], np.ndarray]:
        """The bounds of partial tilings fixed through the level below the one below the
        outermost (``done``, ``rest``), in (rows, :class:`TileBound`) per support group, to
        bound each whole tiling they lead to at its own tile at the level below the
        outermost (:meth:`_may_improve_at_their_tile`); and the rows' ``bounds`` (their
        bound keys, -inf where not given)."""
        K = len(self.space.arch.storage)
        parked = self.space.parked(done, rest, K - 3)
        orders = tuple(self.space.dims for _ in self.space.arch.storage)
        out = []
        for rows in support_groups(self.space, parked, temporal=False):
            for a in range(0, len(rows), self.model.PASS):
                part = rows[a:a + self.model.PASS]
                sk = skeleton_for(self.space, parked, part, orders, keep)
                self.work.spent[self.work.depth(None)] += len(part)
                out.append((part, self.model.tile_bound(
                    MappingBatch(sk, parked.temporal[part], parked.spatial[part]),
                    Bound(fixed_through=K - 3, orders=self.orders))))
        return out, np.full((len(done), self.objective.columns), -np.inf) \
            if bounds is None else bounds

    def _may_improve_at_their_tile(self, columns: np.ndarray, done: np.ndarray, tiles
                                   ) -> np.ndarray:
        """(n,) whether whole tilings (factor columns) may beat the incumbent by the bound of
        the partial tiling each extends (``done``, bounded in ``tiles``) with the joint floor
        of the level below the outermost taken at their own tile there, not the least over
        the tiles that fit (``TileBound``, ``docs/OPTIMAL_SEARCH.md``): a lookup per tiling,
        where the bound over their loop orders is a model pass each."""
        K = len(self.space.arch.storage)
        tiles, bounds = tiles
        parent = parent_rows(columns, done)
        tilings = self.space.assemble(columns, self.space.slot_order(K - 1))
        extents = level_tile_extents(tilings.temporal.transpose(1, 2, 0),
                                     tilings.spatial.transpose(1, 2, 0), K - 2)   # (D, n)
        ok = np.ones(len(columns), dtype=bool)
        position = np.full(len(done), -1)
        for rows, tile in tiles:
            position[:] = -1
            position[rows] = np.arange(len(rows))
            mine = np.flatnonzero(parent >= 0)
            mine = mine[position[parent[mine]] >= 0]
            if not len(mine):
                continue
            at = position[parent[mine]]
            energy = tile.energy(K - 2, at, extents[:, mine])
            keys = self.objective.key_with_energy(tile.result, at, energy)
            # the partial tiling's own bound (sharpened) bounds its extensions as well
            np.maximum(keys, bounds[parent[mine]], out=keys)
            ok[mine] = self.state.may_improve(keys)
        return ok

    def _go_down(self, k: int, d: np.ndarray, r: np.ndarray, keys: np.ndarray, keep) -> None:
        """Go on to level k + 1 with the partial tilings through level k whose bounds may
        beat the incumbent, best bound first, a few at a time."""
        ok = self.state.may_improve(keys)
        self.progress.pruned += int((~ok).sum())
        self.work.passed[self.work.depth(k)] += int(ok.sum())
        order = np.flatnonzero(ok)[np.lexsort(keys[ok].T[::-1])]
        for i in range(0, len(order), self.DESCEND):
            rows = order[i:i + self.DESCEND]
            rows = rows[self.state.may_improve(keys[rows])]          # the incumbent moved
            if len(rows):
                self._descend(k + 1, d[rows], r[rows], keep, keys[rows])

    def _hold(self, columns: np.ndarray | None, keep) -> None:
        """Bound whole tilings (factor columns, this worker's: :meth:`_descend` splits them)
        over every loop order and hold those that may beat the incumbent; when ``_hold_limit`` of them are held (None: at the end), visit
        them best bound first. Memory stays bounded; when everything fits, the visit is best first over
        the whole space."""
        if columns is not None and len(columns):
            self.progress.phase = "optimal: bounding tilings"
            self.state.show()
            where = self.space.slot_order(len(self.space.arch.storage) - 1)
            tilings = self.space.assemble(columns, where)
            keys = self._bound_keys(tilings, keep, valid=True)     # sharpened at the visit
            ok = self.state.may_improve(keys)
            self.progress.pruned += int((~ok).sum())
            if ok.any():
                self._held.append((columns[ok].astype(np.int32), keys[ok]))
                self._held_rows += int(ok.sum())
        overdue = time.monotonic() - self._held_since >= self.HOLD_SECONDS
        if self._held and (columns is None or self._held_rows >= self._hold_limit or overdue):
            held, self._held, self._held_rows = self._held, [], 0
            if not overdue:
                self._hold_limit = min(2 * self._hold_limit, self.HOLD)
            self._visit(np.concatenate([h[0] for h in held]),
                        np.concatenate([h[1] for h in held]), keep)
            self._held_since = time.monotonic()

    def _visit(self, columns: np.ndarray, keys: np.ndarray, keep) -> None:
        """Enumerate the loop orders of whole tilings, best bound first, while their bounds
        may beat the incumbent."""
        where = self.space.slot_order(len(self.space.arch.storage) - 1)
        order = np.lexsort(keys.T[::-1])
        levels = list(reversed(range(len(self.space.arch.storage))))
        chosen = [self.space.dims] * len(levels)
        for i in range(0, len(order), self.PIECE):
            rows = order[i:i + self.PIECE]
            keep_rows = self.state.may_improve(keys[rows])
            self.progress.pruned += int((~keep_rows).sum())
            rows = rows[keep_rows]
            if not len(rows):
                self.progress.pruned += max(len(order) - i - self.PIECE, 0)
                break                                     # sorted: the rest cannot win
            # sharpened here, a piece at a time, not as each tiling is held: the same
            # bound in a few large model batches instead of many small ones, and only on
            # the tilings the incumbent of their visit still lets through
            part = self.space.assemble(columns[rows].astype(np.int64), where)
            sharp = self._sharpened_if_paying(part, keys[rows].copy(), keep)
            ok = self.state.may_improve(sharp)
            self.progress.pruned += int((~ok).sum())
            if not ok.any():
                continue
            sel = np.flatnonzero(ok)[np.lexsort(sharp[ok].T[::-1])]
            rows = rows[sel]
            part = Tilings(part.temporal[sel], part.spatial[sel], part.on_y[sel])
            self.progress.phase = "optimal: loop orders"
            for group in support_groups(self.space, part, temporal=False):
                if self._orders(part, group, levels, chosen, keep):
                    raise OutOfTime

    def _sharpened_if_paying(self, tilings: Tilings, keys: np.ndarray, keep,
                             fixed_through: int | None = None) -> np.ndarray:
        """:meth:`_sharpened` where this stage's sharpening has paid so far (SHARPEN_*), else
        the keys as they are; the stage's yield is updated with what it prunes, and measured
        afresh whenever the incumbent improves."""
        best = self.state.incumbent_key()
        if best != self._sharpening_at:       # a better incumbent: its yield is to be seen
            self._sharpening, self._sharpening_at = {}, best
        if fixed_through is None:
            # whole tilings: always. A tiling it lets through is visited, and the visits of
            # those it would prune (loose bounds) cost most, which an average visit misprices
            # (output_stationary layer2.0.conv2, seeded: 23 s sharpening them all, 32 s
            # priced at the average visit: 860,000 mappings evaluated against 9,000)
            return self._sharpened(tilings, keys, keep)
        got = self._sharpening.setdefault(fixed_through, SharpeningYield())
        got.calls += 1
        below = self.work.below(fixed_through)
        if got.given >= self.SHARPEN_SAMPLE and below is not None and \
                got.pruned * below < self.SHARPEN_MARGIN * got.spent and \
                got.calls % self.SHARPEN_PROBE:
            return keys
        before = int(self.state.may_improve(keys).sum())
        spent = self.work.spent[self.work.depth(fixed_through)]
        keys = self._sharpened(tilings, keys, keep, fixed_through)
        got.spent += self.work.spent[self.work.depth(fixed_through)] - spent
        got.given += before
        got.pruned += before - int(self.state.may_improve(keys).sum())
        return keys

    def _sharpened(self, tilings: Tilings, keys: np.ndarray, keep,
                   fixed_through: int | None = None) -> np.ndarray:
        """Raise the bounds of tilings that may beat the incumbent (whole tilings, or partial
        ones through level ``fixed_through`` in the parked form).

        The bound over all loop orders lets each data space assume its own best innermost
        loop at a level, while a real order has one for all. So, level by level where that
        loop is open (two candidates or more), take the least bound over the dimension of
        the loop (``Bound.innermost``; every order has one): a bound of every order, and the
        largest of these over the levels too. A partial tiling's levels through
        ``fixed_through`` have their final loops, so the same holds for every completion,
        and so it does for its parked loops: one of them is the innermost of the open
        levels in every completion. Each column of a key is raised to the least of its own
        metric over the candidates, so each stays a bound of its own metric (what
        :meth:`SearchState.may_improve` compares)."""
        dims = self.space.dims
        K = len(self.space.arch.storage)
        levels = range(K) if fixed_through is None else \
            [*range(fixed_through + 1), K - 1]        # K - 1: where the open loops are parked
        for level in reversed(levels):               # outer levels prune most: first
            live = np.flatnonzero(self.state.may_improve(keys))
            if not len(live):
                break
            # the parked loops of a partial tiling may go to any open level: no constraint
            order = None if fixed_through is not None and level > fixed_through \
                else self.orders[level]
            cand = innermost_candidates(order, tilings.temporal[live, level].T > 1,
                                        dims)                                   # (D, n)
            open_ = cand.sum(axis=0) >= 2
            rows, cand = live[open_], cand[:, open_]
            if not len(rows):
                continue
            least = np.full((len(rows), keys.shape[1]), np.inf)
            for j, d in enumerate(dims):
                at = np.flatnonzero(cand[j])
                if len(at):
                    sub = rows[at]
                    part = Tilings(tilings.temporal[sub], tilings.spatial[sub], tilings.on_y[sub])
                    got = self._bound_keys(part, keep, fixed_through,
                                           valid=fixed_through is None, innermost=(level, d))
                    least[at] = np.minimum(least[at], got)
            keys[rows] = np.maximum(keys[rows], least)
        return keys

    def _bound_keys(self, tilings: Tilings, keep, fixed_through: int | None = None,
                    valid: bool = False, innermost: tuple[int, str] | None = None
                    ) -> np.ndarray:
        """(B, n) lower bounds of the objective key of every loop order of each tiling (and
        every completion, with ``fixed_through``); +inf where ``valid`` and the tiling cannot
        be valid (capacity and fan-out do not depend on the loop order)."""
        keys = np.empty((len(tilings), self.objective.columns))
        orders = tuple(self.space.dims for _ in self.space.arch.storage)
        # over every order: also price each candidate innermost loop of the levels
        # _sharpened visits in the same pass (whole tilings: the outermost level only, the
        # others are rarely reached)
        K = len(orders)
        self.work.spent[self.work.depth(fixed_through)] += len(tilings)
        excess_at = () if innermost is not None else (K - 1,) if fixed_through is None \
            else (*range(1, fixed_through + 1), K - 1)
        for rows in support_groups(self.space, tilings, temporal=False):
            sk = skeleton_for(self.space, tilings, rows, orders, keep)
            result = self.model.evaluate(MappingBatch(sk, tilings.temporal[rows],
                                                      tilings.spatial[rows]),
                                         Bound(fixed_through=fixed_through, orders=self.orders,
                                               innermost=innermost,
                                               innermost_excess=excess_at))
            keys[rows] = self.objective.key(result)
            if result.innermost_excess is not None:
                keys[rows] = np.maximum(keys[rows], self._least_over_innermost(result))
            if valid:
                keys[rows[~result.valid]] = np.inf
        return keys

    def _least_over_innermost(self, result) -> np.ndarray:
        """(B, columns) the largest over the levels whose excess energy ``result`` carries
        (``Bound.innermost_excess``) of the least key over their candidate innermost loops,
        each column on its own: every order has one of them innermost at each level, and
        each candidate's orders spend at least its excess more, at no fewer cycles; the
        metrics grow with energy (weights are non-negative), so each column is a bound of
        its metric over every order, as :meth:`_sharpened` takes it, without a model pass
        per candidate."""
        most = np.full((len(result), self.objective.columns), -np.inf)
        with np.errstate(invalid="ignore"):
            for level in result.innermost_excess:                 # (D, B) each
                if not level.any():
                    continue                                      # nothing claimed
                least = np.full((len(result), self.objective.columns), np.inf)
                for more in level:
                    finite = np.isfinite(more)
                    if not finite.any():
                        continue
                    got = self.objective.key(replace(result, energy=result.energy + more))
                    np.minimum(least, np.where(finite[:, None], got, np.inf), out=least)
                np.maximum(most, least, out=most)
        return most

    def _level_plan(self, nonunit: np.ndarray, level: int, keep
                    ) -> list[tuple[tuple[str, ...], np.ndarray]]:
        """The loop orders of one level to visit for a set of tilings, each with the
        positions of the tilings it serves: one order per class of equal counts of each
        tiling's non-unit loops (``MapSpace.order_classes``), shared between tilings whose
        non-unit loops differ wherever one full order restricts to each's class
        representative (unit loops are not in the nest, so such tilings see the same order).
        Sharing makes fewer, larger model batches."""
        dims = self.space.dims
        plan: dict[tuple[str, ...], list[np.ndarray]] = {}
        for group in row_groups(nonunit):
            present = tuple(d for j, d in enumerate(dims) if nonunit[group[0], j])
            mine = set(present)
            served = {tuple(d for d in full if d in mine): full for full in plan}
            for full in self.space.order_classes(level, present, keep):
                loops = tuple(d for d in full if d in mine)
                target = served.setdefault(loops, full)
                plan.setdefault(target, []).append(group)
        return [(full, np.sort(np.concatenate(groups))) for full, groups in plan.items()]

    def _orders(self, tilings: Tilings, rows: np.ndarray, levels: list[int], chosen: list,
                keep) -> bool:
        """Whether the search must stop (time limit or a stop request), after every class of
        loop orders of the tilings ``rows`` (one fan-out axis pattern), outermost level
        first. Where a level has several orders to visit and the levels inside it are still
        open, each order is bounded over the orders inside it (``Bound.exact_from``) and the
        orders are visited best bound first."""
        if not levels:
            self.work.spent[-1] += len(rows)
            sk = skeleton_for(self.space, tilings, rows, tuple(chosen), keep)
            self.state.consider(MappingBatch(sk, tilings.temporal[rows], tilings.spatial[rows]))
            return self.state.out_of_time()
        level, inner = levels[0], levels[1:]
        plan = self._level_plan(tilings.temporal[rows, level] > 1, level, keep)
        # bounding the orders of this level pays only if some level inside still has
        # several classes of orders to tell apart
        open_inside = len(plan) > 1 and any(
            len(self._level_plan(tilings.temporal[rows, k] > 1, k, keep)) > 1 for k in inner)
        if not open_inside:
            if len(plan) > 1:
                return self._classes_together(tilings, rows, level, plan, inner, chosen, keep)
            for order, at in plan:
                chosen[level] = order
                if self._orders(tilings, rows[at], inner, chosen, keep):
                    return True
            return False
        # Bound every order of this level first (the classes together), then visit them
        # best bound first.
        bounded = []
        for part, batch in self._together(tilings, rows, level, plan, chosen, keep):
            self.work.spent[-1] += len(batch)
            keys = self.objective.key(self.model.evaluate(
                batch, Bound(exact_from=level, orders=self.orders)))
            at_row = 0
            for order, at in part:
                bounded.append((order, rows[at], keys[at_row:at_row + len(at)]))
                at_row += len(at)
            if self.state.out_of_time():
                return True
        bounded.sort(key=lambda ob: tuple(ob[2].min(axis=0)))
        for order, g, keys in bounded:
            ok = self.state.may_improve(keys)
            self.progress.pruned += int((~ok).sum())
            if not ok.any():
                continue
            chosen[level] = order
            if self._orders(tilings, g[ok], inner, chosen, keep):
                return True
        return False

    def _together(self, tilings: Tilings, rows: np.ndarray, level: int, plan,
                  chosen: list, keep):
        """The classes of loop orders of ``level`` (``plan``) as few model batches: (part of
        the plan, its batch), the rows of each class in turn. The classes' orders merge into
        one supersequence order with each mapping's loops placed where its own order puts
        them (``MappingBatch.placement``: the model's figures, and its bounds with
        ``exact_from`` at or below ``level``, are those of each mapping's own order). Model
        calls cost per batch, not per row: this is what makes a level with hundreds of
        classes cheap. At most PIECE rows per batch (one class may exceed it)."""
        dims = self.space.dims
        start = 0
        while start < len(plan):
            stop, size = start, 0
            while stop < len(plan) and (stop == start or
                                        size + len(plan[stop][1]) <= self.PIECE):
                size += len(plan[stop][1])
                stop += 1
            part = plan[start:stop]
            start = stop
            if len(part) == 1:
                (order, at), = part
                chosen[level] = order
                g = rows[at]
                sk = skeleton_for(self.space, tilings, g, tuple(chosen), keep)
                yield part, MappingBatch(sk, tilings.temporal[g], tilings.spatial[g])
                continue
            every = np.concatenate([rows[at] for _, at in part])
            active = (tilings.temporal[every, level] > 1).any(axis=0)
            loops = [tuple(d for d in order if active[dims.index(d)]) for order, _ in part]
            sup = supersequence(loops)
            sup += tuple(d for d in dims if d not in sup)          # unit everywhere
            placement = np.zeros((len(every),) + tilings.temporal.shape[1:], dtype=np.int64)
            at_row = 0
            for seq, (_, at) in zip(loops, part):
                for d, nth in embedding(seq, sup).items():
                    placement[at_row:at_row + len(at), level, dims.index(d)] = nth
                at_row += len(at)
            chosen[level] = sup
            sk = skeleton_for(self.space, tilings, every, tuple(chosen), keep)
            yield part, MappingBatch(sk, tilings.temporal[every], tilings.spatial[every],
                                     placement)

    def _classes_together(self, tilings: Tilings, rows: np.ndarray, level: int, plan,
                          inner: list[int], chosen: list, keep) -> bool:
        """Evaluate every class of loop orders of ``level`` (the levels inside it have one
        class each) in few model calls (:meth:`_together`); only the mappings that may beat
        the incumbent are then considered in their own orders, so what the search keeps
        and returns is unchanged. Returns whether the search must stop."""
        served = np.ones(len(rows), dtype=bool)    # rows with an allowed order inside
        for k in inner:
            inside = self._level_plan(tilings.temporal[rows, k] > 1, k, keep)
            if not inside:
                return False
            (chosen[k], at), = inside
            here = np.zeros(len(rows), dtype=bool)
            here[at] = True
            served &= here
        plan = [(order, at[served[at]]) for order, at in plan if served[at].any()]
        for part, batch in self._together(tilings, rows, level, plan, chosen, keep):
            self.work.spent[-1] += len(batch)
            result = self.model.evaluate(batch)
            ok = result.valid & self.state.may_improve(self.objective.key(result))
            self.progress.evaluated += int(len(batch) - ok.sum())
            self.progress.valid += int((result.valid & ~ok).sum())
            at_row = 0
            for order, at in part:
                start, at_row = at_row, at_row + len(at)
                mine = ok[start:at_row]
                if not mine.any():
                    continue
                chosen[level] = order
                g = rows[at]
                sk = skeleton_for(self.space, tilings, g, tuple(chosen), keep)
                # each in its own order; the figures are the batch's (the same per mapping,
                # MappingBatch.placement), so the model does not run again
                own = MappingBatch(sk, tilings.temporal[g[mine]], tilings.spatial[g[mine]])
                self.state.consider(own, result.take(start + np.flatnonzero(mine), own))
                if self.state.out_of_time():
                    return True
            if self.state.out_of_time():
                return True
        return False


@dataclass
class SharpeningYield:
    """What one stage's sharpening has done in one keep choice: times asked, rows given
    that might improve, how many of them it pruned, and the model rows it spent."""

    calls: int = 0
    given: int = 0
    pruned: int = 0
    spent: int = 0


class StageWork:
    """Model rows spent per stage of the branch and bound, and rows each stage passed on:
    what a row passed on from a stage has cost the stages below it, on average so far
    (:meth:`below`), prices what sharpening spares by pruning it. Depths: the spatial
    stage (0), the partial tilings fixed through each level below the outermost but one,
    the whole tilings, the loop-order visits (last)."""

    def __init__(self, levels: int):
        self.spent = np.zeros(levels + 1, dtype=np.int64)
        self.passed = np.zeros(levels + 1, dtype=np.int64)

    def depth(self, fixed_through: int | None) -> int:
        return len(self.spent) - 2 if fixed_through is None else fixed_through + 1

    def below(self, fixed_through: int | None) -> float | None:
        """Model rows per row passed on from the stage, spent below it (None: none passed
        on yet)."""
        at = self.depth(fixed_through)
        if not self.passed[at]:
            return None
        return float(self.spent[at + 1:].sum()) / float(self.passed[at])


def parent_rows(columns: np.ndarray, done: np.ndarray) -> np.ndarray:
    """(n,) the row of ``done`` (partial tilings, factor columns) that each of ``columns``
    (their extensions: the same first columns, then more) extends; -1 where none does."""
    P = done.shape[1]
    if P == 0:
        return np.zeros(len(columns), dtype=np.int64) if len(done) else \
            np.full(len(columns), -1, dtype=np.int64)
    # random odd multipliers (fixed): distinct rows of small factors collide with odds of
    # about 2^-63 a pair, where multipliers in arithmetic progression collide often
    mix = np.random.default_rng(0x5EED).integers(0, 1 << 62, P, dtype=np.uint64) * \
        np.uint64(2) + np.uint64(1)
    mine = (done.astype(np.uint64) * mix).sum(axis=1, dtype=np.uint64)
    theirs = (columns[:, :P].astype(np.uint64) * mix).sum(axis=1, dtype=np.uint64)
    order = np.argsort(mine, kind="stable")
    at = np.minimum(np.searchsorted(mine[order], theirs), len(order) - 1)
    found = order[at]
    same = (done[found] == columns[:, :P]).all(axis=1)   # a hash may collide: checked
    return np.where(same, found, -1)


def tiling_owner(columns: np.ndarray, workers: int) -> np.ndarray:
    """(B,) the worker each whole tiling (factor columns in slot order) belongs to: a hash of
    its factors alone, so every tiling is exactly one worker's whatever was pruned."""
    mix = np.arange(1, columns.shape[1] + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    h = (columns.astype(np.uint64) * mix).sum(axis=1, dtype=np.uint64)
    h ^= h >> np.uint64(31)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(29)
    return (h % np.uint64(workers)).astype(np.int64)
