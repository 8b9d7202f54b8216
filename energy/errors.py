"""The errors and warnings of :mod:`energy`.

Every message names the component, the action and the files consulted, because the top
complaint of Timeloop/Accelergy users is energies that silently did not come from where they
thought. Nothing here returns a silent zero: an unanswerable required action raises, an
optional one (leak, idle, area) is left out of the tables with an :class:`EstimationWarning`.
"""
from __future__ import annotations


class TableError(ValueError):
    """A malformed table or ERT/ART file; ``str(e)`` names the file and the entry."""


class EstimationError(ValueError):
    """No estimator can answer, or a component is malformed; names component and action."""


class EstimationWarning(UserWarning):
    """An estimate left out (optional action or area), or made with a stated approximation."""


class ExtrapolationWarning(EstimationWarning):
    """An estimate outside a table's range, extended with the table's declared exponent."""
