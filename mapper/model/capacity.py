"""Buffer capacity: the words a level's kept tiles occupy (Timeloop's utilized capacity,
summed over the kept data spaces). Shared by the model's validity check and the mapspace's
pruning so that both apply the one rule."""
from __future__ import annotations

import numpy as np

from ..spec.workload import Workload
from .nest import footprint


def tile_words(workload: Workload, extents: np.ndarray, kept: frozenset[str]) -> np.ndarray:
    """(B,) words of the tiles of the ``kept`` data spaces over a (D, B) box of extents."""
    total = np.zeros(extents.shape[1], dtype=np.int64)
    for ds in workload.data_spaces:
        if ds.name in kept:
            total += footprint(ds.projection(workload.dims), extents)
    return total
