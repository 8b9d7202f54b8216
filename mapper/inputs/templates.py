"""Architecture templates: architectures in our format whose ``variables`` are parameters.

A template (``arch_templates/NAME.yaml``) is an ordinary architecture in our format
(``mapper/spec/own_arch.py``): every number that a user may want to change is a variable with
its default, and the levels refer to the variables by name or in arithmetic. A user changes them
without editing the file::

    mapper model eyeriss_like problem.yaml map.yaml --set pe_rows=16 --set glb_kb=256
    mapper energy simba_like --params my_values.yaml

    >>> from mapper.inputs.templates import load_template
    >>> arch = load_template("eyeriss_like", {"pe_cols": 16})

Overrides are checked before and after substitution: an unknown parameter, a value of the
wrong kind, or a value that makes the arch invalid (zero PEs, a buffer smaller than one
vector) is a :class:`SpecError` that names the template file, the field that broke and the
parameter that broke it, with where the value came from (``--set`` or the values file).
"""
from __future__ import annotations

import difflib
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from ..spec import read_arch
from ..spec.arch import Arch
from ..spec.errors import SpecError, UnknownParameter, Where, as_mapping, type_name
from ..spec.expr import evaluate
from ..spec.loader import load_yaml

def bundled_dir(name: str) -> Path:
    """A bundled data directory (``arch_templates``, ``problems``): in the source checkout, or
    where ``pip install`` put it (``<prefix>/share/dnn-mapper/``)."""
    checkout = Path(__file__).resolve().parents[2] / name
    installed = Path(sys.prefix) / "share" / "dnn-mapper" / name
    return checkout if checkout.is_dir() or not installed.is_dir() else installed


#: the bundled templates (pass a path for templates elsewhere)
TEMPLATE_DIR = bundled_dir("arch_templates")
_NAME = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


@dataclass(frozen=True)
class Overrides:
    """Parameter values and, for each, where it came from (for the error messages)."""

    values: dict[str, Any] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.values)

    @classmethod
    def of(cls, value: "Overrides | Mapping[str, Any] | None",
           origin: str = "overrides") -> "Overrides":
        if value is None or isinstance(value, Overrides):
            return value or cls()
        return cls(dict(value), {k: f"{origin}: {k}" for k in value})

    def merged(self, later: "Overrides") -> "Overrides":
        """These values, replaced by ``later``'s where both give one."""
        return Overrides({**self.values, **later.values}, {**self.origins, **later.origins})

    def origin(self, name: str) -> str:
        return self.origins.get(name, f"overrides: {name}")

    def only(self, names: Iterable[str]) -> "Overrides":
        """The overrides of ``names`` (for a caller that splits them between files)."""
        keep = set(names)
        return Overrides({k: v for k, v in self.values.items() if k in keep},
                         {k: v for k, v in self.origins.items() if k in keep})


def parse_set(items: Iterable[str]) -> Overrides:
    """``["pe_rows=16", "technology=45nm"]`` -> Overrides; values are YAML scalars."""
    values, origins = {}, {}
    for item in items:
        origin = f"--set {item}"
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not _NAME.fullmatch(name):
            raise SpecError(f"{origin}: expected KEY=VALUE with KEY a parameter name, "
                            f"e.g. --set pe_rows=16")
        if not text.strip():
            raise SpecError(f"{origin}: no value after '='")
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError:
            value = text.strip()
        if not isinstance(value, (bool, int, float, str)):     # bools: Jinja2 flags
            raise SpecError(f"{origin}: expected a number, a word or true/false, got "
                            f"{type_name(value)}")
        values[name], origins[name] = _number(value), origin
    return Overrides(values, origins)


def read_params(path: str | Path) -> Overrides:
    """A small YAML of values: ``{pe_rows: 16, glb_kb: 256}`` (or the same under
    ``parameters:``)."""
    data = load_yaml(path)
    where = Where(str(path))
    if isinstance(data, dict) and list(data) == ["parameters"]:
        data, where = data["parameters"], where / "parameters"
    if data is None:
        raise SpecError("the file is empty; expected parameter values such as "
                        "'pe_rows: 16'", str(path))
    data = as_mapping(data, where)
    for key, value in data.items():
        if not isinstance(key, str) or not _NAME.fullmatch(key):
            (where / str(key)).fail("expected a parameter name (letters, digits and _)")
        if not isinstance(value, (bool, int, float, str)):
            (where / key).fail(f"expected a number, a word or true/false, got "
                               f"{type_name(value)}")
    return Overrides({k: _number(v) for k, v in data.items()},
                     {k: f"{path}: {(where / k).path}" for k in data})


