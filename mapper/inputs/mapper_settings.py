"""Timeloop ``mapper:`` blocks as users and timeloopfe write them, in the spellings the search
settings reader takes (:func:`mapper.mapsearch.settings.read_mapper_settings`).

- ``optimization_metric`` (singular, the 2020 tutorial's spelling) is ``optimization-metrics``;
  timeloopfe's processed input has both, one of them empty: the empty one is not a setting.
- ``null`` (``sync_interval: null``) means "not set": the default is used.
- Settings that steer only Timeloop's own mapper threads (``sync_interval``) are noted and
  ignored, like its logging settings.

A metric given under both spellings with different values is an error naming both.
"""
from __future__ import annotations

from typing import Any

from ..spec.errors import Where, as_mapping

_METRICS = ("optimization_metrics", "optimization_metric")
#: settings of Timeloop's mapper threads that a search here has no use for
_THREADS_ONLY = {"sync_interval": "how often Timeloop's mapper threads share their best",
                 "log_interval": "Timeloop's logging", "hint": "Timeloop's mapper hints"}


def normalize_mapper_settings(value: Any, where: Where) -> dict:
    """The ``mapper:`` block with Timeloop's other spellings made canonical and the settings
    that are not set (null, empty metrics) left out, each noted."""
    from ..mapsearch.objective import parse_objective
    d = as_mapping(value, where)
    out: dict = {}
    metrics: list[tuple[str, Any]] = []
    for key, v in d.items():
        k = str(key).replace("-", "_")
        w = where / key
        if v is None:
            w.ignore("null: not set, the default is used")
            continue
        if k in _METRICS:
            if isinstance(v, (list, dict, str)) and not v:
                w.ignore("empty: not set")
                continue
            parse_objective(v, w)            # errors at the user's own key
            metrics.append((key, v))
            continue
        if k in _THREADS_ONLY:
            w.ignore(f"steers {_THREADS_ONLY[k]} only")
            continue
        out[key] = v
    if len(metrics) > 1 and metrics[0][1] != metrics[1][1]:
        (where / metrics[1][0]).fail(
            f"the optimization metrics are given twice, differently: {metrics[0][1]!r} as "
            f"{metrics[0][0]} and {metrics[1][1]!r} as {metrics[1][0]}; give one")
    if metrics:
        out["optimization-metrics"] = metrics[0][1]
    return out
