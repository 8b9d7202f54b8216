"""Our search against the reference Timeloop mapper on the public exercises: for every dense
exercise set that `mapper search` runs and that has a reference ``timeloop-mapper.stats.txt``,
our best EDP with the set's own ``mapper:`` settings and constraints beside the reference's.

    PYTHONPATH=$PWD python benchmarks/exercises_search.py [--root DIR] [--only TEXT]
        [--time-limit 30] [--jobs 2] [--algorithm NAME] [--kill-margin 30] [--seed 0]

The sets are those of ``exercises_load.py`` (passed as the exercises' own scripts pass them);
each is searched in a fresh process (``case_runner.py``: its own wall time, a hard kill at
--time-limit + --kill-margin) through ``mapper.api.search``, with the set's ``mapper:``
settings (objective, algorithm, search size, victory condition) except that --jobs and
--time-limit win, as they do on the command line; --algorithm overrides the set's algorithm
(e.g. ``optimal``, to prove). Energies are the reference run's own ERT
(``timeloop-mapper.ERT.yaml``), so both sides price an action alike and the EDPs differ only
by the mappings found.

Per set: the objective; our EDP (J x cycles, as Timeloop prints it); the reference's mapping
(``timeloop-mapper.map.yaml``) as our model prices it ("ref model") and our ratio to it:
the comparison of the two searches under one model; the reference's printed EDP ("ref
print": its ``fJ/Compute`` total times its computes, which carries more digits than its
``Energy: ... uJ`` line, times its cycles) and our ratio to it, which also holds the
models' known differences (we charge the compute level's leakage, Timeloop v3.0.3 does
not: ``mapper/model/cost.py``); whether ours is proven optimal; the search's wall time;
whether ``mapper model`` accepts our mapping (no constraint broken, valid in the model,
also when the mapping YAML that ``mapper search`` writes is read back with the same files).
Where the reference's own mapping breaks a constraint of the set as we read it, the status
says which.
"""
from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from case_runner import (add_case_options, describe, fmt, report,  # noqa: E402
                         run_case, yes_no)
from exercises_load import DEFAULT_ROOT, ExerciseSet, exercise_sets  # noqa: E402

STATS = "timeloop-mapper.stats.txt"
#: mapper settings the exercise's own script changes before its reference run: the notebook
#: sets ``spec.mapper.search_size = 1000`` over the file's 100 (1_specifications.ipynb)
SCRIPT_SETTINGS = {"dse-2024/reg_enabled=False": {"search_size": 1000}}


@dataclass(frozen=True)
class ReferenceRun:
    """What the reference Timeloop mapper found for a set (its output folder)."""

    folder: Path
    cycles: int
    computes: int
    energy_pJ: float

    @property
    def edp(self) -> float:
        from mapper.model.perf import edp
        return float(edp(self.energy_pJ, self.cycles))

    @property
    def ert(self) -> Path:
        return self.folder / "timeloop-mapper.ERT.yaml"

    @property
    def mapping(self) -> Path:
        return self.folder / "timeloop-mapper.map.yaml"


def read_reference(folder: Path) -> ReferenceRun:
    """Cycles, computes and energy of a ``timeloop-mapper.stats.txt``'s summary."""
    text = (folder / STATS).read_text()
    summary = text.rsplit("Summary Stats", 1)[1]
    cycles = int(re.search(r"\nCycles: (\d+)", summary).group(1))
    computes = int(re.search(r"\nComputes = (\d+)", summary).group(1))
    per_compute_fJ = float(re.search(r"\n\s+Total\s+= (\S+)", summary).group(1))
    return ReferenceRun(folder, cycles, computes, per_compute_fJ * computes / 1e3)


