"""Combining a top-level key given in several files, as timeloopfe combines them.

timeloopfe (``Specification.from_yaml_files``) merges files key by key: an empty value
(``mapping: []``, ``{}``, null) gives way to the other one, equal values are one value, lists are
extended (``compound_components.classes`` spread over several component files), mappings are
combined key by key; two different values for the same field are an error. So a processed input
with ``mapping: []`` next to a separate mapping file, or component classes in one file each,
read as their users meant, while a bound given as 4 in one file and 8 in another stays an error
that names both files.
"""
from __future__ import annotations

from typing import Any

from .errors import SpecError


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, (list, dict, str)) and not value)


def combine(first: Any, second: Any, key: str, first_file: str, second_file: str) -> Any:
    """``first`` (from ``first_file``) combined with ``second``; a conflict is a SpecError
    naming both files and the field."""
    return _combine(first, second, key, first_file, second_file)


def _same(a: Any, b: Any) -> bool:
    if a == b:
        return True
    # version: 0.4 and version: '0.4' are one version
    return isinstance(a, (int, float, str)) and isinstance(b, (int, float, str)) \
        and not isinstance(a, bool) and not isinstance(b, bool) and str(a) == str(b)


def _combine(a: Any, b: Any, path: str, file_a: str, file_b: str) -> Any:
    if is_empty(b) or _same(a, b):
        return a
    if is_empty(a):
        return b
    if isinstance(a, list) and isinstance(b, list):
        return a + b
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = _combine(out[k], v, f"{path}.{k}", file_a, file_b) if k in out else v
        return out
    raise SpecError(f"given twice with different values: {_show(a)} in {file_a} and "
                    f"{_show(b)} in {file_b}; the files are merged (as timeloopfe merges them), "
                    f"so a field may be given in one file only", file_b, path)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
