"""Shared helpers for the energy tests: a registry of the built-ins only, one-shot estimates."""
from __future__ import annotations

from energy import Component, Registry
from energy.components import normalize


def builtins() -> Registry:
    """Built-in tables only: installed entry points must not change these tests."""
    return Registry.default(entry_points=False)


def table_only(file_name: str) -> Registry:
    """One built-in table file alone: what that table says, whoever else would win."""
    from energy.estimator import BUILTIN_TABLES
    reg = Registry()
    reg.add_tables(BUILTIN_TABLES / file_name, "built-in")
    return reg


def choose(reg: Registry, cls: str, action: str | None, **attrs):
    norm = normalize(Component("c", cls, attrs), reg.index())
    return reg.choose("c", norm.cls, action, norm.attributes)


def value(reg: Registry, cls: str, action: str | None, **attrs) -> float:
    return choose(reg, cls, action, **attrs).value
