"""Top-level keys timeloopfe matches by part of their name.

timeloopfe reads a top-level key whose name contains ``constraints`` as constraints
(``extra_mapping_constraints`` of the example designs' top.yaml.jinja2), one containing
``components`` as component classes (``compound_components``), one containing ``globals`` as
its globals, and ignores one containing ``ignore`` (``problem_base_ignore``, an anchor holder).
"""
from __future__ import annotations

#: in timeloopfe's order of precedence
PART_NAMES = ("components", "constraints", "globals", "ignore")


def part_name(key: str) -> str | None:
    """The kind of key ``key`` is by part of its name, or None."""
    return next((p for p in PART_NAMES if p in str(key)), None)


def keys_like(inputs, name: str, first: tuple[str, ...] = ()) -> list[str]:
    """The inputs' top-level keys of kind ``name``: those of ``first`` (in that order), then
    the others in the order given."""
    keys = [k for k in first if k in inputs.values]
    return keys + [k for k in inputs.values if k not in keys and part_name(k) == name]
