"""Eyexam (Sze et al., "How to Evaluate Deep Neural Network Processors", Table II, Fig. 6):
seven steps, each adding one constraint and lowering the bound on MACs per cycle, each bound
an optimum under its constraints, never a heuristic:

1. layer shape and size: every MAC at once -- the MAC count;
2. dataflow: the most MACs in parallel the user's constraints allow with unlimited PEs
   (spatial loops only where the arch has a fan-out) -- CP-SAT (:mod:`mapper.prune`);
3. number of PEs: the product of the spatial factors at most the MAC count of the arch
   (the workload's factors fragment it) -- CP-SAT;
4. physical dimensions: each fan-out's X and Y at most its mesh -- CP-SAT;
5. storage capacity: every kept tile fits its level -- CP-SAT;
6. data bandwidth: MACs / cycles of the delay-optimal valid mapping, Timeloop's average
   bandwidth model -- the search pipeline, objective delay, algorithm optimal (proven);
7. varying access patterns: step 6's mapping with the first fills and last drains of its
   single-buffered levels exposed (:mod:`mapper.eyexam.ramp`).

Each step's feasible set is a subset of the previous one's (steps 2-5 add constraints to one
CP-SAT model; every valid mapping is a tiling of step 5 with at least ``MACs / spatial
product`` cycles; step 7 adds cycles to step 6's mapping), so the bounds never increase.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Callable

from ..report.metrics import clock_of, dram_bytes, dram_peak_bytes_per_cycle
from ..prune import ArchLimits, FanoutLimit, Parallelism, SolveTimeout, TilingModel
from ..report.maptxt import format_map_txt
from ..mapsearch.objective import Objective
from ..mapsearch.pipeline import Feasibility, SearchInputs, SearchOutcome, search
from ..mapsearch.settings import SearchSettings
from ..mapsearch.stopping import StopFlag
from ..spec.errors import SpecError
from .ramp import LevelRamp, ramps

#: (name, reason) of each step, after Table II of Sze et al. (constraint; what bounds it)
STEPS: tuple[tuple[str, str], ...] = (
    ("layer shape and size", "workload: maximum workload parallelism (every MAC at once)"),
    ("dataflow", "architectural: maximum dataflow parallelism (only the dimensions the "
                 "dataflow lets onto the array are parallel, PEs unlimited)"),
    ("number of PEs", "architectural: active PEs (at most the PE count, in factors of the "
                      "layer's dimensions: fragmentation)"),
    ("physical dimensions", "architectural: active PEs (the array's X and Y, each fan-out "
                            "separately)"),
    ("storage capacity", "architectural: active PEs (every tile fits its buffer)"),
    ("data bandwidth", "microarchitectural: maximum data bandwidth to the active PEs "
                       "(average bandwidth model, delay-optimal mapping)"),
    ("varying access patterns", "microarchitectural: actual data bandwidth to the active PEs "
                                "(first fills and last drains of single-buffered levels)"),
)

#: steps 2-5: the limits of the architecture enforced on top of the user's constraints
LIMITS = (ArchLimits(FanoutLimit.NONE, capacity=False),
          ArchLimits(FanoutLimit.PE_COUNT, capacity=False),
          ArchLimits(FanoutLimit.PHYSICAL, capacity=False),
          ArchLimits(FanoutLimit.PHYSICAL, capacity=True))

#: seconds CP-SAT may take per step before the step counts as not proven
STEP_TIME_LIMIT_S = 60.0


class Proof(StrEnum):
    """How step 6's mapping is known delay-optimal."""

    SEARCH = "proven optimal by the search (branch and bound)"
    ATTAINS_CAPACITY_BOUND = "attains step 5's bound, which no valid mapping exceeds"
    NONE = "not proven (the search was stopped or hit its time limit)"


