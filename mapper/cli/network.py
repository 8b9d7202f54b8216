"""``mapper network``: search every distinct layer of a network and report the whole network.

Writes OUTDIR/network.json, network.csv, network.txt (the summary it prints) and
mappings/<layer>.yaml (each a Timeloop mapping with its layer's problem, which ``mapper model
ARCH mappings/<layer>.yaml`` evaluates), maps/<layer>.txt (its map.txt) and, with ``--report``,
report.html (``mapper report``; ``--dram-bandwidth`` as there, checked before the search). Progress (layers done / total, the best so far) goes
to stderr. Exit status 0 when every layer is mapped, 1 when some layer has no mapping (listed,
with CP-SAT's explanation when no mapping can fit), 2 for bad input; after Ctrl-C (130) or
SIGTERM (143) the outputs are written all the same, with the layers searched so far (the one
being searched with its best mapping so far), as ``mapper search`` does.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .argtypes import gigabytes_per_second, positive_int
from .common import (add_override_args, add_search_options, overrides_of, stopped_exit_status,
                     write_outputs)
from .progress import StatusLine

#: the page ``--report`` writes beside the other outputs
REPORT_FILE = "report.html"

EXIT_STATUS = ("exit status: 0 when every layer is mapped; 1 when a layer is not; 2 for bad "
               "input; 130 after Ctrl-C and 143 after SIGTERM, with the outputs written all "
               "the same (the layers searched so far, the one being searched with its best "
               "mapping so far, the others 'not searched'), for any --jobs.")


class NetworkProgressLine(StatusLine):
    """Layers done / total and the search's best so far."""

    def __call__(self, p) -> None:
        if p.status == "searching":
            if not self.due():
                return
            s = p.search
            best = "-" if s.best is None else ", ".join(f"{x:.4g}" for x in s.best)
            self.show(f"[layers {p.done}/{p.total}] {p.layer}: {s.phase} {s.elapsed_s:.1f}s, "
                      f"evaluated {s.evaluated:,}, best {best}")
        else:
            edp = "" if p.best_edp is None else f", EDP {p.best_edp:.4g} J*cycle"
            self.show(f"[layers {p.done}/{p.total}] {p.layer}: {p.status}{edp} "
                      f"({p.elapsed_s:.1f}s)")


def add_parser(sub) -> None:
    n = sub.add_parser("network", help="search every layer of a network and report the "
                       "whole network (energy, latency, throughput, DRAM traffic...)",
                       description="Search the best mapping of every distinct layer of a "
                       "network (identical layers once, counted as often as they occur) and "
                       "report per layer and in total. ARCH is a template name or arch file, "
                       "optionally followed by constraint, mapper-settings and ERT/ART files; "
                       "NETWORK is a network file or a bundled network's name (resnet18). "
                       "Ctrl-C or SIGTERM stop the run and write what it has.",
                       epilog=EXIT_STATUS)
    n.add_argument("files", nargs="+", metavar="FILE",
                   help="ARCH [CONSTRAINTS.yaml MAPPER.yaml ...] NETWORK")
    n.add_argument("--jobs", type=positive_int, help="worker processes; layers run in "
                   "parallel, each layer's search on one worker (default 1)")
    n.add_argument("--batch", type=positive_int, help="the batch size (= --set batch=N; "
                   "default: the network's)")
    add_search_options(n, per_layer=True)
    n.add_argument("--cache-dir", metavar="DIR", help="where per-layer results are cached "
                   "(default $MAPPER_CACHE_DIR or ~/.cache/dnn-mapper, else OUTDIR/.cache)")
    n.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    n.add_argument("-o", "--output", default="out", help="output directory (default: out)")
    n.add_argument("--report", action="store_true", help=f"also write OUTDIR/{REPORT_FILE}: "
                   "the metric set and figures of Sze et al. on one page (mapper report; "
                   "needs matplotlib: pip install 'dnn-mapper[report]')")
    n.add_argument("--dram-bandwidth", type=gigabytes_per_second, metavar="GBPS",
                   help="with --report: an off-chip (DRAM) bandwidth in GB/s to draw on the "
                   "report's roofline as a roof (as mapper report --dram-bandwidth), converted "
                   "to bytes/cycle with the arch's clock, checked before the search; the "
                   "model's cycles do not change")
    add_override_args(n)
    n.set_defaults(func=cmd_network)


def _cache_dir(args: argparse.Namespace, outdir: Path):
    if args.no_cache:
        return None
    if args.cache_dir:
        return Path(args.cache_dir)
    from ..network.cache import writable_cache_dir
    return writable_cache_dir(outdir / ".cache")


