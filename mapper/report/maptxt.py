"""``map.txt``: the loop nest of one mapping, laid out exactly as Timeloop's timeloop.map.txt.

Levels outermost first. Each level gets a header ``NAME [ Weights:24 (24) ... ] `` listing
the data spaces it keeps with their tile size, underlined with dashes, then its loops
outermost first: the temporal loops with factor > 1, then the spatial (fan-out) loops, Y
before X because X loops sit inside Y loops, marked ``(Spatial-X)`` / ``(Spatial-Y)``. A level
with no temporal loop of factor > 1 shows Timeloop's dummy loop over the last problem
dimension, ``for Q in [0:1)``. Each loop is indented two spaces deeper than the one before it,
across levels.

Timeloop prints each kept data space as ``utilized capacity (tile size)``; without sparse
formats (which we do not model) the two are the same number, the words of the data space
that the level's tile touches, so the one ``tile_sizes`` figure is printed twice.
"""
from __future__ import annotations

from ..spec.arch import Arch
from ..spec.mapping import LevelMapping, Mapping
from ..spec.workload import Workload


def level_loops(lm: LevelMapping, dims: tuple[str, ...]) -> list[str]:
    """One level's loop lines (without indentation), outermost first."""
    temporal = [d for d in lm.temporal_order if lm.temporal[dims.index(d)] > 1]
    lines = [f"for {d} in [0:{lm.temporal[dims.index(d)]})" for d in reversed(temporal)]
    if not lines:
        lines = [f"for {dims[-1]} in [0:1)"]
    for i in reversed(range(len(lm.spatial_order))):
        d = lm.spatial_order[i]
        f = lm.spatial[dims.index(d)]
        if f > 1:
            lines.append(f"for {d} in [0:{f}) (Spatial-{'X' if i < lm.split else 'Y'})")
    return lines


def format_map_txt(arch: Arch, workload: Workload, mapping: Mapping,
                   tile_sizes: dict[str, dict[str, int]]) -> str:
    """The map.txt text; ``tile_sizes[level][data space]`` is needed for every kept one."""
    if len(mapping.levels) != len(arch.storage):
        raise ValueError(f"the mapping has {len(mapping.levels)} levels but the arch has "
                         f"{len(arch.storage)} storage levels")
    out = [""]
    depth = 0
    for level, lm in reversed(list(zip(arch.storage, mapping.levels))):
        tiles = ""
        for ds in workload.ds_names:
            if ds in lm.keep:
                try:
                    n = int(tile_sizes[level.name][ds])
                except KeyError:
                    raise ValueError(f"no tile size given for {ds} at {level.name}") from None
                tiles += f"{ds}:{n} ({n}) "
        header = f"{level.name} [ {tiles}] "
        out += [header, "-" * (len(header) - 1)]
        for line in level_loops(lm, workload.dims):
            out.append("| " + "  " * depth + line)
            depth += 1
        out.append("")
    return "\n".join(out) + "\n"
