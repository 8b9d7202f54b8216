"""Accelergy compound component classes from the inputs, validated and placed.

They come as ``compound_components: {version, classes: [...]}`` (Accelergy, timeloopfe's
processed input) or v0.4's ``components: {version, classes: [...]}``, often one class per file
(``arch/components/*.yaml``): each file's classes keep their file and YAML path, so that an
error names them. The classes become :class:`energy.compound.CompoundClass` records, which the
energy estimators price from their subcomponents (``energy/compound.py``).
"""
from __future__ import annotations

from typing import Any

from energy.compound import ActionPart, CompoundAction, CompoundClass, SubAction, Subcomponent

from .errors import SpecError, Where, as_list, as_mapping, as_str
from .keys import keys_like

KEYS = ("compound_components", "components")
_CLASS_KEYS = {"name", "attributes", "subcomponents", "actions"}
_SUB_KEYS = {"name", "class", "attributes", "area_scale", "area_share", "energy_scale"}
_SCALES = ("energy_scale", "action_share", "repeat")


def read_compound_classes(inputs) -> tuple[CompoundClass, ...]:
    """Every compound class of the inputs, in the order given; a class defined twice
    differently is an error naming both places."""
    found: dict[str, tuple[CompoundClass, dict, Where]] = {}
    for key in keys_like(inputs, "components", KEYS):
        for file, value in inputs.sources(key):
            where = Where(file, key, inputs.notes)
            if value is None:
                continue
            block = as_mapping(value, where)
            for k in block:
                if k not in ("version", "classes"):
                    (where / k).ignore("not a key of a compound component list")
            for i, raw in enumerate(as_list(block.get("classes") or [], where / "classes")):
                w = where / "classes" / i
                cls = _class(raw, w)
                if cls.name in found and found[cls.name][1] != raw:
                    first = found[cls.name][2]
                    w.fail(f"compound class {cls.name!r} is defined twice, differently: also "
                           f"at {first.file}: {first.path}")
                found.setdefault(cls.name, (cls, raw, w))
    return tuple(c for c, _, _ in found.values())


def _class(value: Any, where: Where) -> CompoundClass:
    d = as_mapping(value, where)
    name = as_str(d.get("name"), where / "name")
    for k in d:
        if k not in _CLASS_KEYS:
            (where / k).ignore("not a key of a compound class")
    attributes = as_mapping(d.get("attributes") or {}, where / "attributes")
    subs = tuple(_subcomponent(s, where / "subcomponents" / i)
                 for i, s in enumerate(as_list(d.get("subcomponents") or [],
                                               where / "subcomponents")))
    actions = tuple(_action(a, where / "actions" / i)
                    for i, a in enumerate(as_list(d.get("actions") or [], where / "actions")))
    names = [a.name for a in actions]
    for i, n in enumerate(names):
        if names.index(n) != i:
            (where / "actions" / i / "name").fail(f"action {n!r} is defined twice")
    sub_names = {_base(s.name) for s in subs}
    for i, a in enumerate(actions):
        for j, part in enumerate(a.parts):
            if _base(part.subcomponent) not in sub_names:
                (where / "actions" / i / "subcomponents" / j / "name").fail(
                    f"no subcomponent named {_base(part.subcomponent)!r} in class {name!r}; "
                    f"its subcomponents: {', '.join(sorted(sub_names)) or 'none'}")
    return CompoundClass(name, dict(attributes), subs, actions,
                         origin=f"{where.file}: {where.path}")


def _subcomponent(value: Any, where: Where) -> Subcomponent:
    d = as_mapping(value, where)
    for k in d:
        if k not in _SUB_KEYS:
            (where / k).ignore("not a key of a subcomponent")
    if "area_scale" in d and "area_share" in d:
        where.fail("give area_scale or area_share, not both")
    return Subcomponent(as_str(d.get("name"), where / "name"),
                        as_str(d.get("class"), where / "class"),
                        dict(as_mapping(d.get("attributes") or {}, where / "attributes")),
                        d.get("area_scale", d.get("area_share", 1)),
                        d.get("energy_scale", 1))


def _action(value: Any, where: Where) -> CompoundAction:
    d = as_mapping(value, where)
    for k in d:
        if k not in ("name", "arguments", "subcomponents"):
            (where / k).ignore("not a key of a compound action")
    parts = []
    for j, p in enumerate(as_list(d.get("subcomponents") or [], where / "subcomponents")):
        pw = where / "subcomponents" / j
        pd = as_mapping(p, pw)
        sub_actions = []
        for k, a in enumerate(as_list(pd.get("actions") or [], pw / "actions")):
            aw = pw / "actions" / k
            ad = as_mapping(a, aw)
            scales = [s for s in _SCALES if s in ad]
            if len(scales) > 1:
                aw.fail(f"give one of {', '.join(_SCALES)}, not {' and '.join(scales)}")
            for key in ad:
                if key not in ("name", "arguments", *_SCALES):
                    (aw / key).ignore("not a key of a subcomponent action")
            sub_actions.append(SubAction(
                as_str(ad.get("name"), aw / "name"),
                dict(as_mapping(ad.get("arguments") or {}, aw / "arguments")),
                ad[scales[0]] if scales else 1))
        parts.append(ActionPart(as_str(pd.get("name"), pw / "name"), tuple(sub_actions)))
    return CompoundAction(as_str(d.get("name"), where / "name"), tuple(parts),
                          dict(as_mapping(d.get("arguments") or {}, where / "arguments")))


def _base(name: str) -> str:
    return name.split("[", 1)[0].strip()


def evaluator():
    """The expression evaluator the energy side uses for compound classes: this package's
    safe evaluator, its errors as ValueError (SpecError) with the place in the message."""
    from .expr import evaluate

    def run(value: Any, names: dict, where: str) -> Any:
        try:
            return evaluate(value, dict(names), Where(None, where))
        except SpecError as e:
            raise ValueError(str(e)) from None
    return run
