"""``mapper search``: find the best mapping of a layer and write it with its statistics.

Writes OUTDIR/mapping.yaml (Timeloop's mapping YAML, which ``mapper model`` and
``timeloop-model`` accept), stats.txt, map.txt and stats.json (``mapper model``'s schema plus a
``search`` record). Shows progress with the best so far; Ctrl-C or ``--time-limit`` returns the
best mapping found so far, marked as not proven optimal.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .cli_types import nonnegative_int, objective, positive_int, seconds
from .progress import StatusLine


class ProgressLine(StatusLine):
    """The search's phase, time, evaluations and best objective so far."""

    def __call__(self, p) -> None:
        if not self.due():
            return
        best = "-" if p.best is None else ", ".join(f"{x:.4g}" for x in p.best)
        self.show(f"[{p.phase}] {p.elapsed_s:6.1f}s  evaluated {p.evaluated:,}  "
                  f"valid {p.valid:,}  best {best}")


def add_parser(sub) -> None:
    s = sub.add_parser("search", help="find the best mapping of a layer on an architecture",
                       description="Search the mapspace for the mapping that minimizes the "
                       "objective. Files are merged Timeloop-style (architecture, problem, "
                       "constraints, Timeloop's mapper settings, ERT/ART). Options on the "
                       "command line override the mapper settings of the files.")
    s.add_argument("files", nargs="+", metavar="YAML",
                   help="ARCH.yaml PROBLEM.yaml [CONSTRAINTS.yaml] [MAPPER.yaml] [more]")
    s.add_argument("--jobs", type=positive_int, help="worker processes (default 1)")
    add_search_options(s)
    s.add_argument("--layer", metavar="NAME",
                   help="the layer to search, when a file is a layer library (problems/layers)")
    s.add_argument("-o", "--output", default="out", help="output directory (default: out)")
    from .cli import _add_override_args
    _add_override_args(s)
    s.set_defaults(func=cmd_search)


def add_search_options(p: argparse.ArgumentParser, per_layer: bool = False) -> None:
    """The options of a search, shared by ``mapper search`` and ``mapper network`` (where each
    applies to every layer's search)."""
    each = "per layer: " if per_layer else ""
    p.add_argument("--objective", type=objective, help=f"{each}edp (default), energy, delay, "
                   "last_level_accesses; 'energy,delay' = lexicographic; 'energy:1,delay:0.5' "
                   "= weighted sum")
    p.add_argument("--algorithm", choices=["exhaustive", "optimal", "random", "hybrid"],
                   help=f"{each}hybrid (default): random sampling, then hill climbing; "
                   "optimal: branch and bound seeded by hybrid, proven optimal when it "
                   "finishes; exhaustive: every mapping, no bounds (for checking)")
    p.add_argument("--time-limit", type=seconds, metavar="S",
                   help=f"{each}stop after S seconds with the best mapping so far")
    p.add_argument("--search-size", type=positive_int, help=f"{each}random evaluations per "
                   "job (random: then stop; hybrid: then climb; default 200000 for hybrid)")
    p.add_argument("--victory-condition", type=positive_int, help=f"{each}stop after this "
                   "many valid mappings in a row without improvement")
    p.add_argument("--seed", type=nonnegative_int, help="random seed (default 0); results are "
                   "deterministic for a seed and a number of jobs")
    p.add_argument("--ert", help="energy reference table (Accelergy ERT YAML)")
    p.add_argument("--art", help="area reference table (Accelergy ART YAML)")
    p.add_argument("--energy-tables", action="append", default=[], metavar="DIR",
                   help="a directory of energy/area table files (repeatable)")


