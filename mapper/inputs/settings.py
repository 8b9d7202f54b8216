"""The settings of a search as the inputs and the caller give them: Timeloop's ``mapper:``
settings from the input files, with the caller's arguments (the command line's options, the
API's keywords) winning; objectives in the command line's text forms.

The search's modules are imported when first needed, so that loading the inputs (``mapper
model``) does not load the search."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..spec.errors import SpecError, Where
from .load import Spec

if TYPE_CHECKING:
    from ..mapsearch.objective import Objective
    from ..mapsearch.settings import SearchSettings


def parse_objective_arg(value: "str | dict | Objective",
                        name: str = "objective") -> "Objective":
    """An objective as the command line gives it: ``edp``, ``energy,delay`` (lexicographic),
    ``energy:1,delay:0.5`` (weighted), a ``{metric: weight}`` dict, or an Objective; an
    error names ``name`` (e.g. ``--objective``)."""
    from ..mapsearch.objective import Objective, parse_objective
    if isinstance(value, Objective):
        return value
    return parse_objective(value, Where(name))


def search_settings(spec: Spec, *, objective: "str | dict | Objective | None" = None,
                    algorithm: str | None = None, jobs: int | None = None,
                    time_limit: float | None = None, search_size: int | None = None,
                    victory_condition: int | None = None,
                    seed: int | None = None) -> "SearchSettings":
    """The spec's Timeloop ``mapper:`` settings (if any), with the arguments given here
    winning, as on the command line."""
    from ..mapsearch.settings import SearchSettings, read_mapper_settings
    from .mapper_settings import normalize_mapper_settings
    found = spec.inputs.get("mapper")
    base = read_mapper_settings(normalize_mapper_settings(*found), found[1]) if found \
        else SearchSettings()
    settings = base.merged(
        objective=None if objective is None else parse_objective_arg(objective),
        algorithm=algorithm, jobs=jobs, time_limit=time_limit, search_size=search_size,
        victory_condition=victory_condition, seed=seed)
    if settings.jobs < 1:
        raise SpecError(f"jobs = {settings.jobs}: expected at least 1")
    return settings
