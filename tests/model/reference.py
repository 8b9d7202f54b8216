"""A plain reference evaluation: one mapping at a time, slow and obvious, straight from
docs/TIMELOOP_SEMANTICS.md. The fast, vectorized model (mapper.model) is tested against it.

Nothing here is shared with the fast path but the spec (the workload's footprint, i.e. the
halo rule, whose agreement with a point-by-point hull is tested in tests/prune): the loop
nest is a list, the temporal delta sums are walked visit by visit as the binary counter of
§3 with the reset-on-stride-change state machine, multicast groups are counted by listing
every spatial element's translation (§4), the links by looking at every element's
neighbours: at level 0 for the MACs' points, above it by walking the visits with every
element's delta as a set of data-space points and comparing it with its neighbours' deltas of
the previous visit (§4), and the counts follow §5 level by level, in floating point and
rounded as Timeloop rounds them.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from mapper.spec.arch import Arch
from mapper.spec.mapping import Mapping
from mapper.spec.workload import DataSpace, Workload, rank_extent


@dataclass(frozen=True)
class Loop:
    level: int
    spatial: bool
    dim: str
    axis: str          # "X" / "Y" for spatial loops, "T" for temporal
    factor: int


@dataclass
class Counts:
    """Per level k (innermost first), per instance, for one data space."""

    tile: list[int]
    partition: list[int]
    groups: list[int]         # G_k: distinct translations under level k's spatial loops
    reads: list[int]
    fills: list[int]
    updates: list[int]


@dataclass
class Reference:
    counts: dict[str, Counts]
    utilized_instances: list[int]
    mac_instances: int
    computes: int
    compute_cycles: int
    level_cycles: list[int]
    cycles: int
    capacity_used: list[int]
    valid: bool
    energy_pJ: float


class Nest:
    """§1: the loops of a mapping with factor > 1, innermost first."""

    def __init__(self, mapping: Mapping):
        self.loops: list[Loop] = []
        self.spatial_start, self.spatial_end, self.boundary = [], [], []
        for k, lv in enumerate(mapping.levels):
            self.spatial_start.append(len(self.loops))
            for pos, d in enumerate(lv.spatial_order):
                f = lv.spatial[mapping.dims.index(d)]
                if f > 1:
                    self.loops.append(Loop(k, True, d, "X" if pos < lv.split else "Y", f))
            self.spatial_end.append(len(self.loops))
            for d in lv.temporal_order:
                f = lv.temporal[mapping.dims.index(d)]
                if f > 1:
                    self.loops.append(Loop(k, False, d, "T", f))
            self.boundary.append(len(self.loops))        # loops[:boundary[k]]: level k's tile
        self.dims = mapping.dims

    def step(self, i: int) -> int:
        """§1.5: the product of the factors of the loops inside i over the same dimension."""
        return math.prod(lp.factor for lp in self.loops[:i] if lp.dim == self.loops[i].dim)

    def box(self, i: int) -> dict[str, int]:
        """§2: the extents of the box of loops 0..i-1."""
        return {d: math.prod(lp.factor for lp in self.loops[:i] if lp.dim == d)
                for d in self.dims}


def project(ds: DataSpace, point: dict[str, int]) -> tuple[int, ...]:
    return tuple(sum(c * point.get(d, 0) for d, c in rank) for rank in ds.ranks)


def visit_classes(nest: Nest, above: list[int], ds: DataSpace):
    """§3 (a): the visits of a tile by the temporal loops ``above`` (innermost first), as
    classes by which loops carry: (how many visits, the tile's origin in data-space
    coordinates), in visit order."""
    for digits in itertools.product((0, 1), repeat=len(above)):
        digits = digits[::-1]                      # the innermost loop is the fastest digit
        weight = math.prod(nest.loops[i].factor - 1 if x else 1 for i, x in zip(above, digits))
        offset = {d: 0 for d in nest.dims}
        for i, x in zip(above, digits):
            offset[nest.loops[i].dim] += x * nest.step(i)
        yield weight, project(ds, offset)


def stride_visits(nest: Nest, above: list[int], ds: DataSpace):
    """§3 (c), the reset-on-stride-change machine over :func:`visit_classes`: (weight,
    origin, the previous origin whose tile the delta is taken against, or None where the
    whole tile enters: the first visit, and a visit whose stride differs from the one the
    machine holds)."""
    prev, tau = None, None
    for weight, pos in visit_classes(nest, above, ds):
        against = None
        if prev is not None:
            t = tuple(a - b for a, b in zip(pos, prev))
            if tau is None or t == tau:
                against, tau = prev, t
            else:
                tau = None
        yield weight, pos, against
        prev = pos


def delta_sum(wl: Workload, nest: Nest, k: int, ds: DataSpace) -> int:
    """§3: words entering one instance of level k's tile over the run, visit by visit."""
    above = [i for i in range(nest.boundary[k], len(nest.loops)) if not nest.loops[i].spatial]
    box = nest.box(nest.boundary[k])
    extents = [rank_extent(rank, box) for rank in ds.ranks]
    size = math.prod(extents)
    total = 0
    for weight, pos, against in stride_visits(nest, above, ds):
        delta = size
        if against is not None:
            t = tuple(a - b for a, b in zip(pos, against))
            delta -= math.prod(max(e - abs(s), 0) for e, s in zip(extents, t))
        total += weight * delta
    return total


