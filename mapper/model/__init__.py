"""The analytical model, batch-first. Section numbers (§) in docstrings refer to
docs/TIMELOOP_SEMANTICS.md, the rules of Timeloop v3.0.3 that this model reproduces."""
from .batch import MappingBatch, Skeleton
from .evaluate import Model
from .result import BatchResult, DataSpaceStats, Evaluation, LevelStats

__all__ = ["BatchResult", "DataSpaceStats", "Evaluation", "LevelStats", "MappingBatch", "Model",
           "Skeleton"]
