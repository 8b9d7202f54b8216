"""Action energies of each component and the energy of a batch's action counts (§8).

An ERT action is one vector access of ``block_size`` words: per data space and instance the
model charges ``ceil(count / block_size)`` actions of each kind. Reads use ``read``, fills use
``write``, and updates also use ``write``: Timeloop v3.0.3 looks an update up as
``random_update -> random_fill -> write`` and never uses an ERT entry named ``update``.

Leakage: an ERT ``leak`` is the static energy of one instance per cycle (Accelergy's static
power x the clock period). A level leaks over every cycle of the run on each of its utilized
instances, as the 2024 Timeloop charges storage; the compute level likewise (Timeloop does not
charge the compute's ``leak``: the one difference, at most 0.09% of the exercise designs' energy
and 0.77% where the MAC is floating point, README).
A component without a ``leak`` entry leaks nothing here, and ``missing_leak`` names it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from energy import ReferenceTables

from ..spec.arch import Arch

#: Timeloop's lookup chains, first present wins.
READ_ACTIONS = ("random_read", "read")
FILL_ACTIONS = ("random_fill", "write")
UPDATE_ACTIONS = ("random_update", "random_fill", "write")
COMPUTE_ACTIONS = ("mac_random", "mult_random", "mac", "mult", "compute")


class EnergyLookupError(ValueError):
    """A component that the mapping uses has no energy for an action it performs."""


@dataclass(frozen=True)
class ActionEnergies:
    """pJ per vector access of each storage level (K,) and per compute; NaN where unknown."""

    read: np.ndarray
    fill: np.ndarray
    update: np.ndarray
    compute: float
    area_um2: float                   # the whole architecture (area x instances, summed)
    level_area_um2: tuple[float, ...]  # per storage level, all instances
    compute_area_um2: float
    known: bool                        # False when no tables were given
    missing_area: tuple[str, ...] = ()  # components the ART has no area for (counted as 0)
    leak: np.ndarray | None = None     # (K,) pJ per cycle per instance of each storage level
    compute_leak: float = 0.0          # pJ per cycle per compute instance
    missing_leak: tuple[str, ...] = ()  # components the ERT has no leak for (counted as 0)

    @property
    def leaks(self) -> bool:
        """Whether any component has a non-zero leak (else the model skips the term)."""
        return self.compute_leak > 0 or (self.leak is not None and bool((self.leak > 0).any()))


def _lookup(tables: ReferenceTables, name: str, chain: tuple[str, ...], required: bool,
            cluster_size: int | None = None) -> float:
    """The first action of ``chain`` the component has. A storage component (``cluster_size``
    given) that has ERT entries but none of the chain (an older Accelergy ERT with only
    ``access``) gets Timeloop's default for its reads, fills and updates: the largest energy
    of its entries per vector access, divided by the cluster size
    (``BufferLevel::Specs::UpdateOpEnergyViaERT``)."""
    found = tables.first_energy(name, chain)
    if found is None and cluster_size is not None and tables.actions(name):
        return max(tables.actions(name).values()) / cluster_size
    if found is None:
        if required:
            raise EnergyLookupError(
                f"no energy for component {name!r}, action {chain[-1]!r} (looked for "
                f"{', '.join(chain)}) in the energy tables")
        return float("nan")
    return float(found[1])


def action_energies(arch: Arch, tables: ReferenceTables | None,
                    used_levels: set[int]) -> ActionEnergies:
    """Resolve the energies the model needs; levels in ``used_levels`` (those that keep a data
    space) must have read and write energies, the compute level its compute energy."""
    K = len(arch.storage)
    if tables is None:
        nan = np.full(K, np.nan)
        return ActionEnergies(nan, nan, nan, float("nan"), float("nan"), (float("nan"),) * K,
                              float("nan"), False)
    read, fill, update = (np.zeros(K) for _ in range(3))
    level_area = []
    missing = tuple(c.name for c in (*arch.storage, arch.compute)
                    if tables.area(c.name) is None and not getattr(c, "is_dummy", False))
    for k, level in enumerate(arch.storage):
        req = k in used_levels
        c = level.cluster_size
        read[k] = _lookup(tables, level.name, READ_ACTIONS, req, c)
        fill[k] = _lookup(tables, level.name, FILL_ACTIONS, req, c)
        update[k] = _lookup(tables, level.name, UPDATE_ACTIONS, req, c)
        level_area.append((tables.area(level.name) or 0.0) * level.instances)
    compute = _lookup(tables, arch.compute.name, COMPUTE_ACTIONS, True)
    compute_area = (tables.area(arch.compute.name) or 0.0) * arch.compute.instances
    leak = np.array([tables.energy(level.name, "leak") or 0.0 for level in arch.storage])
    no_leak = tuple(c.name for c in (*arch.storage, arch.compute)
                    if tables.energy(c.name, "leak") is None and not getattr(c, "is_dummy", False))
    return ActionEnergies(read, fill, update, compute, sum(level_area) + compute_area,
                          tuple(level_area), compute_area, True, missing, leak,
                          tables.energy(arch.compute.name, "leak") or 0.0, no_leak)


def clusters_charged(arch: Arch, inst: np.ndarray) -> np.ndarray:
    """(K, B) how many instances' worth of per-instance energy each level is charged.

    A level with ``cluster_size`` c > 1 is built of ``instances / c`` clusters whose vector
    access serves every instance of the cluster: Timeloop spreads one cluster access over
    the utilized instances in each cluster, assuming them spread evenly over
    ``min(utilized, instances / c)`` clusters (``BufferLevel::FinalizeBufferEnergy``). The
    per-instance energy is divided by ``utilized / utilized clusters``, so the level's energy is
    the per-instance energy times the utilized clusters. With c = 1 that is the utilized
    instances.
    """
    out = inst
    for k, level in enumerate(arch.storage):
        if level.cluster_size > 1:
            if out is inst:
                out = inst.copy()
            out[k] = charged_instances(level, inst[k])
    return out


def charged_instances(level, inst):
    """How many instances' worth of per-instance energy a level with ``inst`` utilized
    instances is charged (:func:`clusters_charged`, one level; a number or an array)."""
    if level.cluster_size <= 1:
        return inst
    return np.minimum(inst, level.instances // level.cluster_size)


def per_word(level, energy: float, charged):
    """(pJ per word, rounding slack in pJ) of one action kind of a storage level over
    ``charged`` instances (:func:`charged_instances`; a number or an array): the energy per
    vector access / block size; since :func:`storage_energy` charges ``ceil(words / b)``
    accesses, ``w`` more words cost at least ``w / b`` accesses less ``(b - 1) / b`` of one,
    per instance. Lower bounds of energy use both (a word's least cost, and what rounding
    can take back)."""
    per_access = charged * float(energy)
    return per_access / level.block_size, per_access * (level.block_size - 1) / level.block_size


@dataclass(frozen=True)
class WordAction:
    """One action a word filled into a level costs: at ``level``, ``energy`` pJ per access,
    ``times`` per word (the next keeper reads a word once per group of the instances below
    that take distinct words)."""

    level: int
    energy: float
    times: int = 1


def filled_word_actions(e: ActionEnergies, level: int | None, parent: int | None,
                        groups: int, read_write: bool) -> list[WordAction]:
    """What a word new to ``level``'s tile costs at least (None: a level that only passes
    it): its write there (fills use ``write``, TIMELOOP_SEMANTICS §8), and ``groups`` reads
    at its next keeper ``parent`` (None: not counted), plus as many updates for read-write
    data (the drained partial sum; TIMELOOP_SEMANTICS §5)."""
    actions = [] if level is None else [WordAction(level, e.fill[level])]
    if parent is not None:
        actions.append(WordAction(parent, e.read[parent], groups))
        if read_write:
            actions.append(WordAction(parent, e.update[parent], groups))
    return actions


def word_energy(arch: Arch, actions: list[WordAction], charged, slack=0.0):
    """(pJ per word, ``slack`` plus the rounding slack in pJ) of ``actions`` (:func:`per_word`
    of each, ``charged(level)`` the instances charged, times its count per word)."""
    a = 0.0
    for x in actions:
        word, rounding = per_word(arch.storage[x.level], x.energy, charged(x.level))
        a = a + x.times * word
        slack = slack + rounding
    return a, slack


def storage_energy(reads: np.ndarray, fills: np.ndarray | None, updates: np.ndarray | None,
                   instances: np.ndarray, block_size: int, e: ActionEnergies, k: int,
                   out: np.ndarray | None = None) -> np.ndarray:
    """(B,) pJ of one data space at level k over all its utilized instances.

    ``fills`` or ``updates`` may be None where the count is zero in every mapping; the term is
    then left out when that cannot change a bit (all of the level's energies finite and > 0,
    so the term is +0.0 and the sum is not -0.0).
    """
    shift = block_size.bit_length() - 1
    def vectors(words):                            # ceil per action type
        if block_size == 1:
            return words
        if block_size == 1 << shift:               # floor division by 2**s is a shift
            return -((-words) >> shift)
        return -(-words // block_size)
    energies = (e.read[k], e.fill[k], e.update[k])
    droppable = all(np.isfinite(x) and x > 0 for x in energies)
    per_instance = vectors(reads) * e.read[k]
    for words, energy in ((fills, e.fill[k]), (updates, e.update[k])):
        if words is None:
            if droppable:
                continue
            words = np.zeros_like(reads)
        per_instance = per_instance + vectors(words) * energy
    return np.multiply(per_instance, instances, out=out)