def _number(value: Any) -> Any:
    """``"1e3"`` is a string to YAML 1.1 (PyYAML); a user means the number."""
    if isinstance(value, str):
        for kind in (int, float):
            try:
                return kind(value.strip())
            except ValueError:
                pass
    return value


def collect(set_items: Iterable[str] = (), params_file: str | Path | None = None) -> Overrides:
    """The CLI's ``--params FILE`` and ``--set KEY=VALUE``; ``--set`` wins."""
    base = read_params(params_file) if params_file else Overrides()
    return base.merged(parse_set(set_items))


# -- finding templates ---------------------------------------------------------------------------

def template_names() -> list[str]:
    return sorted(p.stem for p in TEMPLATE_DIR.glob("*.yaml"))


def template_path(name_or_path: str | Path) -> Path:
    """A bundled template's file (``eyeriss_like``) or the given path."""
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") or p.exists() or len(p.parts) > 1:
        return p
    found = TEMPLATE_DIR / f"{p}.yaml"
    if not found.exists():
        hint = difflib.get_close_matches(str(p), template_names(), n=1)
        raise SpecError(f"no architecture template {str(p)!r}"
                        + (f" (did you mean {hint[0]!r}?)" if hint else "")
                        + f"; templates are: {', '.join(template_names())}", str(p))
    return found


def resolve_input(p: str | Path) -> Path:
    """An input file, or a bundled template named without a path (``mapper model eyeriss_like
    ...``)."""
    path = Path(p)
    if path.exists() or path.suffix or len(path.parts) > 1:
        return path
    if (TEMPLATE_DIR / f"{path}.yaml").exists():
        return TEMPLATE_DIR / f"{path}.yaml"
    hint = difflib.get_close_matches(str(path), template_names(), n=1)
    raise SpecError("no such file" + (f", and no architecture template of that name (did you "
                                      f"mean {hint[0]!r}?)" if hint else ""), str(path))


# -- applying overrides --------------------------------------------------------------------------

def _variables(arch: Any, where: Where) -> dict:
    arch = as_mapping(arch, where)
    return dict(as_mapping(arch.get("variables") or {}, where / "variables"))


def apply_overrides(arch: Any, overrides: Overrides | Mapping[str, Any] | None,
                    where: Where) -> Any:
    """The ``arch`` value (our format) with its variables replaced; checks names and kinds."""
    overrides = Overrides.of(overrides)
    if not overrides:
        return arch
    if not isinstance(arch, dict) or "levels" not in arch:
        name = next(iter(overrides.values))
        raise SpecError(f"{overrides.origin(name)}: parameters can only be set on an "
                        f"architecture in our format with 'variables' (see arch_templates/); "
                        f"this one is in a Timeloop format", where.file, where.path or None)
    variables = _variables(arch, where)
    for name, value in overrides.values.items():
        origin = overrides.origin(name)
        if name not in variables:
            hint = difflib.get_close_matches(name, list(variables), n=1)
            at = where / "variables"
            raise UnknownParameter(
                name, f"unknown parameter {name!r} ({origin})"
                + (f"; did you mean {hint[0]!r}?" if hint else "")
                + f"; parameters are: {', '.join(variables) or 'none'}", at.file, at.path or None)
        default = evaluate(variables[name], variables, where / "variables" / name)
        given = evaluate(value, {**variables, **overrides.values}, where / "variables" / name)
        if _is_number(default) and not _is_number(given):
            (where / "variables" / name).fail(
                f"parameter {name} = {value!r} ({origin}): expected a number, like its "
                f"default {variables[name]!r}")
    return {**arch, "variables": {**variables, **overrides.values}}


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def read_arch_overridden(value: Any, where: Where,
                         overrides: Overrides | Mapping[str, Any] | None = None) -> Arch:
    """:func:`mapper.spec.read_arch` after :func:`apply_overrides`; an error in a field that a
    parameter set reaches is reported with that parameter and where its value came from."""
    overrides = Overrides.of(overrides)
    if not overrides:
        return read_arch(value, where)
    key = "arch" if isinstance(value, dict) and "arch" in value and "levels" not in value \
        else None
    arch_value, arch_where = (value[key], where / key) if key else (value, where)
    changed = apply_overrides(arch_value, overrides, arch_where)
    try:
        return read_arch(changed, arch_where)
    except SpecError as e:
        if e.file != where.file or not e.path:
            raise
        nodes = _nodes(changed, arch_where.path, e.path)
        blamed = next((hit for _, node in reversed(nodes)
                       if (hit := [n for n in overrides.values
                                   if n in _names_used(node, changed.get("variables") or {})])),
                      None)
        if not blamed:
            raise
        field_, raw = nodes[-1]
        context = ""
        level = next((node.get("name") for key, node in nodes
                      if isinstance(node, dict) and key.startswith("levels[")), None)
        if level:
            context += f" (level {level!r})"
        if isinstance(raw, str):
            value = evaluate(raw, changed["variables"], arch_where)
            if value != raw:
                context += f"; {field_} = {raw} = {value:g}" if _is_number(value) else ""
                if field_ == "depth" and _is_number(value) and value < 1:
                    context += " (less than one vector: the buffer could hold nothing)"
        causes = "; ".join(f"parameter {n} = {overrides.values[n]!r} ({overrides.origin(n)})"
                           for n in blamed)
        raise SpecError(f"{e.message}{context} [caused by {causes}]", e.file, e.path) from None


