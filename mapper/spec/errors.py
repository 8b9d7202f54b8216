"""Errors that point at the input: file, YAML path, what was expected.

Every reader takes a :class:`Where` (file + YAML path) and raises :class:`SpecError` through
it, so a user always learns *which* file and *which* field is wrong, never a traceback.
Keys of Timeloop's formats that we accept but do not model are collected in :class:`Notes`
and listed once by the caller, so nothing is dropped silently.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, NoReturn


class SpecError(ValueError):
    """A malformed input. ``str(e)`` is the full user-facing message."""

    def __init__(self, message: str, file: str | None = None, path: str | None = None):
        self.message = message
        self.file = file
        self.path = path
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ": ".join(p for p in (self.file, self.path) if p)
        return f"{where}: {self.message}" if where else self.message


class UnknownParameter(SpecError):
    """A parameter set (``--set``, a sweep grid) that the template does not have; ``name`` is
    the parameter, so that a caller that also takes other parameters (a network's ``batch``)
    can say so without reading the message."""

    def __init__(self, name: str, message: str, file: str | None = None,
                 path: str | None = None):
        self.name = name
        super().__init__(message, file, path)


@dataclass
class Notes:
    """Accepted-but-not-modelled keys, collected once per run (file, path) -> reason."""

    ignored: dict[tuple[str, str], str] = field(default_factory=dict)

    def ignore(self, where: "Where", reason: str = "not modelled") -> None:
        self.ignored.setdefault((where.file or "", where.path), reason)

    def lines(self) -> list[str]:
        """One line per (file, reason): the keys, how often, and the first place."""
        grouped: dict[tuple[str, str], list[str]] = {}
        for (file, path), reason in self.ignored.items():
            grouped.setdefault((file, reason), []).append(path)
        out = []
        for (file, reason), paths in grouped.items():
            keys = list(dict.fromkeys(p.rsplit(".", 1)[-1].split("[", 1)[0] for p in paths))
            where = f"at {paths[0]}" + (f" and {len(paths) - 1} more place(s)"
                                         if len(paths) > 1 else "")
            out.append(f"{file}: ignored {', '.join(keys)} ({reason}) {where}")
        return out


@dataclass(frozen=True)
class Where:
    """A position in an input: the file and the YAML path inside it."""

    file: str | None = None
    path: str = ""
    notes: Notes | None = None

    def __truediv__(self, key: Any) -> "Where":
        if isinstance(key, int):
            return Where(self.file, f"{self.path}[{key}]", self.notes)
        return Where(self.file, f"{self.path}.{key}" if self.path else str(key), self.notes)

    def fail(self, message: str) -> NoReturn:
        raise SpecError(message, self.file, self.path or None)

    def ignore(self, reason: str = "not modelled") -> None:
        if self.notes is not None:
            self.notes.ignore(self, reason)


# ---------------------------------------------------------------------------------------------
# Typed field readers: each names the field and what was expected.

def type_name(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean",
            int: "an integer", float: "a number"}.get(type(value), type(value).__name__)


def as_mapping(value: Any, where: Where) -> dict:
    if not isinstance(value, dict):
        where.fail(f"expected a mapping of keys to values, got {type_name(value)}")
    return value


def as_list(value: Any, where: Where) -> list:
    if not isinstance(value, list):
        where.fail(f"expected a list, got {type_name(value)}")
    return value


def as_str(value: Any, where: Where) -> str:
    if not isinstance(value, str) or not value.strip():
        where.fail(f"expected a non-empty string, got {type_name(value)}")
    return value.strip()


#: the largest loop bound, stride or other workload integer (a loop of 2^31 iterations is far
#: beyond any layer; counts of the model stay exact in 64-bit integers)
MAX_WORKLOAD_INT = 2**31 - 1


def as_int(value: Any, where: Where, minimum: int | None = None,
           maximum: int | None = None) -> int:
    """An integer (a float with integral value, e.g. 16.0, is accepted)."""
    if isinstance(value, bool):
        where.fail(f"expected an integer, got {type_name(value)}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            where.fail(f"expected an integer, got the string {value!r}")
    if not isinstance(value, int):
        where.fail(f"expected an integer, got {type_name(value)}")
    if minimum is not None and value < minimum:
        where.fail(f"expected an integer >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        where.fail(f"expected an integer <= {maximum:,}, got {value:,}")
    return value


def as_number(value: Any, where: Where, minimum: float | None = None) -> float:
    if isinstance(value, bool):
        where.fail(f"expected a number, got {type_name(value)}")
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            where.fail(f"expected a number, got the string {value!r}")
    if not isinstance(value, (int, float)):
        where.fail(f"expected a number, got {type_name(value)}")
    if minimum is not None and value < minimum:
        where.fail(f"expected a number >= {minimum}, got {value}")
    return float(value)


def check_keys(d: dict, where: Where, allowed: Iterable[str], required: Iterable[str] = ()) -> None:
    """Reject misspelled keys of *our own* format (with a suggestion) and missing ones."""
    allowed = list(allowed)
    for key in d:
        if key not in allowed:
            hint = _closest(str(key), allowed)
            where.fail(f"unknown key {key!r}" + (f" (did you mean {hint!r}?)" if hint else "")
                       + f"; expected one of: {', '.join(allowed)}")
    for key in required:
        if key not in d:
            where.fail(f"missing required key {key!r}")


def _closest(word: str, choices: list[str]) -> str | None:
    import difflib
    found = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return found[0] if found else None
