"""One entry point per input kind that recognises which format a YAML value is in.

``read_workload``: our Einsum format (``einsum``/``data_spaces`` + ``bounds``, einsum.py),
Timeloop v0.3/v0.4 (``shape`` + ``instance``) and Timeloop's older forms (``shape`` naming
the built-in cnn-layer, or no shape and bounds R S P Q C K N directly; timeloop_problem.py).

``read_arch``: Timeloop v0.3 (``subtree``), Timeloop v0.4 (``nodes``) and our format
(``levels`` + ``compute``, own_arch.py). The form is told by its keys, never by ``version``
(timeloopfe writes v0.3 trees with ``version: 0.4``).
"""
from __future__ import annotations

import difflib
from typing import Any

from .arch import Arch
from .einsum import read_einsum
from .errors import Where, as_mapping
from .own_arch import read_own_arch
from .timeloop_arch import read_arch_v03
from .timeloop_arch_v04 import read_arch_v04
from .timeloop_problem import CNN_LAYER_SHAPE, read_problem_v04
from .workload import Workload

_CNN_DIMS = set(CNN_LAYER_SHAPE["dimensions"])


def _unwrap(value: Any, where: Where, keys: tuple[str, ...]) -> tuple[Any, Where]:
    """Accept a whole file's mapping (``{problem: ..., mapping: ...}``) as well as the value
    of its top-level key."""
    if isinstance(value, dict):
        found = [k for k in keys if k in value]
        if len(found) == 1:
            return value[found[0]], where / found[0]
    return value, where


def _unrecognised(d: dict, where: Where, what: str, forms: str, known: list[str]):
    hints = sorted({h for k in d for h in difflib.get_close_matches(str(k), known, 1, 0.7)
                    if h not in d})
    where.fail(f"cannot tell which {what} format this is: expected {forms}; found keys "
               f"{', '.join(map(str, d)) or 'none'}"
               + (f" (did you mean {', '.join(map(repr, hints))}?)" if hints else ""))


def read_workload(value: Any, where: Where) -> Workload:
    """A :class:`Workload` from any supported problem format."""
    value, where = _unwrap(value, where, ("problem",))
    problem = as_mapping(value, where)
    if problem.keys() & {"einsum", "bounds"} or ("data_spaces" in problem
                                                  and "shape" not in problem):
        return _sized(read_einsum(problem, where), where)
    if problem.keys() & {"shape", "instance"} or problem.keys() & _CNN_DIMS:
        return _sized(read_problem_v04(problem, where), where)
    _unrecognised(problem, where, "problem",
                  "'einsum' and 'bounds' (our format), 'shape' and 'instance' (Timeloop "
                  "v0.3/v0.4), or the bounds R, S, P, Q, C, K, N of Timeloop's cnn-layer",
                  ["einsum", "bounds", "data_spaces", "coefficients", "shape", "instance"])


#: the most MACs a layer may have: the model counts in 64-bit integers, and no layer comes
#: within a thousandth of this
MAX_MACS = 2**53


def _sized(workload: Workload, where: Where) -> Workload:
    if workload.macs > MAX_MACS:
        where.fail(f"the loop bounds multiply to {workload.macs:.3g} MACs; expected at most "
                   f"2^53 ({MAX_MACS:.3g}): is a bound too large?")
    return workload


def read_arch(value: Any, where: Where, variables: dict[str, Any] | None = None,
              check_layout: bool = True) -> Arch:
    """An :class:`Arch` from any supported architecture format; ``variables`` (Timeloop
    v0.4's top-level ``variables:``) are inherited by every component of a Timeloop arch.
    ``check_layout=False`` (pricing the components alone, ``mapper energy``) notes a breach of
    Timeloop's spatial layout rule instead of refusing the arch, as Accelergy does."""
    value, where = _unwrap(value, where, ("architecture", "arch"))
    arch = as_mapping(value, where)
    if "subtree" in arch:
        return read_arch_v03(arch, where, variables, check_layout)
    if "nodes" in arch:
        return read_arch_v04(arch, where, variables, check_layout)
    if "levels" in arch:
        return read_own_arch(arch, where)
    _unrecognised(arch, where, "architecture",
                  "'subtree' (Timeloop v0.3), 'nodes' (Timeloop v0.4) or 'levels' and "
                  "'compute' (our format)", ["subtree", "nodes", "levels", "compute"])
