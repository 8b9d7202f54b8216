"""timeloopfe's constraint macros, written out as the plain constraints they stand for.

- ``factors_only: [A=5, B]``: only the listed dimensions may have factors (as listed); every
  other dimension's factor is 1. ``factors_only: []``: every factor is 1.
- ``no_iteration_over_dataspaces: [Weights]``: every dimension of those data spaces has
  factor 1.
- ``keep_only: [X]`` / ``bypass_only: [X]``: keep (bypass) these, bypass (keep) the others.
- ``split: len(spec.problem.instance)``: a split at least the number of dimensions, i.e. every
  dimension of the permutation on X.

``maximize_dims``, ``maximize_dims_capacity`` and ``must_iterate_over_dataspaces`` steer
timeloopfe's choice of factors for Timeloop's mapper; they are noted and left out, so the
search here considers the mappings they would have excluded as well (its best is at least as
good).
"""
from __future__ import annotations

import re
from typing import Any

from .errors import Where, as_list, as_str
from .expr import evaluate

_HINTS = {"maximize_dims": "timeloopfe's hint to fill the fan-out; the search chooses these "
                           "factors itself",
          "maximize_dims_capacity": "timeloopfe's hint; the search chooses these factors itself",
          "must_iterate_over_dataspaces": "timeloopfe's mapper hint; the search is not limited "
                                          "by it"}
_LEN = re.compile(r"^\s*len\(\s*spec\.problem\.instance\s*\)\s*$")


def expand(kind: str, body: dict, where: Where, workload) -> dict:
    """``body`` (one constraint's keys) with the macros replaced by plain keys."""
    body = dict(body)
    for key, why in _HINTS.items():
        if key in body:
            if body[key] not in (None, [], ""):
                (where / key).ignore(why)
            del body[key]
    if kind in ("temporal", "spatial"):
        _factors_only(body, where, workload)
        _no_iteration(body, where, workload)
        if kind == "spatial" and isinstance(body.get("split"), str):
            body["split"] = _split(body["split"], where / "split", workload)
    if kind == "dataspace":
        _only(body, where, workload)
    return body


def _factor_items(value: Any, where: Where) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [t for t in re.split(r"[\s,]+", value) if t]
    return [as_str(v, where / i) for i, v in enumerate(as_list(value, where))]


def _factors_only(body: dict, where: Where, workload) -> None:
    if "factors_only" not in body:
        return
    w = where / "factors_only"
    items = _factor_items(body.pop("factors_only"), w)
    named = {re.split(r"[<>=]", item, maxsplit=1)[0] for item in items}
    for d in named:
        if d not in workload.dims:
            w.fail(f"unknown dimension {d!r}; dimensions are {', '.join(workload.dims)}")
    given = _factor_items(body.get("factors"), where / "factors")
    body["factors"] = given + [i for i in items if "=" in i or "<" in i or ">" in i] + \
        [f"{d}=1" for d in workload.dims if d not in named]


def _no_iteration(body: dict, where: Where, workload) -> None:
    if "no_iteration_over_dataspaces" not in body:
        return
    w = where / "no_iteration_over_dataspaces"
    dims: set[str] = set()
    for i, name in enumerate(as_list(body.pop("no_iteration_over_dataspaces") or [], w)):
        name = as_str(name, w / i)
        if name not in workload.ds_names:
            (w / i).fail(f"unknown data space {name!r}; data spaces are "
                         f"{', '.join(workload.ds_names)}")
        dims |= workload.data_space(name).dims()
    given = _factor_items(body.get("factors"), where / "factors")
    body["factors"] = given + [f"{d}=1" for d in workload.dims if d in dims]


def _only(body: dict, where: Where, workload) -> None:
    for key, other in (("keep_only", "bypass"), ("bypass_only", "keep")):
        if key not in body:
            continue
        w = where / key
        names = [as_str(n, w / i) for i, n in enumerate(as_list(body.pop(key) or [], w))]
        for i, n in enumerate(names):
            if n not in workload.ds_names:
                (w / i).fail(f"unknown data space {n!r}; data spaces are "
                             f"{', '.join(workload.ds_names)}")
        mine = key.removesuffix("_only")
        body[mine] = list(dict.fromkeys([*(body.get(mine) or []), *names]))
        body[other] = list(dict.fromkeys([*(body.get(other) or []),
                                          *(d for d in workload.ds_names if d not in names)]))


def _split(text: str, where: Where, workload) -> Any:
    """``len(spec.problem.instance)``: the problem's bounds and coefficients; any split of at
    least the number of dimensions puts the whole permutation on X, so this is the same
    constraint timeloopfe makes."""
    if _LEN.match(text):
        return len(workload.dims) + len(getattr(workload, "coefficients", {}) or {})
    value = evaluate(text, {}, where)
    if isinstance(value, str):
        where.fail(f"expected an integer (or len(spec.problem.instance)), got {text!r}")
    return value
