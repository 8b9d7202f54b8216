"""Timeloop-style merging of several input files (each read by :mod:`.yaml_io`, rendered by
:mod:`.jinja` when it is a template).

Any file may hold any of the top-level keys (``architecture``, ``problem``, ``mapping``, ``ERT``
...); the merged :class:`Inputs` remembers which file each key came from so that errors point
at the right file.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .combine import combine, is_empty
from .errors import Notes, SpecError, Where
from .jinja import Rendering, included_file, is_template, render, substitute
from .yaml_io import MAX_YAML_BYTES, load_yaml, parse_yaml, read_text  # noqa: F401 (re-exported)


@dataclass
class Inputs:
    """Top-level keys merged from several files, each remembering its file.

    A key given in several files is combined as timeloopfe combines it (:mod:`.combine`):
    ``files`` names the file of its first non-empty value, ``parts`` keeps every file's own
    value (for readers that point each item at its file, e.g. component classes)."""

    values: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    notes: Notes = field(default_factory=Notes)
    parts: dict[str, list[tuple[str, Any]]] = field(default_factory=dict)
    #: the values templates are rendered with (``--set``, ``--params``) and what they used
    rendering: Rendering = field(default_factory=lambda: Rendering({}))

    def add_file(self, path: str | Path) -> None:
        """A YAML file, or a Jinja2 template rendered with ``rendering``'s values
        (:mod:`.jinja`); a top-level value included whole from another file keeps that file
        for its errors."""
        path = Path(path)
        text = read_text(path)
        if not is_template(path, text):
            self.add(parse_yaml(text, str(path)), str(path))
            return
        self.rendering.include_dirs = []
        rendered = render(path, text, self.rendering)
        try:
            data = parse_yaml(rendered, str(path))
        except SpecError as e:
            raise SpecError(f"{e.message} (a line of the YAML that the Jinja2 template "
                            f"rendered to)", e.file, e.path) from None
        files = {k: included_file(v, self.rendering) for k, v in data.items()} \
            if isinstance(data, dict) else {}
        self.add(substitute(data, self.rendering), str(path),
                 {k: f for k, f in files.items() if f})

    def add(self, data: Any, name: str, key_files: dict[str, str] | None = None) -> None:
        if data is None:
            raise SpecError("the file is empty", name)
        if not isinstance(data, dict):
            raise SpecError("expected a mapping of top-level keys (architecture, problem, "
                            "mapping, ...) at the top of the file", name)
        for key, value in data.items():
            if not isinstance(key, str):
                raise SpecError(f"top-level key {key!r}: expected a name (architecture, "
                                f"problem, mapping, ...)", name)
            file = (key_files or {}).get(key, name)
            self.parts.setdefault(key, []).append((file, value))
            if key not in self.values or is_empty(self.values[key]):
                self.values[key] = value
                self.files[key] = file
            else:
                self.values[key] = combine(self.values[key], value, key, self.files[key], file)

    def sources(self, key: str) -> list[tuple[str, Any]]:
        """Each file's own value of ``key`` (file, value), in the order given."""
        return list(self.parts.get(key, []))

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
