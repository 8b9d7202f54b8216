"""Cycles under bandwidth limits, utilization (TIMELOOP_SEMANTICS §7, §9) and the
energy-delay product."""
from __future__ import annotations

import numpy as np

from ..spec.arch import StorageLevel


#: cycles of a level whose traffic is beyond any count (2^62: products stay within int64)
CYCLES_MAX = float(2 ** 62)


def level_cycles(level: StorageLevel, reads: np.ndarray, writes: np.ndarray,
                 compute_cycles: np.ndarray, compute_cycles_float: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(cycles, slowdown) of one level, each (B,).

    ``reads`` and ``writes`` (fills + updates) are words per instance summed over the kept data
    spaces. Timeloop's rule: each bandwidth that the traffic would exceed at full speed slows
    the level by ``bandwidth / demand``; cycles = ``ceil(T / slowdown)``. Same float
    operations as Timeloop, so the ceil lands on the same integer. ``compute_cycles_float``
    is ``T`` as float64 when the caller has it already.
    """
    T = compute_cycles.astype(np.float64) if compute_cycles_float is None \
        else compute_cycles_float
    slowdown = np.ones_like(T)
    with np.errstate(divide="ignore"):
        for bw, words in ((level.read_bandwidth, reads), (level.write_bandwidth, writes),
                          (level.shared_bandwidth, None)):
            if bw is None:
                continue
            words = reads + writes if words is None else words
            demand = words / T
            slowdown = np.where(demand > bw, np.minimum(slowdown, bw / demand), slowdown)
    with np.errstate(divide="ignore", invalid="ignore"):
        cycles = np.ceil(T / slowdown)
    # A lower-bound evaluation may carry "cannot fit" fills (int64 max): their cycles saturate
    # at CYCLES_MAX instead of wrapping to a negative integer that would look best of all.
    cycles = np.minimum(np.nan_to_num(cycles, nan=CYCLES_MAX, posinf=CYCLES_MAX), CYCLES_MAX)
    return cycles.astype(np.int64), slowdown


def utilization(computes: np.ndarray, mac_instances: int, cycles: np.ndarray) -> np.ndarray:
    """Eq. 3 of Sze et al.: active PEs / PEs x utilization of the active PEs, which for
    Timeloop's model equals ``computes / (MAC instances x cycles)``."""
    return computes / mac_instances / cycles


def edp(energy_pJ, cycles):
    """The energy-delay product in J x cycles, Timeloop's unit: of numbers or of (B,) arrays
    alike. The one definition: the model's results, the search's objective and the network
    totals all mean this."""
    return energy_pJ * 1e-12 * cycles
