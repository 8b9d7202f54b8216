"""The Python API, the one facade over the layers: load inputs the way ``mapper`` does
(:mod:`mapper.inputs`), evaluate mappings (:mod:`mapper.model`), search a layer
(:mod:`mapper.mapsearch`), run a whole network (:mod:`mapper.network`).

    >>> from mapper import api
    >>> spec = api.load(["arch.yaml", "problem.yaml", "map.yaml"])
    >>> result = api.evaluate(spec)          # an Evaluation (typed), or raises SpecError
    >>> result.energy_pJ, result.cycles
    >>> outcome = api.search(["arch.yaml", "problem.yaml"], algorithm="optimal", jobs=2)
    >>> outcome.best.edp, outcome.stats.proven_optimal, outcome.stopped_by
    >>> network = api.run_network("eyeriss_like", "resnet18", jobs=2)
    >>> result = api.sweep("examples/sweep/sweep.yaml", "out/sweep", jobs=2)
    >>> api.write_report("out/net", "out/net/report.html")      # mapper report
    >>> fig = api.roofline_figure(api.load_result("out/net"))   # a matplotlib Figure
    >>> exam = api.eyexam(["eyeriss_like", "problems/layers/resnet18.yaml"], layer="conv1")
    >>> [s.macs_per_cycle for s in exam.steps]            # the seven Eyexam bounds
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from .inputs.load import Spec, load
from .inputs.settings import parse_objective_arg, search_settings
from .model.evaluate import Model
from .model.result import Evaluation
from .report.figures import (energy_breakdown_figure, energy_latency_figure,
                             eyexam_waterfall_figure, mac_vs_data_movement_figure,
                             pe_scaling_figure, report_figures, roofline_figure,
                             sweep_energy_breakdown_figure, utilization_figure)
from .report.metrics import Clock, LayerMetrics, clock_of, layer_batch, layer_metrics
from .report.page import report_html, write_report
from .report.results import ResultDir, load_result
from .spec.constraints import Violation, check_mapping
from .spec.errors import SpecError
from .spec.mapping import Mapping

if TYPE_CHECKING:
    from .eyexam.network import NetworkEyexam
    from .eyexam.steps import EyexamResult
    from .network.run import NetworkResult
    from .sweep.driver import SweepResult
    from .mapsearch.objective import Objective
    from .mapsearch.pipeline import SearchOutcome

__all__ = ["ResultDir", "Spec", "check", "clock", "evaluate", "eyexam", "eyexam_figure",
           "eyexam_network", "load", "load_result", "metrics", "model_of", "network_clock",
           "parse_objective_arg", "report_figures", "report_html", "run_network", "search",
           "search_settings", "sweep", "write_report",
           # the figures of the report, each a matplotlib Figure of a load_result(...)
           "energy_breakdown_figure", "mac_vs_data_movement_figure", "roofline_figure",
           "utilization_figure", "eyexam_waterfall_figure", "energy_latency_figure",
           "sweep_energy_breakdown_figure", "pe_scaling_figure"]


def model_of(spec: Spec) -> Model:
    return Model(spec.arch, spec.workload, spec.tables)


def check(spec: Spec, mapping: Mapping | None = None) -> list[Violation]:
    """The user constraints (architecture_constraints, mapspace_constraints, inline
    constraints) that the mapping breaks; loops with factor 1 do not count."""
    mapping = mapping or spec.mapping
    if mapping is None:
        raise SpecError("no mapping given: expected a top-level key 'mapping'")
    return check_mapping(mapping, spec.arch, spec.workload, spec.constraints)


def evaluate(spec: Spec, mapping: Mapping | None = None) -> Evaluation:
    """Evaluate the spec's mapping (or ``mapping``) with the analytical model."""
    mapping = mapping or spec.mapping
    if mapping is None:
        raise SpecError("no mapping given: expected a top-level key 'mapping'")
    return model_of(spec).evaluate_mapping(mapping)


def clock(spec: Spec) -> Clock:
    """The arch's clock (``global_cycle_seconds``, ``clock_mhz`` ...), or none, with where it
    came from."""
    files = spec.inputs.files
    return clock_of(spec.arch, files.get("architecture", files.get("arch")))


def metrics(spec: Spec, evaluation: Evaluation | None = None) -> LayerMetrics:
    """The metric set of Sze et al. for one evaluated mapping of the spec's layer (the batch
    is the layer's N): :func:`mapper.report.metrics.layer_metrics`."""
    evaluation = evaluation or evaluate(spec)
    return layer_metrics(evaluation, spec.arch, clock(spec).cycle_s, layer_batch(spec.workload))


