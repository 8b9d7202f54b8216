"""The questions asked of the tiling space: does a tiling fit, how many are there, which, and
why none does. The CP-SAT model is :mod:`mapper.prune.cpsat`; solving and enumeration live in
:mod:`mapper.prune.solve`, explanations in :mod:`mapper.prune.explain` (both take the model,
so the model itself imports neither)."""
from __future__ import annotations

from ..spec.mapping import Mapping
from . import explain, solve
from .checks import Check
from .cpsat import TilingCpModel
from .parallelism import ArchLimits, Parallelism, max_parallelism
from .solve import Fixed, Tilings


class TilingModel(TilingCpModel):
    """The tiling space of one workload on one architecture under one constraint set (see
    :class:`~mapper.prune.cpsat.TilingCpModel` for ``keep`` and the solver options), and the
    questions asked of it."""

    def feasible(self, fixed: Fixed | None = None) -> bool:
        """Whether some tiling (extending ``fixed``, if given) satisfies every check."""
        return solve.feasible(self, fixed)

    def admits(self, mapping: Mapping) -> bool:
        """Whether the mapping's factors (on the axes its splits give) form a valid tiling."""
        return solve.feasible(self, solve.tiling_of(self, mapping))

    def count(self, limit: int | None = None, fixed: Fixed | None = None) -> int:
        return solve.count(self, limit, fixed)

    def enumerate_tilings(self, limit: int | None = None,
                          fixed: Fixed | None = None) -> Tilings:
        return solve.enumerate_tilings(self, limit, fixed)

    def slot_domains(self) -> dict[tuple[int, str, str], tuple[int, ...]]:
        """Per loop slot (k, "T"/"X"/"Y", dim), the factors some valid tiling gives it."""
        return solve.slot_domains(self)

    def max_parallelism(self, limits: ArchLimits) -> Parallelism | None:
        """The most MACs in parallel under the user's constraints and ``limits`` (None if
        no tiling satisfies them): :func:`mapper.prune.parallelism.max_parallelism`."""
        return max_parallelism(self, limits)

    def conflicts(self) -> list[Check]:
        """A minimal set of checks that cannot hold together; empty if feasible."""
        return explain.minimal_conflict(self)

    def explain_infeasible(self) -> list[str]:
        """Why no tiling exists, one line per conflicting constraint (empty if one does)."""
        return explain.explain_infeasible(self)
