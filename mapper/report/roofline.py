"""The roofs of a roofline (operational intensity in MACs per off-chip byte against MACs/cycle):
the compute roof (the PE count) and off-chip bandwidth roofs, each with where it came from.

A bandwidth roof of ``B`` bytes/cycle bounds a layer of intensity ``x`` MACs/byte to ``B x x``
MACs/cycle (Williams et al.'s roofline; Sze et al., Fig. 6). It comes from

- the arch: the outermost level's ``shared_bandwidth``, else ``read_bandwidth`` +
  ``write_bandwidth`` (:func:`mapper.report.metrics.dram_peak_bytes_per_cycle`), which the model
  also uses for the cycles;
- the user (``--dram-bandwidth GBPS``): a what-if for an arch that sets none, converted with
  the arch's clock and never fed to the model (the cycles stay as computed);
- the run itself, when neither gives one: the highest off-chip bytes/cycle any layer of the
  run moved. That is the bandwidth the run *needed* at its throughput, not a hardware limit:
  every layer lies on or below it by construction.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Sequence

from ..spec.errors import SpecError

#: bytes in a GB (decimal, as bandwidths are quoted: 25.6 GB/s = 25.6e9 bytes/s)
GB = 1e9


class RoofSource(StrEnum):
    """Where a bandwidth roof came from."""

    ARCH = "arch"
    USER = "user"
    NEEDED = "needed"


@dataclass(frozen=True)
class BandwidthRoof:
    """An off-chip bandwidth roof: bytes per cycle, where it came from and the detail (the arch
    fields, the option and clock, or the layer that needed it)."""

    bytes_per_cycle: float
    source: RoofSource
    detail: str

    def macs_per_cycle(self, intensity: float, pes: float) -> float:
        """The roofline at ``intensity`` (MACs per off-chip byte): min(PEs, bytes/cycle x
        intensity)."""
        return min(pes, self.bytes_per_cycle * intensity)

    @property
    def label(self) -> str:
        """Two lines for a legend: what the roof is and where it came from."""
        what = {RoofSource.ARCH: "bandwidth roof from the arch",
                RoofSource.USER: "bandwidth roof from the user",
                RoofSource.NEEDED: "bandwidth needed by this run (not a hardware roof)"}
        return f"{what[self.source]}: {self.bytes_per_cycle:.4g} B/cycle\n({self.detail})"


def arch_roof(bytes_per_cycle: float | None,
              level: str = "the outermost level") -> BandwidthRoof | None:
    """The arch's roof (``dram_peak_bytes_per_cycle`` of the metric set), if it sets one."""
    if not bytes_per_cycle:
        return None
    return BandwidthRoof(bytes_per_cycle, RoofSource.ARCH,
                         f"{level}: shared_bandwidth, else read + write_bandwidth")


def user_roof(GB_per_s: float | None, cycle_s: float | None,
              option: str = "--dram-bandwidth") -> BandwidthRoof | None:
    """The user's off-chip bandwidth (GB/s) in bytes/cycle: GB/s x 1e9 x seconds per cycle
    (25.6 GB/s at 1 GHz = 25.6 B/cycle). Bad input (not a positive number, or an arch without
    a clock to convert with) is a :class:`SpecError` naming the option."""
    if GB_per_s is None:
        return None
    if isinstance(GB_per_s, bool) or not isinstance(GB_per_s, (int, float)) \
            or not math.isfinite(GB_per_s) or GB_per_s <= 0:
        raise SpecError(f"{option}: expected a positive number of GB/s, got {GB_per_s!r}")
    if cycle_s is None:
        raise SpecError(f"{option} {GB_per_s:g}: GB/s needs a clock to become bytes per cycle, "
                        f"and the arch gives none (set global_cycle_seconds or clock_mhz in "
                        f"its attributes)")
    return BandwidthRoof(GB_per_s * GB * cycle_s, RoofSource.USER,
                         f"{option} {GB_per_s:g} GB/s at {1e-6 / cycle_s:g} MHz; not in the "
                         f"model's cycles")


def needed_roof(bytes_per_cycle: Sequence[tuple[str, float]]) -> BandwidthRoof | None:
    """The highest off-chip bytes/cycle of the run's layers (name, bytes/cycle); None when no
    layer moved any."""
    moved = [(b, name) for name, b in bytes_per_cycle if b and math.isfinite(b) and b > 0]
    if not moved:
        return None
    b, name = max(moved)
    return BandwidthRoof(b, RoofSource.NEEDED, f"the most any layer moved: {name}")


def bandwidth_roofs(arch: BandwidthRoof | None, user: BandwidthRoof | None,
                    needed: BandwidthRoof | None) -> tuple[BandwidthRoof, ...]:
    """The roofs a figure draws: the arch's and the user's (both when both are given: the
    model used the arch's); the one the run needed only when neither is given."""
    given = tuple(r for r in (arch, user) if r is not None)
    return given or tuple(r for r in (needed,) if r is not None)
