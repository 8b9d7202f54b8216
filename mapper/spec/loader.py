"""Safe YAML loading and Timeloop-style merging of several input files.

Any file may hold any of the top-level keys (``architecture``, ``problem``, ``mapping``, ``ERT``
...); the merged :class:`Inputs` remembers which file each key came from so that errors point
at the right file.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import Notes, SpecError, Where


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys (PyYAML silently keeps the last one)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False):
    loader.flatten_mapping(node)
    out = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in out:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        out[key] = loader.construct_object(value_node, deep=deep)
    return out


def _construct_tagged(loader: _UniqueKeyLoader, tag_suffix: str, node: yaml.Node):
    """Timeloop v0.4 tags (``!Component``, ``!Container``, ``!Parallel``...): keep the tag."""
    if isinstance(node, yaml.MappingNode):
        value = _construct_mapping(loader, node, deep=True)
        value = dict(value)
        value["_tag"] = tag_suffix
        return value
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_UniqueKeyLoader.add_multi_constructor("!", _construct_tagged)


def load_yaml(path: str | Path) -> Any:
    """Load one YAML file safely; syntax errors name the file, line and column."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise SpecError("file not found", str(path)) from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as e:
        raise SpecError(f"cannot read: {e.__class__.__name__}", str(path)) from None
    return parse_yaml(text, str(path))


def parse_yaml(text: str, name: str) -> Any:
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "?"
        raise SpecError(f"invalid YAML at {where}: {e.problem or e.context}", name) from None
    except yaml.YAMLError as e:
        raise SpecError(f"invalid YAML: {e}", name) from None


@dataclass
class Inputs:
    """Top-level keys merged from several files, each remembering its file."""

    values: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    notes: Notes = field(default_factory=Notes)

    def add_file(self, path: str | Path) -> None:
        data = load_yaml(path)
        self.add(data, str(path))

    def add(self, data: Any, name: str) -> None:
        if data is None:
            raise SpecError("the file is empty", name)
        if not isinstance(data, dict):
            raise SpecError("expected a mapping of top-level keys (architecture, problem, "
                            "mapping, ...) at the top of the file", name)
        for key, value in data.items():
            if key in self.values:
                raise SpecError(f"top-level key {key!r} is given twice: also in "
                                f"{self.files[key]}", name, key)
            self.values[key] = value
            self.files[key] = name

    def get(self, *keys: str) -> tuple[Any, Where] | None:
        """The first of ``keys`` present, with its location."""
        for key in keys:
            if key in self.values:
                return self.values[key], Where(self.files[key], key, self.notes)
        return None

    def require(self, what: str, *keys: str) -> tuple[Any, Where]:
        found = self.get(*keys)
        if found is None:
            files = ", ".join(sorted(set(self.files.values()))) or "no input files"
            raise SpecError(f"no {what} given: expected a top-level key "
                            f"{' or '.join(repr(k) for k in keys)} in one of the files ({files})")
        return found
