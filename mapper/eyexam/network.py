"""Eyexam over a whole network: the seven bounds of every distinct layer (identical layers
once), loaded as ``mapper network`` loads its inputs."""
from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Sequence

from ..inputs.templates import Overrides
from ..network.library import Network
from ..network.run import layer_constraints, load_arch_and_network
from ..network.run_inputs import mapping_file_names, subset
from ..mapsearch.pipeline import SearchInputs
from ..mapsearch.stopping import StopFlag, stop_on_signals
from .steps import EyexamResult, eyexam


@dataclass(frozen=True)
class EyexamProgress:
    """Sent after each distinct layer."""

    done: int
    total: int
    layer: str
    seconds: float               # this layer's


@dataclass(frozen=True)
class NetworkEyexam:
    network: str
    arch: str
    layers: tuple[EyexamResult, ...]       # one per distinct layer, in network order
    counts: tuple[int, ...]                # how often each occurs
    seconds: tuple[float, ...]             # wall time of each
    file_names: tuple[str, ...]            # file-system-safe, unique names of the layers

    def to_json(self) -> dict:
        return {"network": self.network, "arch": self.arch,
                "layers": [r.to_json() | {"count": n, "seconds": s}
                           for r, n, s in zip(self.layers, self.counts, self.seconds)]}


def eyexam_network(arch: str | Path | Sequence[str | Path], network: str | Path | Network, *,
                   overrides: Overrides | dict[str, Any] | None = None,
                   jobs: int | None = None, time_limit: float | None = None,
                   search_size: int | None = None, seed: int | None = None,
                   only: int | Sequence[str] | None = None,
                   energy_tables: Sequence[str | Path] = (), ert: str | Path | None = None,
                   art: str | Path | None = None,
                   progress: Callable[[EyexamProgress], None] | None = None,
                   stop: StopFlag | None = None) -> NetworkEyexam:
    """Eyexam of every distinct layer of ``network`` on ``arch`` (as
    :func:`mapper.network.run.run_network` takes them); ``jobs``, ``time_limit`` (per layer),
    ``search_size`` and ``seed`` steer each layer's searches of steps 6 and 7 (default: the
    arch inputs' ``mapper:`` settings); ``only``: the first N distinct layers or the named
    ones."""
    from ..inputs.settings import search_settings
    spec, net = load_arch_and_network(arch, network, overrides=overrides,
                                      energy_tables=energy_tables, ert=ert, art=art)
    if only is not None:
        net = subset(net, only)
    settings = search_settings(spec, jobs=jobs, time_limit=time_limit,
                               search_size=search_size, seed=seed)
    distinct = net.distinct()
    own = stop is None
    stop = StopFlag() if own else stop
    with stop_on_signals(stop) if own else nullcontext():
        results, seconds = _run(spec, distinct, settings, progress, stop)
    return NetworkEyexam(net.name, spec.arch.name, tuple(results),
                         tuple(d.count for d in distinct[:len(results)]), tuple(seconds),
                         tuple(mapping_file_names(distinct))[:len(results)])


def _run(spec, distinct, settings, progress, stop: StopFlag) -> tuple[list, list]:
    """Eyexam of each layer in turn until the end or a stop (Ctrl-C: the layer being
    searched keeps its best mapping so far, the rest are left out)."""
    results, seconds = [], []
    for i, d in enumerate(distinct):
        start = time.monotonic()
        inputs = SearchInputs(spec.arch, d.workload, layer_constraints(spec, d), spec.tables)
        results.append(replace(eyexam(inputs, settings, stop=stop), layer=d.name))
        seconds.append(time.monotonic() - start)
        if progress is not None:
            progress(EyexamProgress(i + 1, len(distinct), d.name, seconds[-1]))
        if stop.reason() is not None:
            break
    return results, seconds