def translations(nest: Nest, k: int, ds: DataSpace) -> list[tuple[int, ...]]:
    """§4: T_e of every element of level k's fan-out, linear index with the innermost
    spatial loop fastest."""
    loops = list(range(nest.spatial_start[k], nest.spatial_end[k]))
    out = []
    for index in itertools.product(*[range(nest.loops[i].factor) for i in reversed(loops)]):
        kappa = index[::-1]                                     # innermost first
        offset = {d: 0 for d in nest.dims}
        for i, x in zip(loops, kappa):
            offset[nest.loops[i].dim] += x * nest.step(i)
        out.append(project(ds, offset))
    return out


def level0_accesses(arch: Arch, nest: Nest, ds: DataSpace, T: int) -> int:
    """§4, level 0 with spatial loops: ``G_0 T - (G_0 - G') W_0``."""
    trans = translations(nest, 0, ds)
    G0 = len(set(trans))
    logical_x = math.prod(nest.loops[i].factor
                          for i in range(nest.spatial_start[0], nest.spatial_end[0])
                          if nest.loops[i].axis == "X")
    H = max(arch.fanout(0)[0], logical_x)
    lonely = set()
    for i, t in enumerate(trans):
        h = i % H
        near = [j for j in (i - 1 if h > 0 else -1, i + 1 if h + 1 < H else -1, i - H, i + H)
                if 0 <= j < len(trans)]
        if not any(trans[j] == t for j in near):
            lonely.add(t)
    # W_0: the weights of the carries, over every temporal loop, that leave the point in place
    temporal = [i for i, lp in enumerate(nest.loops) if not lp.spatial]
    W0 = 0
    for j, i in enumerate(temporal):
        u = {d: 0 for d in nest.dims}
        u[nest.loops[i].dim] += nest.step(i)
        for l in temporal[:j]:
            u[nest.loops[l].dim] -= nest.step(l)
        if all(s == 0 for s in project(ds, u)):
            W0 += (nest.loops[i].factor - 1) * math.prod(nest.loops[l].factor
                                                         for l in temporal[j + 1:])
    return G0 * T - (G0 - len(lonely)) * W0


def neighbours(i: int, H: int, F: int) -> list[int]:
    """§4: the existing mesh neighbours of element i, at ``(i mod H, i div H)``."""
    h = i % H
    return [j for j in (i - 1 if h > 0 else -1, i + 1 if h + 1 < H else -1, i - H, i + H)
            if 0 <= j < F]


