"""Search settings from Timeloop's mapper YAML (``mapper: {optimization-metrics, algorithm,
num-threads, timeout, victory-condition, search-size, ...}``) or ours; the command line wins."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..spec.errors import Where, as_int, as_mapping, as_number, as_str
from .objective import Objective, parse_objective
from .run import ALGORITHMS

#: Timeloop mapper keys that only steer its own heuristics or logging
#: (spelled with dashes: keys are compared after '_' -> '-', as Timeloop accepts both)
_IGNORED = {"live-status", "diagnostics", "out-prefix", "log-interval", "log-oaves",
            "log-oaves-mappings", "log-stats", "log-suboptimal", "emit-whoop-nest",
            "penalize-consecutive-bypass-fails", "filter-revisits",
            "max-permutations-per-if-visit", "version", "max-temporal-loops-in-a-mapping"}


@dataclass(frozen=True)
class SearchSettings:
    objective: Objective = Objective()
    algorithm: str = "hybrid"
    jobs: int = 1
    time_limit: float | None = None
    search_size: int | None = None
    victory_condition: int | None = None
    seed: int = 0

    def merged(self, **overrides: Any) -> "SearchSettings":
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def read_mapper_settings(value: Any, where: Where) -> SearchSettings:
    """Timeloop's ``mapper:`` block; Timeloop's ``random``/``linear``/``hybrid`` algorithms map
    to ours (``linear`` is an exhaustive walk; ``random_pruned`` is ``hybrid``: Timeloop's
    samples a tiling at random and then walks the loop orders and keep choices around it, a
    local search about each sample, as ours climbs from each, where plain random sampling
    stops at the victory condition with EDP 1.5-1.8x the reference's on the 2020 tutorial's
    designs); ``timeout`` there counts invalid mappings, not seconds, so it is ignored (use
    ``time-limit``)."""
    d = as_mapping(value, where)
    s = SearchSettings()
    for key, v in d.items():
        k = key.replace("_", "-")
        w = where / key
        if k == "optimization-metrics":
            s = replace(s, objective=parse_objective(v, w))
        elif k == "algorithm":
            name = as_str(v, w).lower().replace("-", "_")
            name = {"linear": "exhaustive", "linear_pruned": "exhaustive",
                    "random_pruned": "hybrid"}.get(name, name)
            if name not in ALGORITHMS:
                w.fail(f"unknown algorithm {v!r}; expected one of {', '.join(ALGORITHMS)}")
            s = replace(s, algorithm=name)
        elif k == "num-threads":
            s = replace(s, jobs=as_int(v, w, minimum=1))
        elif k == "time-limit":
            s = replace(s, time_limit=as_number(v, w, minimum=0))
        elif k == "search-size":
            n = as_int(v, w, minimum=0)
            s = replace(s, search_size=n or None)
        elif k == "victory-condition":
            n = as_int(v, w, minimum=0)
            s = replace(s, victory_condition=n or None)
        elif k == "seed":
            s = replace(s, seed=as_int(v, w, minimum=0))
        elif k == "timeout":
            w.ignore("Timeloop's timeout counts invalid mappings in a row; use time-limit (s)")
        elif k in _IGNORED:
            w.ignore("steers Timeloop's own mapper only")
        else:
            w.fail(f"unknown mapper setting {key!r}; expected optimization-metrics, algorithm, "
                   f"num-threads, time-limit, search-size, victory-condition, seed")
    return s
