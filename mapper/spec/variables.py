"""Timeloop v0.4's top-level ``variables:`` and where each ``--set NAME=VALUE`` goes.

timeloopfe makes the ``variables`` the attributes of the top of the architecture: every
component inherits them (its own attributes win), and attribute expressions refer to them
(``datawidth: DATAWIDTH``, ``width: max(INPUT_WEIGHT_DATAWIDTH, 16)``). ``--set`` (and
``--params``) values go, by name, to the Jinja2 templates that use them, to the ``variables``
(replacing the file's value, as ``spec.variables[...] = ...`` in timeloopfe's notebooks) and to
the parameters of an architecture in our format; a name none of them has is an error that lists
the names there are.
"""
from __future__ import annotations

import difflib
from typing import Any

from .errors import SpecError, as_mapping

#: keys of ``variables:`` that are not variables
_NOT_VARIABLES = ("version",)


def timeloop_variables(inputs, values: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """The inputs' ``variables`` (without ``version``) with the given values replacing theirs,
    and the names of ``values`` they took."""
    found = inputs.get("variables")
    if found is None:
        return {}, set()
    raw, where = found
    raw = as_mapping(raw or {}, where)
    variables = {k: v for k, v in raw.items() if k not in _NOT_VARIABLES}
    taken = {k for k in values if k in variables}
    variables.update({k: values[k] for k in taken})
    return variables, taken


def check_all_taken(given: dict[str, Any], origins: dict[str, str], taken: set[str],
                    template_names: set[str], variables: dict[str, Any],
                    templates: list[str]) -> None:
    """Every given name went somewhere; else an error that says where names can go."""
    for name in given:
        if name in taken:
            continue
        known = sorted(template_names | set(variables))
        hint = difflib.get_close_matches(name, known, n=1)
        places = []
        if templates:
            places.append(f"the templates ({', '.join(templates)}) use "
                          f"{', '.join(sorted(template_names)) or 'no variables'}")
        if variables:
            places.append(f"'variables:' has {', '.join(variables)}")
        if not places:
            places.append("no input file is a Jinja2 template or has 'variables:', and "
                          "parameters are set on architectures in our format only (see "
                          "arch_templates/)")
        raise SpecError(f"{origins.get(name, name)}: nothing is named {name!r}"
                        + (f" (did you mean {hint[0]!r}?)" if hint else "") + "; "
                        + "; ".join(places))
