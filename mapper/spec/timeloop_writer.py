"""Mapping -> Timeloop's mapping YAML (what ``timeloop-model`` reads), and stable YAML text.

The directives have the shape of the map.yaml Timeloop's own mapper writes: first one datatype
directive per storage level (innermost first) with complete keep and bypass lists, then per
level, innermost first, its spatial directive and its temporal directive. Factors name every
dimension in the workload's order (``"C1 M4 R1 ..."``) and permutations list every dimension
innermost first exactly as the mapping stores them (unit loops included), with the split as
stored, so :func:`timeloop_mapping.read_mapping` reads the result back to an equal Mapping.

A spatial directive is written only for levels with a fan-out: Timeloop rejects one elsewhere.
Such a level's spatial nest can only hold unit factors, and reads back in the default order.
"""
from __future__ import annotations

from typing import Any

import yaml

from .arch import Arch
from .mapping import Mapping
from .workload import Workload


def factor_string(factors: tuple[int, ...], dims: tuple[str, ...]) -> str:
    """``"C1 M4 R1"``; ``"X2=4"`` style when a dimension name ends in a digit."""
    sep = "=" if any(d[-1].isdigit() for d in dims) else ""
    return " ".join(f"{d}{sep}{int(f)}" for d, f in zip(dims, factors))


def permutation_string(order: tuple[str, ...]) -> str:
    """``"MCRSNPQ"`` for one-letter dimensions, else space separated (innermost first)."""
    return "".join(order) if all(len(d) == 1 for d in order) else " ".join(order)


def mapping_to_timeloop(mapping: Mapping, arch: Arch, workload: Workload) -> list[dict]:
    """The mapping as Timeloop's list of directives (``{"mapping": <this>}`` is a map.yaml)."""
    dims = workload.dims
    if tuple(mapping.dims) != tuple(dims):
        raise ValueError(f"the mapping's dimensions {mapping.dims} are not the workload's {dims}")
    if len(mapping.levels) != len(arch.storage):
        raise ValueError(f"the mapping has {len(mapping.levels)} levels but the arch has "
                         f"{len(arch.storage)} storage levels")
    out: list[dict] = []
    for level, lm in zip(arch.storage, mapping.levels):
        out.append({"target": level.name, "type": "datatype",
                    "keep": [ds for ds in workload.ds_names if ds in lm.keep],
                    "bypass": [ds for ds in workload.ds_names if ds not in lm.keep]})
    for k, (level, lm) in enumerate(zip(arch.storage, mapping.levels)):
        if arch.fanout(k) != (1, 1):
            out.append({"target": level.name, "type": "spatial",
                        "factors": factor_string(lm.spatial, dims),
                        "permutation": permutation_string(lm.spatial_order),
                        "split": int(lm.split)})
        elif any(f != 1 for f in lm.spatial):
            raise ValueError(f"level {level.name!r} has no spatial fan-out but the mapping "
                             f"gives it spatial factors {factor_string(lm.spatial, dims)}")
        out.append({"target": level.name, "type": "temporal",
                    "factors": factor_string(lm.temporal, dims),
                    "permutation": permutation_string(lm.temporal_order)})
    return out


class _Dumper(yaml.SafeDumper):
    """Block style, keys in insertion order, tuples as lists."""


_Dumper.add_representer(tuple, lambda d, v: d.represent_list(list(v)))


def dump_yaml(obj: Any) -> str:
    """Deterministic YAML text (PyYAML block style, keys in insertion order)."""
    return yaml.dump(obj, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True)