@dataclass(frozen=True)
class Step:
    step: int                         # 1..7
    name: str
    reason: str
    macs_per_cycle: float             # the bound
    loss: float                       # previous bound / this bound (1 = no loss)
    #: the attaining mapping (map.txt text) or tiling (spatial factors); "" for step 1
    mapping: str
    #: MACs per off-chip byte: the layer's best (each datum once) for steps 1-5, the
    #: mapping's for steps 6-7 (x of the roofline)
    operational_intensity: float | None
    #: an optimum CP-SAT or the search proved (step 7 never: it is step 6's mapping ramped)
    proven: bool = True

    def to_json(self) -> dict:
        return {"step": self.step, "name": self.name,
                "bound_macs_per_cycle": self.macs_per_cycle, "loss": self.loss,
                "reason": self.reason, "mapping": self.mapping,
                "operational_intensity": self.operational_intensity, "proven": self.proven}


@dataclass(frozen=True)
class EyexamResult:
    """The seven bounds of one layer on one architecture."""

    layer: str
    arch: str
    macs: int
    pes: int                          # MAC instances of the arch
    steps: tuple[Step, ...]
    cycles: int                       # step 6's cycles (the average model)
    ramp: tuple[LevelRamp, ...]       # step 7's per-level ramps
    #: the search's outcome behind step 6
    search: SearchOutcome
    #: how step 6 is known optimal
    proof: Proof
    #: the outermost level's bandwidth in bytes/cycle (the roofline's slope), if it has one
    offchip_bytes_per_cycle: float | None = None
    #: seconds per cycle of the arch's clock (None: it gives none), for a bandwidth in GB/s
    cycle_s: float | None = None

    def to_json(self) -> dict:
        return {"layer": self.layer, "arch": self.arch, "macs": self.macs, "pes": self.pes,
                "cycles_average_model": self.cycles,
                "offchip_bytes_per_cycle": self.offchip_bytes_per_cycle,
                "cycle_s": self.cycle_s,
                "step6_proof": self.proof.value,
                "ramp": [r.__dict__ | {"cycles": r.cycles} for r in self.ramp],
                "steps": [s.to_json() for s in self.steps]}


def eyexam_settings(settings: SearchSettings) -> SearchSettings:
    """Step 6's search: ``settings`` with objective delay and algorithm optimal."""
    return settings.merged(objective=Objective(("delay",)), algorithm="optimal")


def tiling_text(inputs: SearchInputs, p: Parallelism) -> str:
    """The spatial factors of a tiling, per level and axis: ``PE_array X: Q=14 | Y: M=4``."""
    parts = []
    for k, level in reversed(list(enumerate(inputs.arch.storage))):
        axes = []
        for axis in "XY":
            f = [f"{d}={p.tiling[k, axis, d]}" for d in inputs.workload.dims
                 if p.tiling.get((k, axis, d), 1) > 1]
            if f:
                axes.append(f"{axis}: {' '.join(f)}")
        if axes:
            parts.append(f"{level.name} {' | '.join(axes)}")
    return "; ".join(parts) or "no spatial loop"


def ideal_intensity(inputs: SearchInputs) -> float:
    """MACs per off-chip byte when every datum crosses the outermost level once."""
    wl, level = inputs.workload, inputs.arch.storage[-1]
    words = sum(wl.tensor_size(ds) for ds in wl.data_spaces)
    return wl.macs / (words * level.word_bits / 8)


