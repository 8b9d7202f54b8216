"""Reading YAML safely: one file's text (size-limited, UTF-8), parsed with libyaml when
installed, duplicate keys rejected, merge keys (``<<``, Accelergy's ``<<<``/``!nomerge``) and
Timeloop v0.4 tags (``!Component``...) read; every error names the file, line and column.
"""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from .errors import SpecError


#: Inputs larger than this are refused before parsing: the largest Timeloop/Accelergy input
#: of the public exercises is under 300 kB, and parsing YAML costs about 5 s per MB here.
MAX_YAML_BYTES = 2 * 1024 * 1024

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)       # libyaml's parser when installed


class _UniqueKeyLoader(_Base):  # type: ignore[misc, valid-type]
    """SafeLoader that rejects duplicate keys (PyYAML silently keeps the last one) and reads
    merge keys: ``<<: *anchor`` (YAML's, the keys written next to it override the merged
    ones) and ``<<<: *anchor`` (Accelergy's hierarchical merge: mappings are merged key by
    key, lists are extended, and a value tagged ``!nomerge`` is taken as written)."""


class _NoMergeList(list):
    """A list tagged ``!nomerge``: a ``<<<`` merge takes it as written."""


class _NoMergeDict(dict):
    """A mapping tagged ``!nomerge``."""


_MERGE_TAG = "tag:yaml.org,2002:merge"


def _is_deep_merge(key_node: yaml.Node) -> bool:
    return isinstance(key_node, yaml.ScalarNode) and key_node.value == "<<<" \
        and key_node.tag == "tag:yaml.org,2002:str"


def _key(loader: _UniqueKeyLoader, key_node: yaml.Node, deep: bool) -> Any:
    key = loader.construct_object(key_node, deep=deep)
    try:
        hash(key)
    except TypeError:
        hint = (" (a Jinja2 expression such as {{ name }} read as YAML: this file is a "
                "template; give its variables with --set NAME=VALUE)"
                if isinstance(key, dict) and len(key) == 1 and next(iter(key.values())) is None
                else "")
        raise yaml.constructor.ConstructorError(
            None, None, f"a key must be a plain value, got {type(key).__name__}" + hint,
            key_node.start_mark) from None
    return key


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False):
    deep_merges = [v for k, v in node.value if _is_deep_merge(k)]
    node.value = [(k, v) for k, v in node.value if not _is_deep_merge(k)]
    seen: set = set()
    for key_node, _ in node.value:          # the keys written here, before any merge
        if key_node.tag == _MERGE_TAG:
            continue
        key = _key(loader, key_node, deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    if len(deep_merges) + sum(k.tag == _MERGE_TAG for k, _ in node.value) > 1:
        raise yaml.constructor.ConstructorError(
            None, None, "more than one merge key ('<<' or '<<<') in one mapping",
            node.start_mark)
    loader.flatten_mapping(node)            # '<<': merged keys first, so the written ones win
    out = {}
    for key_node, value_node in node.value:
        out[_key(loader, key_node, deep)] = loader.construct_object(value_node, deep=True)
    for merge_node in deep_merges:
        merged = loader.construct_object(merge_node, deep=True)
        sources = merged if isinstance(merged, list) else [merged]
        if not sources or not all(isinstance(m, dict) for m in sources):
            raise yaml.constructor.ConstructorError(
                None, None, "'<<<' expects a mapping or a list of mappings (e.g. *anchor)",
                merge_node.start_mark)
        for source in sources:
            out = _deep_merge(out, source)
    return out


def _deep_merge(own: dict, merged: dict) -> dict:
    """``own`` with ``merged``'s keys added: own values win; mappings merge key by key; lists
    are extended (own items first); ``!nomerge`` values are taken as written."""
    out = dict(own)
    for key, value in merged.items():
        if key not in out:
            out[key] = copy.deepcopy(value)
            continue
        mine = out[key]
        if isinstance(mine, (_NoMergeList, _NoMergeDict)):
            continue
        if isinstance(mine, dict) and isinstance(value, dict):
            out[key] = _deep_merge(mine, value)
        elif isinstance(mine, list) and isinstance(value, list):
            out[key] = mine + copy.deepcopy(value)
    return out


def _construct_tagged(loader: _UniqueKeyLoader, tag_suffix: str, node: yaml.Node):
    """Timeloop v0.4 tags (``!Component``, ``!Container``, ``!Parallel``...): keep the tag;
    Accelergy's ``!nomerge``: a value a ``<<<`` merge leaves as written."""
    if tag_suffix == "nomerge":
        if isinstance(node, yaml.MappingNode):
            return _NoMergeDict(_construct_mapping(loader, node, deep=True))
        if isinstance(node, yaml.SequenceNode):
            return _NoMergeList(loader.construct_sequence(node, deep=True))
        return loader.construct_scalar(node)
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


def read_text(path: str | Path) -> str:
    """A file's text; a missing, unreadable, binary or oversized file is a SpecError."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise SpecError(f"the file is {size / 2**20:.1f} MiB; input files are limited to "
                            f"{MAX_YAML_BYTES / 2**20:g} MiB (Timeloop and Accelergy inputs are "
                            f"well under 1 MiB): is this the right file?", str(path))
        data = path.read_bytes()
    except FileNotFoundError:
        raise SpecError("file not found", str(path)) from None
    except (IsADirectoryError, PermissionError) as e:
        raise SpecError(f"cannot read: {e.__class__.__name__}", str(path)) from None
    except OSError as e:
        raise SpecError(f"cannot read: {e.strerror or e}", str(path)) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SpecError(f"not a text file (byte {e.start} is not UTF-8): expected YAML",
                        str(path)) from None


def load_yaml(path: str | Path) -> Any:
    """Load one YAML file safely; syntax errors name the file, line and column."""
    return parse_yaml(read_text(path), str(path))


def parse_yaml(text: str, name: str) -> Any:
    if len(text) > MAX_YAML_BYTES:
        raise SpecError(f"the text is {len(text) / 2**20:.1f} MiB; inputs are limited to "
                        f"{MAX_YAML_BYTES / 2**20:g} MiB", name)
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "?"
        what = e.problem or e.context
        if e.problem and e.context and "anchor" in e.context:    # "second occurrence"
            first = e.context_mark
            what = f"{e.context.replace('; first occurrence', '')} (first at line " \
                   f"{first.line + 1}): an anchor may be defined once per file"
        raise SpecError(f"invalid YAML at {where}: {what}", name) from None
    except yaml.YAMLError as e:
        raise SpecError(f"invalid YAML: {e}", name) from None
    except RecursionError:
        raise SpecError("nested too deeply to read (thousands of levels of lists or mappings): "
                        "expected an input of a few dozen levels", name) from None
