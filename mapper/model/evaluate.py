"""The analytical model: (architecture, workload, energy tables) x mapping batch -> results.

One :class:`Model` per (arch, workload, tables); :meth:`Model.evaluate` takes a
:class:`MappingBatch` and returns a :class:`BatchResult` with no Python loop per mapping.
:meth:`Model.evaluate_mapping` is the same code on a batch of one, returning an
:class:`Evaluation`. This is the single analytical core used by the CLI, search and reports.

A pass over a batch is Timeloop's model in named steps (:meth:`Model._evaluate_pass`):
the loop nest and its tile shapes (``nest.py``), the per-data-space deltas, access counts
and multicast (``access.py``), the utilized instances of the fan-outs, the cycles under the
bandwidths (``perf.py``), the energy (``cost.py``) and the validity. Where the arrays live
is ``arena.Memory``'s business alone.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from energy import ReferenceTables

from ..spec.arch import Arch
from ..spec.mapping import Axis, Mapping
from ..spec.workload import Workload
from .access import Carries, DataSpaceCounts, data_space_counts
from .batch import MappingBatch, Skeleton
from .bound import Bound, DataSpaceBound, DeltaBound, LoopsAbove
from .floors import FloorCache, OpenLevelFloors, TileBound
from .cost import (ActionEnergies, action_energies, clusters_charged, filled_word_actions,
                   storage_energy, word_energy)
from .arena import Memory
from .nest import Nest, NestShape, active_slots
from .perf import level_cycles, utilization
from .ramp import RampRule
from .result import BatchResult, DataSpaceStats, Evaluation, LevelStats


@dataclass(frozen=True)
class KeepPlan:
    """What a skeleton's keep sets decide, once per skeleton: ``keep[i][k]`` whether level k
    keeps data space i; ``reported`` (K, DS) the levels that report a data space (its keepers
    up to its outermost one); ``energies`` the action energies of the levels that report."""

    keep: list[list[bool]]
    reported: np.ndarray
    energies: ActionEnergies


@dataclass(frozen=True)
class Cycles:
    """Per level (K, B) cycles under its bandwidths and slowdown; the run's (B,) cycles."""

    level: np.ndarray
    slowdown: np.ndarray
    total: np.ndarray


@dataclass(frozen=True)
class Energy:
    """pJ, arrays with the batch last: dynamic per level and data space (K, DS, B), of the
    computes (B,), leakage per level (K, B) and of the compute level (B,), and the total."""

    data_spaces: np.ndarray
    compute: np.ndarray
    leak: np.ndarray
    compute_leak: np.ndarray
    total: np.ndarray


def utilized_instances(nest: Nest) -> tuple[np.ndarray, np.ndarray]:
    """(K, B) utilized instances of each level: the product of the spatial loops of all the
    levels above it; and (B,) the MACs used (level 0's spatial loops on top)."""
    K, B = len(nest.spatial_end), nest.batch_size
    inst = nest.out.empty((K, B))
    inst[K - 1] = 1
    for k in range(K - 2, -1, -1):
        if nest.spatial_end[k + 1] > nest.boundary[k + 1]:       # level k+1 fans out
            np.multiply(inst[k + 1], nest.fanout_used[k + 1], out=inst[k])
        else:
            inst[k] = inst[k + 1]
    return inst, inst[0] * nest.fanout_used[0]


