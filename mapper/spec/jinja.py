"""Jinja2-templated inputs, rendered as timeloopfe renders them (Accelergy's YAML loader).

timeloopfe renders every input file with Jinja2 before reading it as YAML, with the
``jinja_parse_data`` its caller gives; ``mapper`` gives them with ``--set NAME=VALUE`` and
``--params FILE``. A file is rendered when its name ends in ``.jinja``/``.jinja2`` or its text
holds ``{{``, ``{%`` or ``{#`` (a plain YAML file renders to itself, so this changes nothing
else). The functions timeloopfe's templates call are provided, with the same meaning:

- ``cwd()``: the directory of the file being rendered;
- ``include(path, 'a.b')``: the value at key path ``a.b`` of another (rendered) YAML file;
- ``include_all(glob, 'a.b')``: the same for every matching file, lists joined in file order;
- ``include_text(path)``: another file's rendered text, pasted in (anchors defined there are
  usable after it);
- ``add_to_path(dir)``, ``find_path(p)``, ``find_paths(glob)``, ``path_exists(p)``: files are
  looked for next to the including file, then in the directories added.

Undefined variables are errors (as timeloopfe's StrictUndefined), pointing at the template's
file and line and saying how to give the variable. Templates run sandboxed (no access to
Python internals), with limits on repetition and on the rendered size.
"""
from __future__ import annotations

import difflib
import math
import glob
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .combine import combine
from .errors import SpecError
from .expr import MAX_INT_BITS
from .yaml_io import parse_yaml, read_text

#: the rendered text of one file may not exceed this (the loader's own limit then applies)
MAX_RENDERED_CHARS = 4 * 1024 * 1024
#: a string or list repeated by ``*`` in a template may not grow beyond this
MAX_REPEAT = 1_000_000
_TEMPLATE_MARKS = ("{{", "{%", "{#")
_FUNCTIONS = ("cwd", "include", "include_all", "include_text", "add_to_path", "find_path",
              "find_paths", "path_exists", "setenv")


def is_template(path: Path, text: str) -> bool:
    return path.suffix in (".jinja", ".jinja2") or any(m in text for m in _TEMPLATE_MARKS)


@dataclass
class Rendering:
    """The state of one load: the variables given, the names the templates used, what was
    included (``placeholder -> (value, file)``) and the include search path."""

    values: Mapping[str, Any]
    origins: Mapping[str, str] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)
    included: dict[str, tuple[Any, str]] = field(default_factory=dict)
    include_dirs: list[Path] = field(default_factory=list)
    stack: list[Path] = field(default_factory=list)
    templates: list[str] = field(default_factory=list)

    def origin(self, name: str) -> str:
        return self.origins.get(name, f"--set {name}")


