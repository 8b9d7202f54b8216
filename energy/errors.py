"""The errors and warnings of :mod:`energy`.

Every message names the component, the action and the files consulted, because the top
complaint of Timeloop/Accelergy users is energies that silently did not come from where they
thought. Nothing here returns a silent zero: an unanswerable required action raises, an
optional one (leak, idle, area) is left out of the tables with an :class:`EstimationWarning`.
"""
from __future__ import annotations

import math
from typing import Any


class TableError(ValueError):
    """A malformed table or ERT/ART file; ``str(e)`` names the file and the entry."""


class EstimationError(ValueError):
    """No estimator can answer, or a component is malformed; names component and action."""


class EstimationWarning(UserWarning):
    """An estimate left out (optional action or area), or made with a stated approximation."""


class ExtrapolationWarning(EstimationWarning):
    """An estimate outside a table's range, extended with the table's declared exponent."""


def parse_number(value: Any, where: str, error: type[ValueError] = TableError,
                 nonnegative: bool = True) -> float:
    """A finite number (an int, a float or a numeric string), non-negative unless told
    otherwise; else ``error`` naming ``where``. The one parser of every energy, area and
    table figure, so they all fail the same way."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise error(f"{where}: expected a number, got {value!r}")
    try:
        v = float(value)
    except ValueError:
        raise error(f"{where}: expected a number, got {value!r}") from None
    if not math.isfinite(v):
        raise error(f"{where}: {v} is not finite")
    if nonnegative and v < 0:
        raise error(f"{where}: a negative value ({v}) is not a valid energy or area")
    return v
