"""What a search returns: the best mapping evaluated, and how the search went."""
from __future__ import annotations

from dataclasses import dataclass

from ..model.result import Evaluation
from .objective import Objective
from .stopping import StopReason


@dataclass
class SearchStats:
    algorithm: str
    evaluated: int
    valid: int
    space_size: dict
    proven_optimal: bool
    wall_s: float
    stopped_by: StopReason
    pruned: int = 0                       # tilings the bound discarded (optimal)

    def to_json(self) -> dict:
        return {"algorithm": self.algorithm, "evaluated": self.evaluated, "valid": self.valid,
                "space_size": self.space_size, "proven_optimal": self.proven_optimal,
                "wall_s": round(self.wall_s, 3), "stopped_by": str(self.stopped_by),
                "pruned_by_bound": self.pruned}


@dataclass
class SearchResult:
    best: Evaluation | None
    stats: SearchStats
    objective: Objective
