"""Sparseloop inputs: read, recognised, and said once to be ignored.

Sparsity is not modelled here: every figure is the dense one (every value of every tensor is
stored, moved and multiplied). A Sparseloop design (``sparse_optimizations`` at the top level
or on a component, tensor ``densities`` in the problem, metadata attributes such as
``metadata_storage_depth``) loads, so that its dense figures can be had, and one warning says
what was found and what it means: Sparseloop's figures for the same design are lower wherever
its gating, skipping or compression applies, and its metadata storage and traffic are not
counted here. Nothing is ever presented as the sparse answer.
"""
from __future__ import annotations

from typing import Any

#: component attributes that only Sparseloop uses (metadata storage, compression)
SPARSE_ATTRIBUTES = ("metadata_storage_depth", "metadata_storage_width", "metadata_datawidth",
                     "metadata_block_size", "metadata_counter_width", "metadata_depth",
                     "decompression_supported", "compression_supported")


def _non_empty(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_non_empty(v) for k, v in value.items() if k != "version")
    if isinstance(value, list):
        return any(_non_empty(v) for v in value)
    return value not in (None, "", 0, False)


def _walk(value: Any, found: dict[str, set[str]], where: str = "") -> None:
    """Components with ``sparse_optimizations`` or metadata attributes, anywhere in an arch."""
    if isinstance(value, dict):
        name = str(value.get("name", where))
        if _non_empty(value.get("sparse_optimizations")):
            found.setdefault("sparse_optimizations", set()).add(name)
        attrs = value.get("attributes")
        if isinstance(attrs, dict):
            for key in SPARSE_ATTRIBUTES:
                if _non_empty(attrs.get(key)):
                    found.setdefault("metadata attributes", set()).add(name)
        for k, v in value.items():
            if k != "attributes":
                _walk(v, found, name)
    elif isinstance(value, list):
        for v in value:
            _walk(v, found, where)


def _densities(problem: Any) -> list[str]:
    """Tensors given a density below 1 (or a density distribution)."""
    if not isinstance(problem, dict):
        return []
    instance = problem.get("instance") if isinstance(problem.get("instance"), dict) else {}
    dens = instance.get("densities") or problem.get("densities") or {}
    out = []
    if isinstance(dens, dict):
        for tensor, d in dens.items():
            value = d.get("density") if isinstance(d, dict) else d
            try:
                if float(value) < 1:
                    out.append(f"{tensor} {float(value):g}")
            except (TypeError, ValueError):
                out.append(str(tensor))
    return out


def sparsity_note(inputs) -> str | None:
    """One message naming what of Sparseloop the inputs hold and what ignoring it means, or
    None for a dense design."""
    found: dict[str, set[str]] = {}
    top = inputs.get("sparse_optimizations")
    if top is not None and _non_empty(top[0]):
        targets = top[0].get("targets") if isinstance(top[0], dict) else None
        names = {str(t.get("target", t.get("name", "?"))) for t in targets or []
                 if isinstance(t, dict)}
        found.setdefault("sparse_optimizations", set()).update(names or {"(top level)"})
    arch = inputs.get("architecture", "arch")
    if arch is not None:
        _walk(arch[0], found)
    problem = inputs.get("problem")
    dense = _densities(problem[0]) if problem is not None else []
    if not found and not dense:
        return None
    what = [f"{kind} ({', '.join(sorted(names))})" for kind, names in sorted(found.items())]
    if dense:
        what.append(f"tensor densities ({', '.join(dense)})")
    return ("sparsity is not modelled: this design has Sparseloop inputs, " + "; ".join(what)
            + ". They are read and ignored: every figure here is for dense tensors (every "
            "value stored, moved and multiplied). Sparseloop's figures for it are lower "
            "wherever gating, skipping or compression applies, and its metadata storage and "
            "traffic are not counted here.")


def say_once(notes, note: str | None) -> None:
    """With the one sparsity warning given, the readers' notes on each sparse key go."""
    if note:
        for key, reason in list(notes.ignored.items()):
            if "sparse" in reason or "sparsity" in reason:
                del notes.ignored[key]


def mark_dense(stats: dict, note: str | None) -> dict:
    """``stats.json`` of a run on a Sparseloop design says its figures are the dense ones."""
    if note:
        stats["sparsity"] = {"modelled": False, "figures": "dense", "note": note}
    return stats