def box_points(origin: tuple[int, ...], extents: list[int]) -> frozenset:
    return frozenset(tuple(o + x for o, x in zip(origin, p))
                     for p in itertools.product(*[range(e) for e in extents]))


def spatial_accesses(arch: Arch, nest: Nest, k: int, ds: DataSpace) -> tuple[int, int, int]:
    """§4, level k >= 1 with spatial loops: (A, W, LT), the parent's accesses, the
    multicast-weighted accesses and the link transfers, visit by visit. Each element's delta
    is a set of data-space points (element 0's, §3, translated by its T_e); an element whose
    delta equals a mesh neighbour's delta of the previous visit may take it over the link; the
    links are used at a visit when fewer distinct deltas are then left to the parent."""
    above = [i for i in range(nest.boundary[k - 1], len(nest.loops))
             if not nest.loops[i].spatial]
    extents = [rank_extent(rank, nest.box(nest.boundary[k - 1])) for rank in ds.ranks]
    trans = translations(nest, k, ds)
    F = len(trans)
    logical_x = math.prod(nest.loops[i].factor
                          for i in range(nest.spatial_start[k], nest.spatial_end[k])
                          if nest.loops[i].axis == "X")
    H = max(arch.fanout(k)[0], logical_x)
    A = W = LT = 0
    prev, prev_deltas = None, None
    for weight, pos, against in stride_visits(nest, above, ds):
        here = box_points(pos, extents)
        delta = here if against is None else here - prev       # against: the last origin
        deltas = [frozenset(tuple(p + q for p, q in zip(point, te)) for point in delta)
                  for te in trans]
        size = len(delta)
        G = len(set(deltas))
        linked = set()
        if prev_deltas is not None and size:
            linked = {i for i in range(F)
                      if any(prev_deltas[j] == deltas[i] for j in neighbours(i, H, F))}
        G_left = len({deltas[i] for i in range(F) if i not in linked})
        if linked and G_left < G:
            A += weight * G_left * size
            W += weight * (F - len(linked)) * size
            LT += weight * len(linked) * size
        else:
            A += weight * G * size
            W += weight * F * size
        prev, prev_deltas = here, deltas
    return A, W, LT


def links_used(arch: Arch, mapping: Mapping, ds: DataSpace) -> bool:
    """Whether some fan-out above level 0 passes deltas of ``ds`` over links (§4)."""
    nest = Nest(mapping)
    return any(spatial_accesses(arch, nest, k, ds)[2] > 0 for k in range(1, len(arch.storage))
               if nest.spatial_end[k] > nest.spatial_start[k])


def round_half_away(x: float) -> int:
    """C's ``std::round`` of a count (non-negative)."""
    return int(math.floor(x + 0.5))


