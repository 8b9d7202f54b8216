"""The switchable constraints of a tiling model, each with the words to name it.

Every user constraint, capacity and fan-out limit is enforced only if its own Boolean
*literal* is true. Solving under all literals decides feasibility; when that fails, CP-SAT's
assumption core says which literals conflict, and each :class:`Check` says what its literal
stands for in the user's words and where it was written.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..spec.errors import Where


def origin(where: Where | None) -> str:
    """``file: YAML path`` of a constraint, as the spec's errors print it."""
    if where is None:
        return "(built in code)"
    return ": ".join(p for p in (where.file, where.path) if p) or "(built in code)"


@dataclass(frozen=True)
class Check:
    """One constraint of the model behind one literal.

    kind: ``factor`` (a FactorBound), ``axes`` (a spatial permutation/split), ``keep`` (a
    keep/bypass rule), ``capacity`` (a level's depth), ``fanout`` (a level's children on one
    axis), ``utilization`` (the least fraction of MACs used).
    """

    index: int                       # the literal's position in TilingModel.checks
    kind: str
    level: str | None
    text: str                        # the constraint as written, e.g. "temporal factors: R=3"
    where: Where | None = field(default=None, compare=False)
    info: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def is_user_constraint(self) -> bool:
        """True for what the user wrote (constraints files), False for the arch's limits."""
        return self.kind in ("factor", "axes", "keep", "utilization")

    def origin(self) -> str:
        return origin(self.where)