def _environment():
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    class Env(SandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**"})

        def call_binop(self, context, operator, left, right):
            if operator == "**" and isinstance(right, (int, float)) \
                    and isinstance(left, (int, float)) and abs(left) > 1 and right > 0 \
                    and math.log2(abs(left)) * right > MAX_INT_BITS:
                raise SpecError(f"** {right!r}: exponent too large in a template (the result "
                                f"would have over {MAX_INT_BITS} bits)")
            if operator == "*":
                for seq, n in ((left, right), (right, left)):
                    if isinstance(seq, (str, list, tuple)) and isinstance(n, int) \
                            and len(seq) * n > MAX_REPEAT:
                        raise SpecError(f"a text or list repeated {n} times: over the limit "
                                        f"of {MAX_REPEAT:,} items in a template")
            return super().call_binop(context, operator, left, right)

    return Env(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)


def render(path: Path, text: str, state: Rendering) -> str:
    """The rendered text of ``path`` (its ``text`` already read)."""
    import jinja2
    import jinja2.meta
    path = path.resolve()
    if path in state.stack:
        chain = " -> ".join(p.name for p in [*state.stack, path])
        raise SpecError(f"the file includes itself ({chain})", str(path))
    env = _environment()
    env.globals.update(_functions(path, state))
    try:
        ast = env.parse(text, filename=str(path))
        template = env.from_string(ast)
    except jinja2.TemplateSyntaxError as e:
        raise SpecError(f"Jinja2 template, line {e.lineno}: {e.message}", str(path)) from None
    state.used |= jinja2.meta.find_undeclared_variables(ast) - set(_FUNCTIONS)
    state.templates.append(str(path))
    state.stack.append(path)
    try:
        out = template.render(dict(state.values))
    except SpecError as e:
        if e.file is not None:              # from an included file: already placed
            raise
        raise SpecError(f"Jinja2 template{_template_line(e)}: {e.message}", str(path)) from None
    except jinja2.UndefinedError as e:
        line = _template_line(e)
        name = _undefined_name(str(e))
        how = (f"; give it with --set {name}=VALUE (or in a --params file)" if name else "")
        close = difflib.get_close_matches(name or "", list(state.values), n=1)
        if close:
            how += f" ({state.origin(close[0])} is given: is it misspelled?)"
        raise SpecError(f"Jinja2 template{line}: {e.message}{how}", str(path)) from None
    except Exception as e:          # a template's own error: division by zero, a bad filter...
        raise SpecError(f"Jinja2 template{_template_line(e)}: {type(e).__name__}: {e}",
                        str(path)) from None
    finally:
        state.stack.pop()
    if len(out) > MAX_RENDERED_CHARS:
        raise SpecError(f"the rendered template is {len(out) / 2**20:.1f} MiB; the limit is "
                        f"{MAX_RENDERED_CHARS / 2**20:g} MiB", str(path))
    return out


def _template_line(e: BaseException) -> str:
    """', line N' of the innermost template frame of the traceback (Jinja2 rewrites its
    frames to the template's file and line)."""
    tb, line = e.__traceback__, None
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.endswith((".yaml", ".jinja", ".jinja2", ".yml")) or name == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return f", line {line}" if line else ""


def _undefined_name(message: str) -> str | None:
    m = re.match(r"'([A-Za-z_][A-Za-z_0-9]*)' is undefined", message)
    return m.group(1) if m else None


# -- the functions templates call ---------------------------------------------------------------

def _functions(path: Path, state: Rendering) -> dict[str, Any]:
    here = path.parent

    def find_paths(p: Any) -> list[Path]:
        p = str(p)
        bases = [Path("")] if os.path.isabs(p) else [here, *state.include_dirs]
        found: list[Path] = []
        for base in bases:
            for hit in sorted(glob.glob(str(base / p))):
                q = Path(hit).resolve()
                if q not in found:
                    found.append(q)
        if not found:
            raise SpecError(f"no file {p!r} next to this file or in the directories added "
                            f"with add_to_path ({', '.join(map(str, bases))})", str(path))
        return found

    def find_path(p: Any) -> str:
        return str(find_paths(p)[0])

    def path_exists(p: Any) -> bool:
        try:
            find_paths(p)
            return True
        except SpecError:
            return False

    def add_to_path(p: Any) -> str:
        for q in find_paths(p):
            if q not in state.include_dirs:
                state.include_dirs.append(q)
        return ""

    def include_text(p: Any) -> str:
        texts = []
        for q in find_paths(p):
            t = read_text(q)
            texts.append(render(q, t, state) if is_template(q, t) else t)
        return "\n".join(texts)

    def value_at(q: Path, keys: str) -> Any:
        t = read_text(q)
        data = parse_yaml(render(q, t, state) if is_template(q, t) else t, str(q))
        data = substitute(data, state)
        for k in [k for k in str(keys).split(".") if k]:
            if not isinstance(data, dict) or k not in data:
                have = ", ".join(map(str, data)) if isinstance(data, dict) else "no keys"
                raise SpecError(f"include: no key {keys!r} in {q} (its keys: {have})",
                                str(path))
            data = data[k]
        return data

    def include(p: Any, keys: str = "") -> str:
        found = find_paths(p)
        if len(found) > 1:
            raise SpecError(f"include({p!r}) matches {len(found)} files; include_all() "
                            f"includes several", str(path))
        return _placeholder(state, value_at(found[0], keys), str(found[0]))

    def include_all(p: Any, keys: str = "") -> str:
        value, first = None, None
        for q in find_paths(p):
            v = value_at(q, keys)
            value = v if first is None else combine(value, v, str(keys) or "include_all",
                                                    first, str(q))
            first = first or str(q)
        return _placeholder(state, value, first or str(path))

    def setenv(key: Any, value: Any) -> str:
        raise SpecError("setenv() is not supported: environment variables are not inputs "
                        "here; give values with --set", str(path))

    return {"cwd": lambda: str(here), "include": include, "include_all": include_all,
            "include_text": include_text, "add_to_path": add_to_path, "find_path": find_path,
            "find_paths": lambda p: [str(q) for q in find_paths(p)],
            "path_exists": path_exists, "setenv": setenv}


_PLACEHOLDER = re.compile(r"^__mapper_include_(\d+)__$")


def _placeholder(state: Rendering, value: Any, file: str) -> str:
    token = f"__mapper_include_{len(state.included)}__"
    state.included[token] = (value, file)
    return token


def substitute(data: Any, state: Rendering) -> Any:
    """``data`` with every include placeholder replaced by the included value."""
    if isinstance(data, str) and _PLACEHOLDER.match(data):
        return state.included[data][0]
    if isinstance(data, dict):
        return {k: substitute(v, state) for k, v in data.items()}
    if isinstance(data, list):
        return [substitute(v, state) for v in data]
    return data


def included_file(value: Any, state: Rendering) -> str | None:
    """The file a top-level value was included from whole (``architecture: {{include(...)}}``),
    so that errors in it name that file."""
    if isinstance(value, str) and _PLACEHOLDER.match(value):
        return state.included[value][1]
    return None
