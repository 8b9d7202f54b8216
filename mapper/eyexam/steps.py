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
7. varying access patterns: MACs / (cycles + ramps) of the valid mapping that minimises its
   cycles plus the first fills and last drains of its single-buffered levels
   (:mod:`mapper.model.ramp`) -- the search pipeline, objective ``ramped_delay``, algorithm
   optimal (proven), seeded with step 6's mapping.

Each step's feasible set is a subset of the previous one's (steps 2-5 add constraints to one
CP-SAT model; every valid mapping is a tiling of step 5 with at least ``MACs / spatial
product`` cycles; step 7 adds non-negative ramps to the cycles of every valid mapping, so its
least is at least step 6's), so the bounds never increase.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Callable

from ..report.metrics import clock_of, dram_bytes, dram_peak_bytes_per_cycle
from ..prune import ArchLimits, FanoutLimit, Parallelism, SolveTimeout, TilingModel
from ..report.maptxt import format_map_txt
from ..mapsearch.objective import Objective
from ..mapsearch.pipeline import Feasibility, SearchInputs, SearchOutcome, search
from ..mapsearch.settings import SearchSettings
from ..mapsearch.stopping import StopFlag, StopReason
from ..model import Evaluation
from ..model.ramp import LevelRamp, RampRule
from ..spec.errors import SpecError

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
    """How step 6's (or step 7's) mapping is known optimal."""

    SEARCH = "proven optimal by the search (branch and bound)"
    ATTAINS_CAPACITY_BOUND = "attains step 5's bound, which no valid mapping exceeds"
    #: step 7 only: step 6's mapping has no ramp, and no valid mapping has fewer cycles
    NO_RAMP = "step 6's mapping has no ramp: no valid mapping's cycles plus ramps are fewer"
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
    #: an optimum CP-SAT or the search proved
    proven: bool = True

    def to_json(self) -> dict:
        return {"step": self.step, "name": self.name,
                "bound_macs_per_cycle": self.macs_per_cycle, "loss": self.loss,
                "reason": self.reason, "mapping": self.mapping,
                "operational_intensity": self.operational_intensity, "proven": self.proven}


@dataclass(frozen=True)
class Ramped:
    """Step 7: the valid mapping of least cycles + ramps, and how that is known."""

    best: Evaluation
    ramp: tuple[LevelRamp, ...]
    proof: Proof
    #: the search behind it (None: step 6's mapping, proven without one, or not proven)
    search: SearchOutcome | None = None

    @property
    def total(self) -> int:
        """Cycles (average bandwidth model) plus the ramps."""
        return self.best.cycles + sum(r.cycles for r in self.ramp)


@dataclass(frozen=True)
class EyexamResult:
    """The seven bounds of one layer on one architecture."""

    layer: str
    arch: str
    macs: int
    pes: int                          # MAC instances of the arch
    steps: tuple[Step, ...]
    cycles: int                       # step 6's cycles (the average model)
    #: the search's outcome behind step 6
    search: SearchOutcome
    #: how step 6 is known optimal
    proof: Proof
    #: step 7: its mapping, ramps and proof
    ramped: Ramped
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
                "step7_cycles_average_model": self.ramped.best.cycles,
                "cycles_ramped": self.ramped.total,
                "step7_proof": self.ramped.proof.value,
                "ramp": [r.__dict__ | {"cycles": r.cycles} for r in self.ramp],
                "steps": [s.to_json() for s in self.steps]}

    @property
    def ramp(self) -> tuple[LevelRamp, ...]:
        """Step 7's per-level ramps (of step 7's mapping)."""
        return self.ramped.ramp

    @property
    def stopped_by(self) -> StopReason | None:
        """The signal that stopped step 6's or step 7's search (their best so far is
        reported, not proven); None when neither was stopped."""
        for outcome in (self.search, self.ramped.search):
            if outcome is not None and outcome.stopped_early:
                return outcome.stopped_by
        return None


def eyexam_settings(settings: SearchSettings) -> SearchSettings:
    """Step 6's search: ``settings`` with objective delay and algorithm optimal."""
    return settings.merged(objective=Objective(("delay",)), algorithm="optimal")


def ramped_settings(settings: SearchSettings) -> SearchSettings:
    """Step 7's search: ``settings`` with objective ramped_delay and algorithm optimal."""
    return settings.merged(objective=Objective(("ramped_delay",)), algorithm="optimal")


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
    """The seven Eyexam bounds of a layer; ``settings`` steer the searches of steps 6 and 7
    (their objectives are always delay and ramped_delay, their algorithm optimal). Raises
    :class:`SpecError` when no mapping fits (naming the conflicting constraints) or none was
    found."""
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
    add(macs / ev.cycles, *_attained(inputs, ev), proof != Proof.NONE)
    ramped = ramped_optimum(inputs, settings, ev, proof != Proof.NONE, progress, stop)
    add(macs / ramped.total, *_attained(inputs, ramped.best), ramped.proof != Proof.NONE)
    return EyexamResult(wl.name, arch.name, macs, arch.compute.instances, tuple(steps),
                        ev.cycles, outcome, proof, ramped, dram_peak_bytes_per_cycle(arch),
                        clock_of(arch).cycle_s)


def _attained(inputs: SearchInputs, ev: Evaluation) -> tuple[str, float | None]:
    """The map.txt of a step's mapping and its MACs per off-chip byte (None: no traffic)."""
    arch, wl = inputs.arch, inputs.workload
    tiles = {lv.name: words for lv, words in zip(ev.storage, ev.tiles)}
    offchip = sum(dram_bytes(ev, arch).values())
    return (format_map_txt(arch, wl, ev.mapping, tiles),
            wl.macs / offchip if offchip else None)


def ramped_optimum(inputs: SearchInputs, settings: SearchSettings, step6: Evaluation,
                   step6_proven: bool, progress: Callable | None = None,
                   stop: StopFlag | None = None) -> Ramped:
    """Step 7: the valid mapping of least cycles + ramps (:mod:`mapper.model.ramp`).

    Every valid mapping's ramps are >= 0 and its cycles >= step 6's (when step 6 is proven),
    so step 6's mapping is the answer when it has no ramp. Otherwise the optimal search with
    objective ramped_delay decides, seeded with step 6's mapping as its incumbent (a valid
    mapping whose ramped cycles are a key to beat: the hybrid seed round is skipped). When
    step 6 is not proven (stopped or out of time) no second search is run: step 7 is then
    step 6's mapping with its ramps, not proven (and still at most step 6's bound)."""
    rule = RampRule(inputs.arch, inputs.workload)
    ramp = rule.levels(step6.tiles)
    if not step6_proven or not sum(r.cycles for r in ramp):
        return Ramped(step6, ramp, Proof.NO_RAMP if step6_proven else Proof.NONE)
    seeded = replace(inputs, incumbents=(step6.mapping, *inputs.incumbents))
    outcome = search(seeded, ramped_settings(settings), progress, stop)
    if outcome.best is None and outcome.stopped_early:   # stopped before its incumbent
        return Ramped(step6, ramp, Proof.NONE, outcome)
    _check(inputs, outcome)
    return Ramped(outcome.best, rule.levels(outcome.best.tiles),
                  Proof.SEARCH if outcome.proven_optimal else Proof.NONE, outcome)


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
        raise SpecError(f"eyexam: the {outcome.objective.describe()} search of {wl.name} "
                        f"on {arch.name} found no "
                        f"valid mapping (stopped: {outcome.stopped_by})")