def evaluate(arch: Arch, wl: Workload, mapping: Mapping,
             ert: dict[str, dict[str, float]]) -> Reference:
    """``ert``: pJ per action by component name (``read``, ``write``, ``compute``); the
    levels may have a block size but no clusters and nothing leaks."""
    nest = Nest(mapping)
    K = len(arch.storage)
    T = math.prod(lp.factor for lp in nest.loops if not lp.spatial)
    spread = [nest.spatial_end[k] > nest.spatial_start[k] for k in range(K)]
    counts = {}
    for ds in wl.data_spaces:
        keep = [ds.name in lv.keep for lv in mapping.levels]
        outermost = max(k for k in range(K) if keep[k])
        tile = [wl.footprint(ds, nest.box(nest.boundary[k])) for k in range(K)]
        groups = [len(set(translations(nest, k, ds))) if spread[k] else 1 for k in range(K)]
        partition = [0] * K
        partition[K - 1] = tile[K - 1]
        for k in range(K - 2, -1, -1):                           # §5 partition size
            den = wl.footprint(ds, nest.box(nest.spatial_end[k + 1])) if spread[k + 1] \
                else tile[k]
            partition[k] = partition[k + 1] * tile[k] // den
        fanout = [math.prod(lp.factor for lp in nest.loops if lp.spatial and lp.level == k)
                  for k in range(K)]
        inst = [math.prod(fanout[k + 1:]) for k in range(K)]
        # §4: per level with spatial loops, the parent's accesses A, the multicast-weighted
        # accesses W and the link transfers LT (level 0 has its own rule, no LT to report)
        links = {k: spatial_accesses(arch, nest, k, ds) for k in range(1, K) if spread[k]}
        reads, fills, updates = [0] * K, [0] * K, [0] * K
        demand = level0_accesses(arch, nest, ds, T) if spread[0] else T
        for k in range(K):                                       # §5 bypass, inner to outer
            content, share, peer = demand, 0.0, 0.0
            if k < outermost:
                D = delta_sum(wl, nest, k, ds)
                A, W, LT = links.get(k + 1, (D, D, 0))
                F = fanout[k + 1]
                if keep[k]:
                    share, demand = W / F, A
                    peer = LT / inst[k]       # MaskTiles zeroes LT when level k is bypassed
                else:
                    demand = content * F * A / W
            if not keep[k] or k > outermost:
                continue
            if ds.read_write:                                    # §5 legacy RMW, elision
                updates[k] = round_half_away(content)
                reads[k] = round_half_away(content + peer - partition[k])
                fills[k] = round_half_away(share + peer - partition[k]) if k < outermost else 0
            else:
                reads[k] = round_half_away(content + peer)
                fills[k] = int(share + peer) if k < outermost else 0
        counts[ds.name] = Counts(tile, partition, groups, reads, fills, updates)

    spatial = [math.prod(lp.factor for lp in nest.loops if lp.spatial and lp.level == k)
               for k in range(K)]
    inst = [math.prod(spatial[k + 1:]) for k in range(K)]         # §5 utilized instances
    mac_inst = math.prod(spatial)
    level_cycles = []
    for k, level in enumerate(arch.storage):                      # §7
        here = [counts[ds.name] for ds in wl.data_spaces
                if ds.name in mapping.levels[k].keep and
                k <= max(j for j in range(K) if ds.name in mapping.levels[j].keep)]
        r = sum(c.reads[k] for c in here)
        w = sum(c.fills[k] + c.updates[k] for c in here)
        slowdown = 1.0
        for bw, words in ((level.read_bandwidth, r), (level.write_bandwidth, w),
                          (level.shared_bandwidth, r + w)):
            if bw is not None and words / T > bw:
                slowdown = min(slowdown, bw / (words / T))
        level_cycles.append(math.ceil(T / slowdown))
    used = [sum(counts[n].tile[k] for n in wl.ds_names if n in mapping.levels[k].keep)
            for k in range(K)]
    valid = True
    for k, level in enumerate(arch.storage):
        if level.effective_capacity is not None and used[k] > level.effective_capacity:
            valid = False
        fx, fy = arch.fanout(k)
        for axis, phys in (("X", fx), ("Y", fy)):
            if math.prod(lp.factor for lp in nest.loops
                         if lp.spatial and lp.level == k and lp.axis == axis) > phys:
                valid = False
    # §8: per data space and instance, ceil(count / block) actions of each kind; updates are
    # charged the write energy; times the utilized instances; plus the computes
    energy = mac_inst * T * ert[arch.compute.name]["compute"]
    for k, level in enumerate(arch.storage):
        e, B = ert[level.name], level.block_size
        for c in counts.values():
            energy += (math.ceil(c.reads[k] / B) * e["read"] +
                       math.ceil(c.fills[k] / B) * e["write"] +
                       math.ceil(c.updates[k] / B) * e["write"]) * inst[k]
    return Reference(counts, inst, mac_inst, mac_inst * T, T, level_cycles,
                     max([T] + level_cycles), used, valid, energy)
