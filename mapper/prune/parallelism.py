"""The most MACs a tiling can run in parallel under a chosen subset of the architecture's
limits: the optimum behind Eyexam's steps 2-5 (Sze et al., Table II).

The objective is the product of every spatial factor (``TilingCpModel.utilization_used``),
the number of MACs busy in each cycle of a perfectly factored tiling. The user's constraints
(factors, spatial permutation and split, keep/bypass, least utilization: the dataflow) are
always enforced; of the architecture's limits only those :class:`ArchLimits` names are:

* :attr:`FanoutLimit.NONE`: spatial factors only where the arch has a fan-out, of any size
  (unlimited PEs);
* :attr:`FanoutLimit.PE_COUNT`: their product at most the number of MACs, whatever the shape;
* :attr:`FanoutLimit.PHYSICAL`: also each fan-out's X and Y separately (the array's shape);
* ``capacity``: every level's kept tiles fit its depth (with the keep choice that fits best).

Each limit adds constraints to the previous one, so the optima never increase in that order.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from .solve import optimum, solution_of

if TYPE_CHECKING:
    from .cpsat import TilingCpModel


class FanoutLimit(Enum):
    """How much of the spatial fan-out a tiling may use."""

    NONE = "unlimited"          # any spatial factor where the arch has a fan-out
    PE_COUNT = "pe count"       # product of all spatial factors <= compute instances
    PHYSICAL = "physical"       # ... and each fan-out's X and Y <= its mesh


@dataclass(frozen=True)
class ArchLimits:
    fanout: FanoutLimit = FanoutLimit.PHYSICAL
    capacity: bool = True


@dataclass(frozen=True)
class Parallelism:
    """The optimum: ``macs_in_parallel`` = product of the spatial factors of ``tiling``."""

    macs_in_parallel: int
    #: the attaining tiling: (level index, "T"/"X"/"Y", dimension) -> factor, every slot
    tiling: dict[tuple[int, str, str], int]
    #: CP-SAT proved it optimal (False only when its time limit came first)
    proven: bool


def max_parallelism(tm: "TilingCpModel", limits: ArchLimits) -> Parallelism | None:
    """The largest number of MACs in parallel over the tilings that satisfy the user's
    constraints and the chosen limits; None if no tiling does."""
    kinds = {"fanout"} if limits.fanout == FanoutLimit.PHYSICAL else set()
    if limits.capacity:
        kinds.add("capacity")
    on = [c for c in tm.checks if c.is_user_constraint or c.kind in kinds]
    total = tm.utilization_used
    at_most = ([(total, tm.arch.compute.instances)]
               if limits.fanout != FanoutLimit.NONE and not isinstance(total, int) else [])
    if isinstance(total, int):                    # no fan-out anywhere: one MAC at a time
        s = optimum(tm, on, 0)
        return None if s is None else Parallelism(total, solution_of(tm, s), True)
    s = optimum(tm, on, total, maximize=True, at_most=at_most)
    if s is None:
        return None
    return Parallelism(int(s.value(total)), solution_of(tm, s),
                       s.response_proto.status == cp_model.OPTIMAL)