def search(spec: "Spec | Sequence[str | Path]", *,
           objective: "str | dict | Objective | None" = None, algorithm: str | None = None,
           jobs: int | None = None, time_limit: float | None = None,
           search_size: int | None = None, victory_condition: int | None = None,
           seed: int | None = None, progress: Callable | None = None,
           **load_options: Any) -> "SearchOutcome":
    """Search the best mapping of a layer: a loaded :class:`Spec`, or files to :func:`load`
    (``load_options``: ``overrides``, ``layer``, ``ert``, ``art``, ``energy_tables``).

    The settings default to the inputs' Timeloop ``mapper:`` settings; the arguments win.
    Returns a :class:`~mapper.mapsearch.pipeline.SearchOutcome`: the feasibility check (and
    why nothing fits, if so), the best :class:`Evaluation` and the search's statistics.
    Ctrl-C (or SIGTERM) during the search returns the best mapping so far
    (``outcome.stopped_by``). ``progress`` gets a ``SearchStarted``, then ``Progress`` a
    few times a second."""
    from .mapsearch.pipeline import SearchInputs
    from .mapsearch.pipeline import search as run
    if not isinstance(spec, Spec):
        spec = load(spec, need_mapping=False, **load_options)
    settings = search_settings(spec, objective=objective, algorithm=algorithm, jobs=jobs,
                               time_limit=time_limit, search_size=search_size,
                               victory_condition=victory_condition, seed=seed)
    return run(SearchInputs.of(spec), settings, progress)


def run_network(arch, network, **options: Any) -> "NetworkResult":
    """Search every distinct layer of a network: :func:`mapper.network.run.run_network`."""
    from .network.run import run_network as run
    return run(arch, network, **options)


def network_clock(arch, network, **load_options: Any) -> Clock:
    """The clock of the arch inputs of a network run, loaded as :func:`run_network` and
    :func:`eyexam_network` load them (``load_options``: ``overrides``, ``energy_tables``,
    ``ert``, ``art``), nothing searched: to check a ``dram_bandwidth_GBps`` before a run
    (:func:`mapper.report.roofline.user_roof` needs the clock)."""
    from .network.run import load_arch_and_network
    spec, _ = load_arch_and_network(arch, network, **load_options)
    return clock(spec)


def sweep(spec, outdir=None, **options: Any) -> "SweepResult":
    """A design-space sweep (a spec file or a :class:`~mapper.sweep.SweepSpec`) into
    ``outdir``, resuming from its ``sweep.db``: :func:`mapper.sweep.driver.run` (``jobs``,
    ``scheduler``, ``cache_dir``, ``pareto_axes``, ``progress``, ``stop``, ``neighbours``)."""
    from .sweep.driver import run
    return run(spec, outdir, **options)


def eyexam(spec: "Spec | Sequence[str | Path]", *, jobs: int | None = None,
           time_limit: float | None = None, search_size: int | None = None,
           seed: int | None = None, progress: Callable | None = None,
           **load_options: Any) -> "EyexamResult":
    """Eyexam of a layer (Sze et al., Table II): the seven bounds on MACs per cycle, each an
    optimum under one more constraint (:func:`mapper.eyexam.steps.eyexam`). ``spec``: a
    loaded :class:`Spec` or files to :func:`load`; the other arguments steer the searches of
    steps 6 and 7 (always objectives delay and ramped_delay, algorithm optimal). Raises
    :class:`SpecError` when no mapping fits."""
    from .eyexam.steps import eyexam as run
    from .mapsearch.pipeline import SearchInputs
    if not isinstance(spec, Spec):
        spec = load(spec, need_mapping=False, **load_options)
    settings = search_settings(spec, jobs=jobs, time_limit=time_limit,
                               search_size=search_size, seed=seed)
    return run(SearchInputs.of(spec), settings, progress)


def eyexam_network(arch, network, **options: Any) -> "NetworkEyexam":
    """Eyexam of every distinct layer of a network:
    :func:`mapper.eyexam.network.eyexam_network`."""
    from .eyexam.network import eyexam_network as run
    return run(arch, network, **options)


def eyexam_figure(result: "EyexamResult", dram_bandwidth_GBps: float | None = None):
    """The steps of an Eyexam on a roofline (a matplotlib ``Figure``; needs matplotlib);
    ``dram_bandwidth_GBps``: an off-chip bandwidth to draw as a roof (``--dram-bandwidth``),
    converted with the arch's clock, the bounds unchanged."""
    from .eyexam.outputs import roofline_figure
    return roofline_figure(result, dram_bandwidth_GBps)