class Model:
    def __init__(self, arch: Arch, workload: Workload, tables: ReferenceTables | None = None):
        self.arch = arch
        self.workload = workload
        self.tables = tables
        self.projections = [ds.projection(workload.dims) for ds in workload.data_spaces]
        self._energies: dict[frozenset, ActionEnergies] = {}
        self._shapes: dict[tuple, NestShape] = {}
        self._keep_plans: dict[Skeleton, KeepPlan] = {}
        #: where the arrays of the evaluations live (the performance machinery, arena.py)
        self.memory = Memory()
        self._delta_bounds: dict[int, DeltaBound] = {}
        #: the capacity floors of the open levels of partial tilings (floors.py)
        self.floors = FloorCache(arch, workload, self.projections)
        #: the ramp rule every result carries (its ramps are computed only when asked)
        self.ramp = RampRule(arch, workload)

    #: nest shapes kept (one per skeleton and pattern of present loops; oldest dropped first)
    SHAPES_KEPT = 512

    def _shape(self, batch: MappingBatch) -> NestShape:
        """The static nest structure of the batch's skeleton and present loops (cached)."""
        active = active_slots(batch)
        key = (batch.skeleton, active[0].tobytes(), active[1].tobytes())
        shape = self._shapes.get(key)
        if shape is None:
            if len(self._shapes) >= self.SHAPES_KEPT:
                del self._shapes[next(iter(self._shapes))]
            shape = self._shapes[key] = NestShape(batch.skeleton, *active)
        return shape

    def nest(self, batch: MappingBatch, out=None) -> Nest:
        """The batch's nest, on the static structure shared by all batches of its pattern;
        its arrays come from arenas sized from the last batch of that pattern."""
        shape = self._shape(batch)
        B = len(batch)
        if out is None:
            out = self.memory.results(batch.skeleton, B)
        return Nest(batch, shape, out, self.memory.work(shape, B))

    def _keeping(self, sk) -> KeepPlan:
        """The skeleton's :class:`KeepPlan` (cached)."""
        static = self._keep_plans.get(sk)
        if static is None:
            arch, wl = self.arch, self.workload
            K = len(arch.storage)
            if sk.n_levels != K:
                raise ValueError(f"the mapping has {sk.n_levels} levels, the arch {K}")
            keep = [[ds.name in sk.keep[k] for k in range(K)] for ds in wl.data_spaces]
            reported = np.zeros((K, len(wl.data_spaces)), dtype=bool)
            for i, (ds, kp) in enumerate(zip(wl.data_spaces, keep)):
                if not any(kp):
                    raise ValueError(f"data space {ds.name!r} is kept at no storage level; the "
                                     f"outermost level ({arch.storage[-1].name}) must keep it")
                outermost = max(k for k in range(K) if kp[k])
                reported[: outermost + 1, i] = kp[: outermost + 1]
            used = frozenset(k for k in range(K) if reported[k].any())
            if used not in self._energies:
                self._energies[used] = action_energies(arch, self.tables, set(used))
            static = self._keep_plans[sk] = KeepPlan(keep, reported, self._energies[used])
        return static

    def _delta_bound(self, i: int) -> DeltaBound:
        if i not in self._delta_bounds:
            bounds = np.array([self.workload.bounds[d] for d in self.workload.dims])
            self._delta_bounds[i] = DeltaBound(self.projections[i], bounds)
        return self._delta_bounds[i]

    # ------------------------------------------------------------------ batch
    #: mappings per pass: a pass's work rows (64 KiB) stay below glibc's mmap threshold and
    #: its arrays near the caches; a larger batch is evaluated in equal passes, each writing
    #: its columns of the result (arena.Columns)
    PASS = 8192

    def evaluate(self, batch: MappingBatch, bound: Bound | None = None) -> BatchResult:
        """Counts, cycles and energy of every mapping of the batch; with ``bound``, lower
        bounds of them over the loop orders (and completions) that ``bound`` leaves open."""
        B = len(batch)
        if B <= self.PASS:
            return self._evaluate_pass(batch, bound=bound)
        n = -(-B // self.PASS)
        bounds = [B * i // n for i in range(n + 1)]
        columns = self.memory.passes(batch.skeleton, B)
        parts = [self._evaluate_pass(batch.take(slice(a, b)), columns.window(a, b), bound)
                 for a, b in zip(bounds, bounds[1:])]

        def whole(arrays):
            return columns.whole(arrays[0]) if columns.whole(arrays[0]) is not None \
                else np.concatenate(arrays, axis=-1)
        result = parts[0]
        fields = {f.name: whole([getattr(p, f.name) for p in parts])
                  for f in dataclasses.fields(BatchResult)
                  if isinstance(getattr(result, f.name), np.ndarray) and f.name != "reported"}
        counts = {name: DataSpaceCounts(**{f.name: whole([getattr(p.counts[name], f.name)
                                                           for p in parts])
                                           for f in dataclasses.fields(DataSpaceCounts)})
                  for name in result.counts}
        return dataclasses.replace(result, batch=batch, counts=counts, **fields)

    def tile_bound(self, batch: MappingBatch, bound: Bound) -> TileBound:
        """The bound of partial tilings (``bound.fixed_through``; at most PASS of them), with
        what bounds their completions whose tile at an open level is given
        (:class:`~mapper.model.floors.TileBound`)."""
        if bound.fixed_through is None or len(batch) > self.PASS:
            raise ValueError("tile_bound: partial tilings, at most PASS of them")
        floors: list = []
        result = self._evaluate_pass(batch, bound=bound, floors_out=floors)
        return TileBound(result, *floors) if floors else TileBound(result, result.energy, ())

    def _evaluate_pass(self, batch: MappingBatch, out=None,
                       bound: Bound | None = None, floors_out: list | None = None
                       ) -> BatchResult:
        """Evaluate a batch of at most PASS mappings; ``out``: where the result arrays go;
        ``floors_out``: given, receives the energy before the joint floors' excess and the
        open levels' floors of each placement of passing data (:meth:`tile_bound`).

        Timeloop's model in its order of steps; each step allocates its result arrays in
        the same order in every pass (``arena.Columns`` relies on it)."""
        arch, wl = self.arch, self.workload
        sk = batch.skeleton
        keeping = self._keeping(sk)
        nest = self.nest(batch, out)                              # loops and tile shapes
        floors = loops = None
        if bound is not None:
            # (K, D, B), contiguous: the bounds take many passes over them per level
            temporal = np.ascontiguousarray(batch.temporal.transpose(1, 2, 0))
            spatial = np.ascontiguousarray(batch.spatial.transpose(1, 2, 0))
            # where a partial tiling's parked loops may land: its open levels that are not
            # dummies (a dummy level carries a fan-out and unit temporal factors)
            landing = () if bound.fixed_through is None else tuple(
                k for k in range(bound.fixed_through + 1, len(arch.storage))
                if not arch.storage[k].is_dummy)
            loops = LoopsAbove(temporal, spatial,
                               bound.order_facts(sk.temporal_order, wl.dims, batch.placement),
                               landing)
            if bound.fixed_through is not None:
                floors = OpenLevelFloors(self.floors, sk.keep, keeping.energies, temporal,
                                         spatial, bound.fixed_through)
        # the levels whose delta sums the pins of Bound.innermost_excess decide
        K = len(arch.storage)
        pinned = {} if bound is None else {
            L: j for L in bound.innermost_excess
            if (j := bound.pinned_fills(L, K)) is not None}
        per_loop = [dict() for _ in wl.data_spaces]
        parent_reads = [dict() for _ in wl.data_spaces]
        counts = self._access_counts(batch, nest, keeping.keep, bound, floors, loops,
                                     frozenset(pinned.values()), per_loop, parent_reads)
        inst, mac_inst = utilized_instances(nest)
        T = nest.temporal_product
        computes = mac_inst * T
        cycles = self._cycles(nest, counts, keeping.reported)
        energy = self._energy(nest, counts, keeping, inst, mac_inst, computes, cycles.total)
        joint = None
        if floors is not None:
            # the kept data spaces of an open level share its tile (floors.py); passing
            # data joins one open level's floor, the lowest or the highest: both bound
            joint = floors.excess(counts)
            higher = floors.passing_higher()
            if floors_out is not None:
                floors_out += [energy.total.copy(),
                               (floors,) if higher is None else (floors, higher)]
            other = None if higher is None else higher.excess(counts)
            if other is not None:
                joint = other if joint is None else np.maximum(joint, other, out=joint)
            if joint is not None:
                np.add(energy.total, joint, out=energy.total)
        excess = None
        if pinned:
            excess = self._innermost_excess(pinned, nest, counts, keeping, inst, per_loop,
                                            parent_reads, joint)
        capacity_used, valid = self._validity(nest, counts, keeping.keep)
        self.memory.used(sk, nest.shape, nest.out, nest.scratch, len(batch))
        return BatchResult(
            batch=batch, ds_names=wl.ds_names, counts=counts, reported=keeping.reported.copy(),
            utilized_instances=inst, level_cycles=cycles.level, slowdown=cycles.slowdown,
            ds_energy=energy.data_spaces, compute_energy=energy.compute, computes=computes,
            mac_instances_used=mac_inst, leak_energy=energy.leak,
            compute_leak_energy=energy.compute_leak, compute_cycles=T.copy(),
            cycles=cycles.total, energy=energy.total, energies=keeping.energies,
            utilization=utilization(computes, arch.compute.instances, cycles.total),
            valid=valid, capacity_used=capacity_used, fanout_x_used=nest.fanout_x,
            fanout_y_used=nest.fanout_y, ramp=self.ramp, innermost_excess=excess)

    def _access_counts(self, batch: MappingBatch, nest: Nest, keep: list[list[bool]],
                       bound: Bound | None, floors: OpenLevelFloors | None = None,
                       loops: LoopsAbove | None = None,
                       per_loop_at: frozenset[int] = frozenset(),
                       per_loop: list[dict] | None = None,
                       parent_reads: list[dict] | None = None) -> dict[str, DataSpaceCounts]:
        """Per data space: tiles, the deltas that fill them, reads, updates and multicast
        (TIMELOOP_SEMANTICS §3-5, ``access.py``); with ``bound`` (and the batch's ``loops``
        above each level), lower bounds of them, and the bounds of the levels
        ``per_loop_at`` per innermost loop above them in ``per_loop`` and how their next
        keepers read their fills in ``parent_reads`` (per data space)."""
        wl = self.workload
        # A bound needs the carries only for the levels whose orders it takes as given.
        carries = Carries(nest) if bound is None or bound.exact_from is not None else None
        bounds = [None] * len(wl.data_spaces)
        if bound is not None:
            bounds = [DataSpaceBound(self._delta_bound(i), bound, loops.temporal, loops.spatial,
                                     None if floors is None else floors.fills(i),
                                     loops, per_loop_at,
                                     {} if per_loop is None else per_loop[i],
                                     {} if parent_reads is None else parent_reads[i])
                      for i in range(len(wl.data_spaces))]
        mesh_x = tuple(self.arch.fanout(k)[0] for k in range(len(self.arch.storage)))
        return {ds.name: data_space_counts(nest, carries, self.projections[i], keep[i],
                                           ds.read_write, bounds[i], mesh_x)
                for i, ds in enumerate(wl.data_spaces)}

    def _innermost_excess(self, pinned: dict[int, int], nest: Nest,
                          counts: dict[str, DataSpaceCounts], keeping: KeepPlan,
                          inst: np.ndarray, per_loop: list[dict[int, np.ndarray]],
                          parent_reads: list[dict], joint: np.ndarray | None) -> np.ndarray:
        """(n, D, B) for each level L of ``pinned`` (L -> the level j its innermost loop
        decides, :meth:`Bound.pinned_fills`): pJ that every order (and completion) whose
        innermost loop at L is of each dimension spends beyond the bound's energy, at least
        (inf where no such order is allowed; 0 where nothing is claimed). One pass prices
        every candidate of the search's sharpening (``docs/OPTIMAL_SEARCH.md``), which
        otherwise runs the model once per candidate.

        Only level j's fills are taken: ``DeltaBound.lower_bound(per_loop=True)`` bounds
        them for each dimension of the innermost loop above j, and every other count of
        such an order is still at least the bound's. Where no link between j's instances is
        possible (``bound.links_possible``; else nothing is claimed), a word more filled into
        j is one more written there and, where no fan-out up to the next keeper p links
        either, G more read from p (and updated, for read-write data; G the product of the
        distinct tiles of those fan-outs, access.py): at least the energy per word of each,
        less what rounding to whole vector accesses takes back (:func:`cost.per_word`);
        ``parent_reads`` (per data space, from ``access.py``) says which p and G. The
        counts' energy rises by that much; the joint floors' excess (``joint``) may shrink,
        but not below zero, so the bound is the larger of the bound's energy and its
        counts' energy plus that."""
        arch, wl = self.arch, self.workload
        D, B = len(wl.dims), nest.batch_size
        e = keeping.energies
        charged = clusters_charged(arch, inst)
        out = np.zeros((len(pinned), D, B))
        for n, (L, j) in enumerate(pinned.items()):
            excess, slack = None, 0.0
            for i, ds in enumerate(wl.data_spaces):
                if j not in per_loop[i]:
                    continue         # not kept at j, j its outermost keeper, or links above j
                c = counts[ds.name]
                # the next keeper p reads each delta once per distinct tile of the fan-outs
                # between (multicast), where none of them links
                p, G = parent_reads[i].get(j, (None, 1))
                actions = filled_word_actions(e, j, p, G, ds.read_write)
                if not all(np.isfinite(x.energy) and x.energy > 0 for x in actions):
                    continue
                least = c.fills[j] + c.partition[j] if ds.read_write else c.fills[j]
                every = per_loop[i][j]
                more = np.where(every == np.iinfo(np.int64).max, np.inf,
                                every - least[None])                             # (D, B)
                a, slack = word_energy(arch, actions, lambda k: charged[k], slack)
                excess = a * more if excess is None else excess + a * more
            if excess is not None:
                excess = excess - slack
                if joint is not None:
                    excess = excess - joint
                out[n] = np.maximum(excess, 0.0)
        return out

    def _cycles(self, nest: Nest, counts: dict[str, DataSpaceCounts],
                reported: np.ndarray) -> Cycles:
        """Cycles per level under its bandwidths; overall the slowest level (§7). A level
        without bandwidths takes T cycles (ceil(T / 1.0) = T below 2**53)."""
        arch, wl = self.arch, self.workload
        T = nest.temporal_product
        K, B = len(arch.storage), nest.batch_size
        cyc = nest.out.empty((K, B))
        slow = nest.out.empty((K, B), np.float64)
        exact = B == 0 or T.max() <= 2 ** 53
        T_float = T.astype(np.float64)
        limited = []                                  # levels whose cycles may exceed T
        for k, level in enumerate(arch.storage):
            if exact and (level.read_bandwidth, level.write_bandwidth,
                          level.shared_bandwidth) == (None, None, None):
                cyc[k] = T
                slow[k] = 1.0
                continue
            here = [counts[n] for i, n in enumerate(wl.ds_names) if reported[k, i]] or \
                [counts[wl.ds_names[0]]]                      # all zero at this level
            r = sum(c.reads[k] for c in here)
            w = sum(c.fills[k] + c.updates[k] for c in here)
            cyc[k], slow[k] = level_cycles(level, r, w, T, T_float)
            limited.append(k)
        total = T.copy()
        for k in limited:
            np.maximum(total, cyc[k], out=total)
        return Cycles(cyc, slow, total)

    def _energy(self, nest: Nest, counts: dict[str, DataSpaceCounts], keeping: KeepPlan,
                inst: np.ndarray, mac_inst: np.ndarray, computes: np.ndarray,
                cycles: np.ndarray) -> Energy:
        """Dynamic energy (§8) of every count, then leakage (cost.py): per cycle x utilized
        instances x cycles, for every level that keeps something and for the compute level.
        Counts that are zero in every mapping (a read-only data space's updates, the
        outermost keeper's fills) are passed as None."""
        arch, wl = self.arch, self.workload
        keep, reported, e = keeping.keep, keeping.reported, keeping.energies
        K, B = len(arch.storage), nest.batch_size
        out = nest.out
        ds_energy = out.empty((K, len(wl.data_spaces), B), np.float64)
        charged = clusters_charged(arch, inst)
        for i, ds in enumerate(wl.data_spaces):
            c = counts[ds.name]
            outermost = max(k for k in range(K) if keep[i][k])
            for k in range(K):
                if reported[k, i]:
                    storage_energy(c.reads[k], c.fills[k] if k < outermost else None,
                                   c.updates[k] if ds.read_write else None, charged[k],
                                   arch.storage[k].block_size, e, k, out=ds_energy[k, i])
                else:
                    ds_energy[k, i] = 0.0
        compute_energy = computes * e.compute
        total = ds_energy.sum(axis=(0, 1)) + compute_energy
        leak_energy = out.empty((K, B), np.float64)
        compute_leak_energy = out.empty((B,), np.float64)
        if e.leaks:
            keeps = reported.any(axis=1)
            np.multiply(inst, (e.leak * keeps)[:, None], out=leak_energy)
            leak_energy *= cycles
            np.multiply(mac_inst * cycles, e.compute_leak, out=compute_leak_energy)
            total = total + leak_energy.sum(axis=0) + compute_leak_energy
        else:
            leak_energy[:] = 0.0
            compute_leak_energy[:] = 0.0
        return Energy(ds_energy, compute_energy, leak_energy, compute_leak_energy, total)

    def _validity(self, nest: Nest, counts: dict[str, DataSpaceCounts],
                  keep: list[list[bool]]) -> tuple[np.ndarray, np.ndarray]:
        """(K, B) words of the kept tiles per level and (B,) whether every level holds them
        and every fan-out fits the physical one."""
        arch, wl = self.arch, self.workload
        K, B = len(arch.storage), nest.batch_size
        cap_used = nest.out.empty((K, B))
        valid = np.ones(B, dtype=bool)
        for k, level in enumerate(arch.storage):
            kept = [counts[name].tile[k] for i, name in enumerate(wl.ds_names) if keep[i][k]]
            if kept:
                np.copyto(cap_used[k], kept[0])
                for tile in kept[1:]:
                    cap_used[k] += tile
            else:
                cap_used[k] = 0
            if level.effective_capacity is not None:
                valid &= cap_used[k] <= level.effective_capacity
            fx, fy = arch.fanout(k)
            if nest.spatial_end[k] > nest.boundary[k] or fx < 1 or fy < 1:
                valid &= (nest.fanout_x[k] <= fx) & (nest.fanout_y[k] <= fy)
        return cap_used, valid

    # ------------------------------------------------------------------ one mapping
    def evaluate_mapping(self, mapping: Mapping) -> Evaluation:
        return self.evaluation(self.evaluate(MappingBatch.of([mapping])), 0)

    def violations(self, result: BatchResult, i: int) -> list[str]:
        """Why mapping ``i`` of a batch is invalid, in the user's words."""
        out = []
        for k, level in enumerate(self.arch.storage):
            cap = level.effective_capacity
            used = int(result.capacity_used[k, i])
            if cap is not None and used > cap:
                tiles = ", ".join(
                    f"{n} {int(result.counts[n].tile[k, i])}"
                    for j, n in enumerate(result.ds_names)
                    if n in result.batch.skeleton.keep[k])
                out.append(f"{level.name}: the kept tiles need {used} words ({tiles}) but the "
                           f"level holds {cap} (depth {level.depth} x block size "
                           f"{level.block_size}" + (f" / multiple buffering "
                           f"{level.multiple_buffering:g}" if level.multiple_buffering != 1
                           else "") + ")")
            fx, fy = self.arch.fanout(k)
            for axis, used_f, phys in ((Axis.X, result.fanout_x_used[k, i], fx),
                                       (Axis.Y, result.fanout_y_used[k, i], fy)):
                if used_f > phys:
                    out.append(f"{level.name}: the spatial loops use a fan-out of {int(used_f)} "
                               f"in {axis} but the level has {phys} children in {axis}")
        return out

    def evaluation(self, result: BatchResult, i: int) -> Evaluation:
        """The typed :class:`Evaluation` of mapping ``i`` of a batch result."""
        arch, e = self.arch, result.energies
        storage = []
        for k, level in enumerate(arch.storage):
            dss = {}
            for j, name in enumerate(result.ds_names):
                if not result.reported[k, j]:
                    continue
                c = result.counts[name]
                reads = int(c.reads[k, i])
                dss[name] = DataSpaceStats(
                    reads_per_instance=reads, fills_per_instance=int(c.fills[k, i]),
                    updates_per_instance=int(c.updates[k, i]),
                    temporal_reductions_per_instance=(
                        reads if self.workload.data_spaces[j].read_write else 0),
                    utilized_capacity=int(c.tile[k, i]),
                    utilized_instances=int(result.utilized_instances[k, i]),
                    partition_size=int(c.partition[k, i]),
                    energy_pJ=float(result.ds_energy[k, j, i]))
            storage.append(LevelStats(
                name=level.name, instances=level.instances,
                utilized_instances=int(result.utilized_instances[k, i]),
                cycles=int(result.level_cycles[k, i]),
                energy_pJ=float(result.ds_energy[k, :, i].sum() + result.leak_energy[k, i]),
                dataspaces=dss, bandwidth_throttling=float(result.slowdown[k, i]),
                area_um2=e.level_area_um2[k], leak_energy_pJ=float(result.leak_energy[k, i])))
        compute_leak = float(result.compute_leak_energy[i])
        compute = LevelStats(
            name=arch.compute.name, instances=arch.compute.instances,
            utilized_instances=int(result.mac_instances_used[i]),
            cycles=int(result.compute_cycles[i]),
            energy_pJ=float(result.compute_energy[i]) + compute_leak,
            computes=int(result.computes[i]), area_um2=e.compute_area_um2,
            leak_energy_pJ=compute_leak)
        violations = tuple(self.violations(result, i))
        return Evaluation(
            mapping=result.batch.mapping(i), valid=not violations, violations=violations,
            cycles=int(result.cycles[i]), energy_pJ=float(result.energy[i]),
            computes=int(result.computes[i]), utilization=float(result.utilization[i]),
            area_um2=e.area_um2, compute=compute, storage=tuple(storage),
            area_missing=e.missing_area,
            leak_energy_pJ=compute_leak + sum(lv.leak_energy_pJ for lv in storage),
            leak_missing=e.missing_leak)
