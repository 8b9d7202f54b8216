"""The architecture: a chain of storage levels over a spatial array of compute units.

Levels are stored **innermost first** (``storage[0]`` is next to the MACs, ``storage[-1]`` is
DRAM), the numbering of Timeloop's storage levels and of ``TIMELOOP_SEMANTICS.md``.
The physical fan-out of level k is ``meshX(child)/meshX(k)`` by ``meshY(child)/meshY(k)``
(Timeloop's topology rule), where the child of level 0 is the compute level.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class StorageLevel:
    """One buffer level (all its instances).

    ``depth`` is in vectors of ``width`` bits; ``None`` means unbounded (DRAM).
    ``block_size`` = words per vector access (``width / word_bits`` unless given).
    Bandwidths are words/cycle/instance; ``None`` imposes nothing.
    """

    name: str
    component_class: str
    instances: int
    mesh_x: int
    mesh_y: int
    depth: int | None
    width: int
    word_bits: int
    block_size: int
    cluster_size: int = 1
    read_bandwidth: float | None = None
    write_bandwidth: float | None = None
    shared_bandwidth: float | None = None
    multiple_buffering: float = 1.0
    is_dummy: bool = False
    attributes: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def capacity_words(self) -> int | None:
        """Words the level can hold (depth x block size); ``None`` if unbounded."""
        if self.depth is None:
            return None
        return self.depth * self.block_size

    @property
    def effective_capacity(self) -> int | None:
        """Capacity available to one tile (Timeloop's effective size: size / buffering)."""
        if self.depth is None:
            return None
        return int(self.capacity_words // self.multiple_buffering)


@dataclass(frozen=True)
class ComputeLevel:
    """The arithmetic units (MACs) at the leaves."""

    name: str
    component_class: str
    instances: int
    mesh_x: int
    mesh_y: int
    attributes: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Arch:
    """Storage levels (innermost first) and the compute level."""

    name: str
    storage: tuple[StorageLevel, ...]
    compute: ComputeLevel
    attributes: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    #: raw ``constraints`` blocks per level name (v0.4 inline / v0.3 architecture_constraints);
    #: interpreted by the mapspace, not by the model.
    constraints: tuple[Any, ...] = field(default=(), compare=False, hash=False)
    #: other names a mapping or constraint may target a level by: a v0.4 container with a
    #: fan-out stands for the dummy level above it (``PE`` -> ``inter_PE_spatial``)
    aliases: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def level_named(self, name: str) -> str:
        """The level ``name`` targets (itself, or the level a container stands for)."""
        return self.aliases.get(name, name)

    def level_index(self, name: str) -> int:
        for k, level in enumerate(self.storage):
            if level.name == name:
                return k
        raise KeyError(name)

    def child_mesh(self, k: int) -> tuple[int, int]:
        child = self.compute if k == 0 else self.storage[k - 1]
        return child.mesh_x, child.mesh_y

    def fanout(self, k: int) -> tuple[int, int]:
        """Physical (X, Y) fan-out between level k and its child."""
        cx, cy = self.child_mesh(k)
        level = self.storage[k]
        return cx // level.mesh_x, cy // level.mesh_y

    @property
    def level_names(self) -> tuple[str, ...]:
        return tuple(level.name for level in self.storage)