def reference_folder(s: ExerciseSet, root: Path) -> Path | None:
    """The folder of the reference mapper run of a search set, if the exercises have one."""
    ws = root / "workspace"
    tut = ws / "tutorial_exercises"
    tl = tut / "01_accelergy_timeloop_2020_ispass" / "timeloop"
    if s.group == "tutorial":
        folder = {"05_baked": tl / "05-mapper-conv1d+oc-3level" / "ref-output" / "baked",
                  "05_bypass": tl / "05-mapper-conv1d+oc-3level" / "ref-output" / "freebypass",
                  "05_null": tl / "05-mapper-conv1d+oc-3level" / "ref-output" / "null",
                  "06": tl / "06-mapper-convlayer-eyeriss" / "ref-output"}.get(s.name)
    elif s.group == "tutorial+accelergy":
        folder = (tut / "01_accelergy_timeloop_2020_ispass" / "timeloop+accelergy"
                  / "ref-output" / s.name)
    elif s.group == "dse-2024" and s.values == {"reg_enabled": False}:
        # the notebook's kept run (1_specifications.ipynb): its ERT and processed input have
        # no ``reg``; the runs with the other variables kept no output
        folder = tut / "02_interface_and_design_space_exploration_2024" / "outputs"
    elif s.group == "example":
        folder = (ws / "example_designs" / "example_designs" / s.name / "ref_outputs"
                  / "default_problem")
    else:
        folder = None
    return folder if folder is not None and (folder / STATS).is_file() else None


def search_sets(root: Path = DEFAULT_ROOT) -> list[tuple[ExerciseSet, ReferenceRun]]:
    """Every dense search set with a reference mapper run, in exercises_load's order."""
    out = []
    for s in exercise_sets(root):
        if s.command != "search" or s.sparse:
            continue
        folder = reference_folder(s, root)
        if folder is not None:
            out.append((s, read_reference(folder)))
    return out


def reference_as_modelled(s: ExerciseSet, ref: ReferenceRun) -> dict:
    """The reference's own mapping (``timeloop-mapper.map.yaml``) read with the set's files
    and evaluated by our model: its EDP (the reference's figure but for the model's known
    differences, e.g. leakage of the compute level) and the set's constraints it breaks as
    ``mapper model`` reads them."""
    from mapper import api
    spec = api.load([*map(str, s.files), str(ref.mapping)], overrides=s.values or None,
                    ert=ref.ert)
    ev = api.evaluate(spec)
    return {"edp": float(ev.edp), "valid": bool(ev.valid),
            "leak_pJ": float(ev.leak_energy_pJ),
            "breaks": [str(v) for v in api.check(spec)]}


def search_set(s: ExerciseSet, ref: ReferenceRun, *, jobs: int, time_limit: float,
               algorithm: str | None = None, seed: int | None = None) -> dict:
    """Load the set with the reference's ERT, search with its own settings (and those its
    script sets, :data:`SCRIPT_SETTINGS`; ``jobs``, ``time_limit``, ``algorithm`` winning),
    and describe the outcome (:func:`case_runner.describe`) with the objective, the search's
    settings and the reference mapping as our model prices it."""
    from mapper import api
    files = [str(f) for f in s.files]
    options = {"overrides": s.values or None, "ert": ref.ert}
    spec = api.load(files, need_mapping=False, **options)
    t0 = time.monotonic()
    outcome = api.search(spec, jobs=jobs, time_limit=time_limit, algorithm=algorithm,
                         seed=seed, **SCRIPT_SETTINGS.get(f"{s.group}/{s.name}", {}))
    record = describe(spec, outcome, time.monotonic() - t0, files, **options)
    st = outcome.settings
    record.update(objective=outcome.objective.describe(), algorithm=st.algorithm,
                  search_size=st.search_size, victory_condition=st.victory_condition,
                  reference=reference_as_modelled(s, ref))
    return record