def eyexam(inputs: SearchInputs, settings: SearchSettings = SearchSettings(),
           progress: Callable | None = None, stop: StopFlag | None = None) -> EyexamResult:
    """The seven Eyexam bounds of a layer; ``settings`` steer step 6's search (its objective
    and algorithm are always delay and optimal). Raises :class:`SpecError` when no mapping
    fits (naming the conflicting constraints) or none was found."""
    arch, wl = inputs.arch, inputs.workload
    macs = wl.macs
    ideal = ideal_intensity(inputs)
    steps: list[Step] = []

    def add(bound: float, mapping: str, intensity: float | None, proven: bool = True) -> None:
        n = len(steps)
        name, reason = STEPS[n]
        prev = steps[-1].macs_per_cycle if steps else bound
        steps.append(Step(n + 1, name, reason, float(bound), prev / bound if bound else 0.0,
                          mapping, intensity, proven))

    add(macs, "", ideal)
    model = TilingModel(arch, wl, inputs.constraints, time_limit=STEP_TIME_LIMIT_S)
    for limits in LIMITS:
        try:
            p = model.max_parallelism(limits)
        except SolveTimeout as e:            # the model is small: seconds, not a minute
            raise SpecError(f"eyexam: step {len(steps) + 1} of {wl.name}: {e}") from None
        if p is None:
            reasons = model.explain_infeasible()
            raise SpecError(f"eyexam: no mapping of {wl.name} fits {arch.name}: "
                            + "; ".join(reasons or ["the constraints conflict"]))
        add(p.macs_in_parallel, tiling_text(inputs, p), ideal, p.proven)
    step5 = steps[-1]
    outcome, proof = delay_optimum(inputs, settings,
                                   int(step5.macs_per_cycle) if step5.proven else None,
                                   progress, stop)
    ev = outcome.best
    tiles = {lv.name: {n: ds.utilized_capacity for n, ds in lv.dataspaces.items()}
             for lv in ev.storage}
    map_txt = format_map_txt(arch, wl, ev.mapping, tiles)
    offchip = sum(dram_bytes(ev, arch).values())
    intensity = macs / offchip if offchip else None
    add(macs / ev.cycles, map_txt, intensity, proof != Proof.NONE)
    ramp = ramps(arch, wl, ev)
    # step 7 is step 6's mapping with its ramps: a mapping one can run, not an optimum over
    # mappings of the ramped cycles (docs/EYEXAM.md), so it is never marked proven
    add(macs / (ev.cycles + sum(r.cycles for r in ramp)), map_txt, intensity, proven=False)
    return EyexamResult(wl.name, arch.name, macs, arch.compute.instances, tuple(steps),
                        ev.cycles, ramp, outcome, proof, dram_peak_bytes_per_cycle(arch),
                        clock_of(arch).cycle_s)


def delay_optimum(inputs: SearchInputs, settings: SearchSettings, capacity_bound: int | None,
                  progress: Callable | None = None, stop: StopFlag | None = None
                  ) -> tuple[SearchOutcome, Proof]:
    """Step 6: the delay-optimal valid mapping and how it is known optimal.

    The search's hybrid phase (objective delay) runs first. No valid mapping runs more MACs
    per cycle than step 5's bound (``capacity_bound``: every valid mapping is a tiling of
    step 5, and takes at least ``MACs / spatial product`` cycles), so a mapping that attains
    it is delay-optimal: its cycles equal those of the optimal search, which is then not
    needed (on Eyeriss-like layers the branch and bound proves such ties slowly, minutes
    instead of seconds). Otherwise (or when step 5 is not proven: ``capacity_bound`` None)
    the optimal search (branch and bound) decides."""
    macs = inputs.workload.macs
    first = search(inputs, settings.merged(objective=Objective(("delay",)),
                                           algorithm="hybrid"), progress, stop)
    _check(inputs, first)
    if capacity_bound is not None and first.best.cycles * capacity_bound == macs:
        return first, Proof.ATTAINS_CAPACITY_BOUND
    if first.stopped_early:
        return first, Proof.NONE
    outcome = search(inputs, eyexam_settings(settings), progress, stop)
    _check(inputs, outcome)
    return outcome, Proof.SEARCH if outcome.proven_optimal else Proof.NONE


def _check(inputs: SearchInputs, outcome: SearchOutcome) -> None:
    wl, arch = inputs.workload, inputs.arch
    if outcome.feasibility == Feasibility.INFEASIBLE:
        raise SpecError(f"eyexam: no mapping of {wl.name} fits {arch.name}: "
                        + "; ".join(outcome.reasons))
    if outcome.best is None and outcome.stopped_early:   # Ctrl-C before any mapping
        raise KeyboardInterrupt(str(outcome.stopped_by))
    if outcome.best is None:
        raise SpecError(f"eyexam: the delay search of {wl.name} on {arch.name} found no "
                        f"valid mapping (stopped: {outcome.stopped_by})")