def cmd_network(args: argparse.Namespace) -> int:
    from ..inputs.templates import Overrides
    from ..network.report import format_csv, format_text
    from ..network.run import run_network
    from ..spec.errors import SpecError

    if len(args.files) < 2:
        raise SpecError("expected ARCH and NETWORK (e.g. mapper network eyeriss_like resnet18)")
    from .output_paths import check_output_dir
    check_output_dir(args.output)
    overrides = overrides_of(args)
    if args.batch is not None:
        overrides = overrides.merged(Overrides({"batch": args.batch},
                                               {"batch": f"--batch {args.batch}"}))
    if args.algorithm == "exhaustive" and args.time_limit is None:
        print("note: an exhaustive search of a real layer may not finish; give --time-limit "
              "(per layer) to get the best so far", file=sys.stderr)
    out = Path(args.output)
    if args.dram_bandwidth is not None and not args.report:
        raise SpecError(f"--dram-bandwidth {args.dram_bandwidth:g}: only the report's roofline "
                        f"draws it: give --report too (or run mapper report {out} "
                        f"--dram-bandwidth {args.dram_bandwidth:g} after this run)")
    if args.report:                     # before the search, not after it
        from ..report.figures import require_matplotlib
        require_matplotlib()
        if args.dram_bandwidth is not None:         # needs the arch's clock
            from .. import api
            from ..report.roofline import user_roof
            user_roof(args.dram_bandwidth, api.network_clock(
                args.files[:-1], args.files[-1], overrides=overrides,
                energy_tables=args.energy_tables, ert=args.ert, art=args.art).cycle_s)
    progress = NetworkProgressLine()
    try:
        result = run_network(
            args.files[:-1], args.files[-1], overrides=overrides,
            objective=args.objective,
            algorithm=args.algorithm, jobs=args.jobs, time_limit=args.time_limit,
            search_size=args.search_size, victory_condition=args.victory_condition,
            seed=args.seed, energy_tables=args.energy_tables, ert=args.ert, art=args.art,
            cache_dir=_cache_dir(args, out), progress=progress)
    finally:
        progress.close()
    for line in result.warnings:
        print(line, file=sys.stderr)
    summary = result.summary()
    text = format_text(summary)
    mappings = {f"mappings/{r.file_name}.yaml": _mapping_yaml(r, result.arch)
                for r in result.layers if r.evaluation is not None}
    maps = {f"maps/{r.file_name}.txt": _map_txt(r, result.arch)
            for r in result.layers if r.evaluation is not None}
    files = {"network.json": json.dumps(summary, indent=1) + "\n",
             "network.csv": format_csv(summary), "network.txt": text, **mappings, **maps}
    write_outputs(out, files)
    if args.report:        # read back from the files just written, then listed with them
        from .. import api
        write_outputs(out, {**files, REPORT_FILE: api.report_html(out, args.dram_bandwidth)})
    print(text, end="")
    c = summary["cache"]
    print(f"  {c['hits']} of {c['hits'] + c['misses']} distinct layers from the cache "
          f"({c['dir'] or 'off'}); {summary['wall_s']:.1f} s")
    print(f"  wrote {out / 'network.json'}, {out / 'network.csv'}, {out / 'network.txt'}, "
          f"{out / 'mappings'}/ and {out / 'maps'}/ ({len(mappings)} files each)")
    if args.report:
        print(f"  wrote {out / REPORT_FILE} (mapper report)")
    stopped = stopped_exit_status(result.stopped_by)
    if stopped is not None:
        print(f"{result.stopped_by}: wrote the layers searched so far (the layers finished are "
              f"cached unless --no-cache; run again to go on from there)", file=sys.stderr)
        return stopped
    for r in result.layers:
        if r.evaluation is not None:
            continue
        where = r.layer.layers[0].source
        if r.reasons:
            print(f"error: layer {r.name!r} ({where}): no mapping fits on {result.arch.name}; "
                  f"the smallest set of conflicting constraints:", file=sys.stderr)
            for line in r.reasons:
                print(f"  {line}", file=sys.stderr)
        else:
            exist = ("though some exist" if (r.search or {}).get("feasibility_check")
                     == "feasible" else "and the feasibility check could not decide whether "
                     "any exists")
            print(f"error: layer {r.name!r} ({where}): no valid mapping found among those "
                  f"evaluated, {exist}: search longer (--search-size, --time-limit) or use "
                  f"--algorithm optimal", file=sys.stderr)
    return 0 if result.complete else 1


def _map_txt(r, arch) -> str:
    """The layer's mapping as ``mapper model`` and ``mapper search`` print it (map.txt)."""
    from ..report.maptxt import format_map_txt
    ev = r.evaluation
    tiles = {lv.name: {n: ds.utilized_capacity for n, ds in lv.dataspaces.items()}
             for lv in ev.storage}
    return format_map_txt(arch, r.layer.workload, ev.mapping, tiles)


def _mapping_yaml(r, arch) -> str:
    """The layer's problem (our Einsum) and its mapping: a file ``mapper model ARCH`` reads."""
    from ..spec.einsum import format_einsum
    from ..spec.timeloop_writer import dump_yaml, mapping_to_timeloop
    wl = r.layer.workload
    problem = {"name": r.name, "einsum": format_einsum(wl),
               "bounds": {d: int(wl.bounds[d]) for d in wl.dims}}
    return dump_yaml({"problem": problem,
                      "mapping": mapping_to_timeloop(r.evaluation.mapping, arch, wl)})