def _nodes(arch: dict, prefix: str, path: str) -> list[tuple[str, Any]]:
    """(key, value) from the arch down to the field at ``path`` (as far as it exists)."""
    steps = re.findall(r"\.([^.\[]+)|\[(\d+)\]", "." + path[len(prefix):].lstrip("."))
    out: list[tuple[str, Any]] = [("arch", arch)]
    for key, index in steps:
        node = out[-1][1]
        try:
            node = node[int(index)] if index else node[key]
        except (KeyError, IndexError, TypeError, ValueError):
            break
        label = out[-1][0] if index else key
        out.append((f"{label}[{index}]" if index else label, node))
    return out


def _names_used(node: Any, variables: dict) -> set[str]:
    """Variable names a YAML value refers to, followed through the variables' own values."""
    todo = list(_words(node))
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in variables and name not in seen:
            seen.add(name)
            todo += _words(variables[name])
    return seen


def _words(node: Any) -> list[str]:
    if isinstance(node, str):
        return _NAME.findall(node)
    if isinstance(node, dict):
        return [w for k, v in node.items() if k != "variables" for w in _words(v)]
    if isinstance(node, list):
        return [w for v in node for w in _words(v)]
    return []


# -- the Python API ------------------------------------------------------------------------------

def parameters(name_or_path: str | Path) -> dict[str, Any]:
    """A template's parameters and their defaults (its ``variables``, as written)."""
    path = template_path(name_or_path)
    data = load_yaml(path)
    where = Where(str(path))
    arch = as_mapping(as_mapping(data, where).get("arch"), where / "arch")
    return _variables(arch, where / "arch")


def template_yaml(name_or_path: str | Path,
                  overrides: Overrides | Mapping[str, Any] | None = None) -> dict:
    """The template file's value (``{"arch": ...}``) with the overrides applied and checked;
    ready to be written out or merged with other inputs."""
    path = template_path(name_or_path)
    data = as_mapping(load_yaml(path), Where(str(path)))
    if "arch" not in data:
        raise SpecError("expected a top-level key 'arch' (a template in our format)", str(path))
    load_arch_value(data, str(path), overrides)     # validates, blaming parameters
    return {**data, "arch": apply_overrides(data["arch"], overrides, Where(str(path), "arch"))}


def load_arch_value(data: Any, file: str,
                    overrides: Overrides | Mapping[str, Any] | None = None) -> Arch:
    return read_arch_overridden(data, Where(file), overrides)


def load_template(name_or_path: str | Path,
                  overrides: Overrides | Mapping[str, Any] | None = None) -> Arch:
    """The :class:`Arch` of a template (bundled name or path) with ``overrides`` applied."""
    path = template_path(name_or_path)
    return load_arch_value(load_yaml(path), str(path), overrides)