def cmd_search(args: argparse.Namespace) -> int:
    from . import api
    from .cli import _overrides, _print_notes, _write_outputs
    from .mapspace import MapSpace
    from .model import Model
    from .report.maptxt import format_map_txt
    from .report.stats_txt import format_stats_txt
    from .search import run_search, space_size
    from .search.settings import SearchSettings, read_mapper_settings
    from .spec.timeloop_writer import dump_yaml, mapping_to_timeloop

    spec = api.load(args.files, ert=args.ert, art=args.art, need_mapping=False,
                    energy_tables=args.energy_tables, overrides=_overrides(args),
                    layer=args.layer)
    _print_notes(spec)
    found = spec.inputs.get("mapper")
    settings = read_mapper_settings(*found) if found else SearchSettings()
    settings = settings.merged(
        objective=args.objective,
        algorithm=args.algorithm, jobs=args.jobs, time_limit=args.time_limit,
        search_size=args.search_size, victory_condition=args.victory_condition, seed=args.seed)
    from .prune import SolveTimeout, TilingModel
    try:
        reasons = TilingModel(spec.arch, spec.workload, spec.constraints,
                              time_limit=30).explain_infeasible()
    except SolveTimeout as e:          # undecided: the search itself will tell
        print(f"note: the CP-SAT feasibility check could not decide ({e}); searching anyway",
              file=sys.stderr)
        reasons = []
    if reasons:
        print("error: no mapping fits; the smallest set of conflicting constraints:",
              file=sys.stderr)
        for line in reasons:
            print(f"  {line}", file=sys.stderr)
        return 1
    space = MapSpace(spec.arch, spec.workload, spec.constraints)
    size = space_size(space)
    print(f"{spec.workload.name} on {spec.arch.name}: objective {settings.objective.describe()},"
          f" algorithm {settings.algorithm}, {settings.jobs} job(s)")
    print(f"  mapspace before pruning: {size['tilings']:,} tilings x {size['loop_orders']:,} "
          f"loop orders x {size['keep_choices']} keep choices = {size['total']:.3g} mappings")
    if settings.algorithm == "exhaustive" and settings.time_limit is None:
        print("  note: an exhaustive search of a space this size may not finish; give "
              "--time-limit to get the best so far", file=sys.stderr)
    progress = ProgressLine()
    result = run_search(Model(spec.arch, spec.workload, spec.tables), space,
                        settings.objective, settings.algorithm, settings.jobs,
                        settings.time_limit, settings.seed, settings.search_size,
                        settings.victory_condition, progress=progress)
    progress.close()
    st = result.stats
    print(f"  evaluated {st.evaluated:,} mappings ({st.valid:,} valid) in {st.wall_s:.1f} s; "
          f"stopped: {st.stopped_by}; proven optimal: {'yes' if st.proven_optimal else 'no'}"
          + (f"; {st.pruned:,} tilings and loop orders discarded by the bound"
             if settings.algorithm == "optimal" else ""))
    if result.best is None:
        print("error: no valid mapping found among those evaluated, though some exist (the "
              "constraints are feasible): search longer or use --algorithm optimal",
              file=sys.stderr)
        return 1
    ev = result.best
    tiles = {lv.name: {n: ds.utilized_capacity for n, ds in lv.dataspaces.items()}
             for lv in ev.storage}
    stats = ev.to_json()
    stats["search"] = st.to_json()
    stats["search"]["objective"] = settings.objective.describe()
    files = {
        "mapping.yaml": dump_yaml({"mapping": mapping_to_timeloop(ev.mapping, spec.arch,
                                                                  spec.workload)}),
        "stats.txt": format_stats_txt(spec.arch, spec.workload, ev),
        "map.txt": format_map_txt(spec.arch, spec.workload, ev.mapping, tiles),
        "stats.json": json.dumps(stats, indent=1) + "\n",
    }
    out = Path(args.output)
    _write_outputs(out, files)
    print(f"  best: EDP {ev.edp:.4g} J*cycle, energy {ev.energy_pJ / 1e6:.2f} uJ "
          f"({ev.energy_pJ / ev.computes:.3f} pJ/MAC), cycles {ev.cycles:,}, "
          f"utilization {ev.utilization:.2f}")
    print(f"  wrote {out / 'mapping.yaml'}, {out / 'stats.txt'}, {out / 'map.txt'}, "
          f"{out / 'stats.json'}")
    return 0
