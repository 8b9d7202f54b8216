"""``mapper search``: find the best mapping of a layer and write it with its statistics.

Writes OUTDIR/mapping.yaml (Timeloop's mapping YAML, which ``mapper model`` and
``timeloop-model`` accept), stats.txt, map.txt and stats.json (``mapper model``'s schema plus a
``search`` record). The work is :func:`mapper.mapsearch.pipeline.search`; this module reads the
arguments, shows its progress and writes its outcome.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .argtypes import positive_int
from .common import (add_override_args, add_search_options, layer_metrics_outputs,
                     overrides_of, print_notes, stopped_exit_status, write_outputs)
from .progress import StatusLine

EXIT_STATUS = ("exit status: 0 when a mapping was found (also when --time-limit, the search "
               "size or the victory condition ended the search); 1 when none was (no mapping "
               "fits the constraints, or none valid was met); 2 for bad input; 130 after "
               "Ctrl-C and 143 after SIGTERM, with the best mapping so far written all the "
               "same (stats.json: proven_optimal false, stopped_by interrupted/terminated), "
               "for any --jobs. A second Ctrl-C stops at once.")


class ProgressLine(StatusLine):
    """The search's phase, time, evaluations and best objective so far; the mapspace's size
    when the search starts."""

    def __init__(self, spec, out=None, **kw):
        super().__init__(**kw)
        self.spec, self.out = spec, out or sys.stdout

    def __call__(self, p) -> None:
        from ..mapsearch.pipeline import SearchStarted
        if isinstance(p, SearchStarted):
            self.started(p)
            return
        if not self.due():
            return
        best = "-" if p.best is None else ", ".join(f"{x:.4g}" for x in p.best)
        self.show(f"[{p.phase}] {p.elapsed_s:6.1f}s  evaluated {p.evaluated:,}  "
                  f"valid {p.valid:,}  best {best}")

    def started(self, e) -> None:
        spec, st, size = self.spec, e.settings, e.space_size
        if e.feasibility.note:
            print(f"note: the CP-SAT feasibility check could not decide ({e.feasibility.note});"
                  f" searching anyway", file=sys.stderr)
        print(f"{spec.workload.name} on {spec.arch.name}: objective {st.objective.describe()},"
              f" algorithm {st.algorithm}, {st.jobs} job(s)", file=self.out)
        print(f"  mapspace before pruning: {size['tilings']:,} tilings x "
              f"{size['loop_orders']:,} loop orders x {size['keep_choices']} keep choices = "
              f"{size['total']:.3g} mappings", file=self.out, flush=True)
        if st.algorithm == "exhaustive" and st.time_limit is None:
            print("  note: an exhaustive search of a space this size may not finish; give "
                  "--time-limit to get the best so far (or press Ctrl-C)", file=sys.stderr)


def add_parser(sub) -> None:
    s = sub.add_parser("search", help="find the best mapping of a layer on an architecture",
                       description="Search the mapspace for the mapping that minimizes the "
                       "objective. Files are merged Timeloop-style (architecture, problem, "
                       "constraints, Timeloop's mapper settings, ERT/ART). Options on the "
                       "command line override the mapper settings of the files. Ctrl-C, "
                       "SIGTERM or --time-limit stop the search with the best mapping so far.",
                       epilog=EXIT_STATUS)
    s.add_argument("files", nargs="+", metavar="YAML",
                   help="ARCH.yaml PROBLEM.yaml [CONSTRAINTS.yaml] [MAPPER.yaml] [more]")
    s.add_argument("--jobs", type=positive_int, help="worker processes (default 1)")
    add_search_options(s)
    s.add_argument("--layer", metavar="NAME",
                   help="the layer to search, when a file is a layer library (problems/layers)")
    s.add_argument("-o", "--output", default="out", help="output directory (default: out)")
    add_override_args(s)
    s.set_defaults(func=cmd_search)


def cmd_search(args: argparse.Namespace) -> int:
    from .. import api
    from ..mapsearch.pipeline import Feasibility, SearchInputs, search
    from .output_paths import check_output_dir

    check_output_dir(args.output)
    spec = api.load(args.files, ert=args.ert, art=args.art, need_mapping=False,
                    energy_tables=args.energy_tables, overrides=overrides_of(args),
                    layer=args.layer)
    print_notes(spec)
    objective = args.objective                      # parsed by argparse (argtypes)
    settings = api.search_settings(
        spec, objective=objective, algorithm=args.algorithm, jobs=args.jobs,
        time_limit=args.time_limit, search_size=args.search_size,
        victory_condition=args.victory_condition, seed=args.seed)
    progress = ProgressLine(spec)
    try:
        outcome = search(SearchInputs.of(spec), settings, progress)
    finally:
        progress.close()
    stopped = stopped_exit_status(outcome.stopped_by)
    if outcome.feasibility == Feasibility.INFEASIBLE:
        print("error: no mapping fits; the smallest set of conflicting constraints:",
              file=sys.stderr)
        for line in outcome.reasons:
            print(f"  {line}", file=sys.stderr)
        return 1
    st = outcome.stats
    if st is not None:
        print(f"  evaluated {st.evaluated:,} mappings ({st.valid:,} valid) in {st.wall_s:.1f} s;"
              f" stopped: {st.stopped_by}; proven optimal: "
              f"{'yes' if st.proven_optimal else 'no'}"
              + (f"; {st.pruned:,} tilings and loop orders discarded by the bound"
                 if settings.algorithm == "optimal" else ""))
    if outcome.best is None:
        if stopped is not None:
            print(f"{outcome.stopped_by}: stopped before any valid mapping was found; nothing "
                  f"written", file=sys.stderr)
            return stopped
        print("error: no valid mapping found among those evaluated, though some exist (the "
              "constraints are feasible): search longer or use --algorithm optimal",
              file=sys.stderr)
        return 1
    out = Path(args.output)
    write_outputs(out, search_outputs(spec, outcome))
    ev = outcome.best
    print(f"  best: EDP {ev.edp:.4g} J*cycle, energy {ev.energy_pJ / 1e6:.2f} uJ "
          f"({ev.energy_pJ / ev.computes:.3f} pJ/MAC), cycles {ev.cycles:,}, "
          f"utilization {ev.utilization:.2f}")
    if "ramped_delay" in settings.objective.metrics:      # the value the search minimized
        from ..model.ramp import RampRule
        ramp = sum(r.cycles for r in RampRule(spec.arch, spec.workload).levels(ev.tiles))
        print(f"  ramped delay: {ev.cycles + ramp:,} cycles = {ev.cycles:,} + {ramp:,} of "
              f"ramp-up/ramp-down (docs/EYEXAM.md, step 7)")
    print("\n".join(layer_metrics_outputs(spec, ev)[0]))
    print(f"  wrote {out / 'mapping.yaml'}, {out / 'stats.txt'}, {out / 'map.txt'}, "
          f"{out / 'stats.json'}")
    if stopped is not None:
        print(f"{outcome.stopped_by}: wrote the best mapping found so far (not proven "
              f"optimal)", file=sys.stderr)
        return stopped
    return 0


def search_outputs(spec, outcome) -> dict[str, str]:
    """The files of a search's best mapping: mapping.yaml, stats.txt, map.txt, stats.json."""
    from ..report.maptxt import format_map_txt
    from ..report.stats_txt import format_stats_txt
    from ..spec.sparse import mark_dense
    from ..spec.timeloop_writer import dump_yaml, mapping_to_timeloop
    ev = outcome.best
    tiles = {lv.name: {n: ds.utilized_capacity for n, ds in lv.dataspaces.items()}
             for lv in ev.storage}
    from .. import api
    stats = {**mark_dense(ev.to_json(), spec.sparsity), **layer_metrics_outputs(spec, ev)[1]}
    stats["search"] = outcome.to_json()
    return {
        "mapping.yaml": dump_yaml({"mapping": mapping_to_timeloop(ev.mapping, spec.arch,
                                                                  spec.workload)}),
        "stats.txt": format_stats_txt(spec.arch, spec.workload, ev, api.clock(spec).cycle_s),
        "map.txt": format_map_txt(spec.arch, spec.workload, ev.mapping, tiles),
        "stats.json": json.dumps(stats, indent=1) + "\n",
    }
