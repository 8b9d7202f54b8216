"""``mapper sweep``: a design-space sweep over architectures x networks x batch sizes
(:mod:`mapper.sweep`), resumable: OUTDIR/sweep.db keeps every finished run, and the same
command again reuses them.

Writes OUTDIR/sweep.db (the result store: every searched layer and every run's total),
results.csv (one row per design x network x batch with the full metric set and a ``pareto``
column), pareto.csv, breakdown.csv (energy per inference by level and data space), sweep.json
(the Pareto axes), the figures and index.html. Progress (designs and layer tasks done of
total, stored, failed, elapsed, ETA) goes to stderr on one status line. Exit status: 0 when
every design ran; 1 when any design failed, however many (their rows say why; the message
gives the count); 2 for bad input (nothing written);
130 after Ctrl-C, 143 after SIGTERM, with the finished layers and runs stored and the tables written.
"""
from __future__ import annotations

import argparse
import sys

from .argtypes import positive_int
from .common import stopped_exit_status
from .progress import StatusLine

EXIT_STATUS = ("exit status: 0 when every design ran; 1 when any design failed, however many "
               "(an invalid arch, a layer with no mapping; its row says why, the message gives "
               "the count); 2 for bad input; 130 after "
               "Ctrl-C, 143 after SIGTERM, with the finished layers and runs stored: run the same command "
               "again to go on.")


#: Pareto-optimal runs printed (all are in pareto.csv)
SHOWN = 10


class SweepProgressLine(StatusLine):
    def __call__(self, p) -> None:
        if not self.due() and p.tasks_done < p.tasks:
            return
        eta = "-" if p.eta_s is None else f"{p.eta_s:.0f}s"
        tasks = (f"layer tasks {p.tasks_done}/{p.tasks} ({p.reused} stored)" if p.tasks
                 else "loading the designs")
        self.show(f"[designs {p.designs_done}/{p.designs}, {tasks}, {p.failed} failed] "
                  f"{p.elapsed_s:.0f}s elapsed, ETA {eta}: {p.last}: {p.status}")


def add_parser(sub) -> None:
    s = sub.add_parser("sweep", help="design-space sweep: every design x network x batch of a "
                       "sweep spec, resumable, with the Pareto front",
                       description="Run every (design, network, batch) of a sweep spec "
                       "(examples/sweep/sweep.yaml) as `mapper network` runs it, store each "
                       "result in OUTDIR/sweep.db the moment it is known, and write "
                       "results.csv, pareto.csv, breakdown.csv (energy per inference by "
                       "level and data space), sweep.json (the Pareto axes), figures/ and "
                       "index.html. The same command "
                       "again reuses the "
                       "stored results (also after kill -9 or a changed spec).",
                       epilog=EXIT_STATUS)
    s.add_argument("spec", metavar="SPEC", help="the sweep spec (YAML)")
    s.add_argument("-o", "--output", default="out/sweep", help="output directory (default: "
                   "out/sweep)")
    s.add_argument("--jobs", type=positive_int, default=1, help="runs in parallel (worker "
                   "processes, joblib; default 1)")
    s.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing Dask "
                   "distributed cluster (tcp://host:8786) through joblib's dask backend; "
                   "needs pip install 'dnn-mapper[dask]'")
    s.add_argument("--pareto", metavar="A,B,...", help="the Pareto front's axes, columns of "
                   "results.csv, minimised, throughput and utilization maximised (default "
                   "energy_per_inference_pJ,latency_s,onchip_storage_bytes,area_mm2); when a "
                   "design has no clock, cycles in place of latency_s, inferences_per_s and "
                   "macs_per_s for every design; the axes used are kept in sweep.json and "
                   "named on the page")
    s.add_argument("--cache-dir", metavar="DIR", help="the per-layer cache (default "
                   "$MAPPER_CACHE_DIR or ~/.cache/dnn-mapper, else OUTDIR/.cache)")
    s.add_argument("--no-cache", action="store_true", help="neither read nor write the "
                   "per-layer cache")
    s.add_argument("--no-neighbour-incumbents", action="store_true", help="with algorithm "
                   "optimal, do not start a layer's search from the neighbouring designs' "
                   "optima (the answers are the same; to measure what they save)")
    s.set_defaults(func=cmd_sweep)


def cmd_sweep(args: argparse.Namespace) -> int:
    from ..api import sweep
    from ..report.pareto import axes_text
    from .output_paths import check_output_dir
    check_output_dir(args.output)
    options = {}
    if args.pareto:
        options["pareto_axes"] = [a.strip() for a in args.pareto.split(",") if a.strip()]
    if args.no_cache:
        options["cache_dir"] = None
    elif args.cache_dir:
        options["cache_dir"] = args.cache_dir
    if args.no_neighbour_incumbents:
        options["neighbours"] = False
    progress = SweepProgressLine()
    try:
        result = sweep(args.spec, args.output, jobs=args.jobs, scheduler=args.scheduler,
                       progress=progress, **options)
    finally:
        progress.close()
    for line, designs in result.warnings.items():
        print(f"{line} [{len(designs)} design(s): {designs[0]}"
              + (", ..." if len(designs) > 1 else "") + "]", file=sys.stderr)
    for damaged in result.damaged:
        print(f"warning: {damaged}", file=sys.stderr)
    spec = result.spec
    ok = sum(r["status"] == "ok" for r in result.rows)
    print(f"{len(spec.designs)} designs"
          + (f" ({spec.filtered_out} left out by where)" if spec.filtered_out else "")
          + f" x {len(spec.networks)} network(s) x {len(spec.batches)} batch size(s)"
          + (f" x {len(spec.energy_tables)} energy tables" if spec.energy_tables else "")
          + f": {len(result.rows)} runs, {ok} ok, {result.reused} from the store, "
          f"{result.ran} run now; {result.layers_searched} layers searched, "
          f"{result.layers_reused} reused; {result.wall_s:.1f} s")
    for note in result.pareto_notes:
        print(f"note: {note}", file=sys.stderr)
    front = result.pareto_rows
    if front:
        print(f"Pareto front over {axes_text(result.pareto_axes)} ({len(front)} of "
              f"{len(result.rows)}, in {result.outdir}/pareto.csv)"
              + (f"; the first {SHOWN}:" if len(front) > SHOWN else ":"))
        for r in front[:SHOWN]:
            lat = r["latency_s"]
            print(f"  {r['design']} / {r['network']} / batch {r['batch']}: "
                  f"{r['energy_per_inference_pJ'] * 1e-6:.4g} uJ/inference, "
                  + (f"{lat * 1e3:.4g} ms" if lat is not None else f"{r['cycles']:,} cycles")
                  + f", {r['onchip_storage_bytes'] / 1024:.4g} KiB on chip, {r['pes']} PEs")
    print(f"  wrote {', '.join(result.files)}")
    for design in result.failed_designs:
        why = next(r["reason"] for r in result.rows
                   if r["design"] == design and r["status"] == "failed")
        print(f"error: design {design}: {why}", file=sys.stderr)
    if result.stopped:
        reason = result.stopped_by or "interrupted"
        print(f"{reason}: the finished layers and runs are stored; run the same command "
              f"again to go on", file=sys.stderr)
        return stopped_exit_status(reason) or 130
    if result.failed_designs:
        print(f"{len(result.failed_designs)} of {len(spec.designs)} designs failed",
              file=sys.stderr)
        return 1
    return 0