def run_one(case: dict) -> None:
    """In the case's own process: find the set by name, search it, print the result line."""
    root = Path(case["root"])
    for s, ref in search_sets(root):
        if f"{s.group}/{s.name}" == case["set"]:
            report(search_set(s, ref, jobs=case["jobs"], time_limit=case["time_limit"],
                              algorithm=case["algorithm"], seed=case["seed"]))
            return
    raise SystemExit(f"no search set {case['set']!r} with a reference run under {root}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", type=Path, default=DEFAULT_ROOT,
                    help="the exercises' checkout (default: %(default)s)")
    ap.add_argument("--only", default="", help="only sets whose group/name contains this")
    ap.add_argument("--algorithm", default=None,
                    help="instead of the set's own (e.g. optimal); default: the set's")
    add_case_options(ap)
    ap.set_defaults(time_limit=30.0)
    args = ap.parse_args(argv)
    if args.case:
        run_one(json.loads(args.case))
        return 0
    if not (args.root / "workspace").is_dir():
        print(f"no exercises at {args.root} (give --root)", file=sys.stderr)
        return 2
    sets = [(s, ref) for s, ref in search_sets(args.root) if args.only in f"{s.group}/{s.name}"]
    print(f"{len(sets)} set(s); {args.jobs} job(s), time limit {args.time_limit:g} s per set, "
          f"algorithm {args.algorithm or 'the set’s own'}; energies: the reference's ERT")
    head = (f"{'set':<38} {'objective':<17} {'algorithm':<10} {'ours EDP':>10} "
            f"{'ref model':>10} {'ratio':>7} {'ref print':>10} {'ratio':>7} {'proven':>6} "
            f"{'wall s':>6} {'model ok':>8}  status")
    print(head, flush=True)
    ratios, worse = [], []
    for s, ref in sets:
        name = f"{s.group}/{s.name}"
        case = {"root": str(args.root), "set": name, "jobs": args.jobs,
                "time_limit": args.time_limit, "algorithm": args.algorithm, "seed": args.seed}
        run = run_case([sys.executable, __file__, "--case", json.dumps(case)],
                       args.time_limit + args.kill_margin)
        r = run.result or {}
        ours, modelled = r.get("edp"), (r.get("reference") or {}).get("edp")
        ratio = ours / modelled if ours is not None and modelled else None
        printed = ours / ref.edp if ours is not None else None
        if ratio is not None:
            ratios.append(ratio)
            if ours > modelled * (1 + 1e-9):
                worse.append(name)
        status = {"ok": "ok" if ours is not None else "no mapping found",
                  "killed": f"killed after {run.wall_s:.0f} s",
                  "crash": f"crash: {run.detail}"}[run.status]
        if r.get("stopped_by") and r["stopped_by"] != "finished":
            status += f" (stopped: {r['stopped_by']})"
        if r.get("accepted") is False:
            status += f"; rejected: {r['rejected_because']}"
        if (r.get("reference") or {}).get("breaks"):
            breaks = "; ".join(re.sub(r"[^\s:]*/([^/\s:]+):", r"\1:", b)
                               for b in r["reference"]["breaks"])
            status += f"; the reference mapping breaks: {breaks}"
        print(f"{name:<38} {r.get('objective', '-'):<17} {r.get('algorithm', '-'):<10} "
              f"{fmt(ours):>10} {fmt(modelled):>10} {fmt(ratio, '.4f'):>7} {fmt(ref.edp):>10} "
              f"{fmt(printed, '.4f'):>7} {yes_no(r.get('proven')):>6} "
              f"{r.get('search_wall_s', run.wall_s):>6.1f} "
              f"{yes_no(r.get('accepted'), no='NO'):>8}  {status}", flush=True)
    if ratios:
        geo = math.exp(sum(math.log(x) for x in ratios) / len(ratios))
        print(f"ours / the reference mapping's EDP (both as our model prices them): geometric "
              f"mean {geo:.4f} over {len(ratios)} set(s), range {min(ratios):.4f}-"
              f"{max(ratios):.4f}; worse than the reference: {', '.join(worse) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
