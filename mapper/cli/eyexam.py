"""``mapper eyexam``: the seven Eyexam bounds of a layer (or of every layer of a network) on an
architecture (Sze et al., Table II, Fig. 6).

Writes OUTDIR/eyexam.json, eyexam.txt (the table it prints) and eyexam.png (the steps on a
roofline; needs matplotlib, ``pip install 'mapper[report]'``); for a network, eyexam.json
holds every distinct layer, eyexam.txt one row per layer then each layer's table, and
figures/<layer>.png one figure per layer. The work is :mod:`mapper.eyexam`.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .argtypes import gigabytes_per_second, nonnegative_int, positive_int, seconds
from .common import (add_override_args, overrides_of, print_notes, stopped_exit_status,
                     write_outputs)

EXIT_STATUS = ("exit status: 0 when every bound was computed; 2 for bad input, including a "
               "layer no mapping fits (with CP-SAT's explanation), a --dram-bandwidth on an "
               "arch without a clock (rejected before any search) and a --dram-bandwidth "
               "without matplotlib to draw it (the bounds are still written); 130 after Ctrl-C (143 "
               "after SIGTERM) during step 6's or 7's search, with the best mappings so far "
               "written and marked not proven.")


def add_parser(sub) -> None:
    e = sub.add_parser("eyexam", help="the seven Eyexam performance bounds of a layer or a "
                       "network (Sze et al.)",
                       description="Eyexam (Sze et al., 'How to Evaluate Deep Neural Network "
                       "Processors', Table II): the bound on MACs/cycle after each of seven "
                       "constraints (layer shape, dataflow, number of PEs, physical "
                       "dimensions, storage capacity, data bandwidth, varying access "
                       "patterns), each an optimum (CP-SAT, or the search with objective "
                       "delay, then ramped_delay, algorithm optimal). Files are merged as by "
                       "mapper search; with --network, FILES are the arch inputs only.",
                       epilog=EXIT_STATUS)
    e.add_argument("files", nargs="+", metavar="FILE",
                   help="ARCH [PROBLEM.yaml] [CONSTRAINTS.yaml] [MAPPER.yaml] [more]")
    e.add_argument("--layer", metavar="NAME", help="the layer, when a file is a layer "
                   "library; with --network, only this layer of the network (repeatable "
                   "as NAME,NAME)")
    e.add_argument("--network", metavar="NAME", help="a network file or a bundled network's "
                   "name (resnet18): every distinct layer")
    e.add_argument("--jobs", type=positive_int, help="worker processes of the searches of "
                   "steps 6 and 7 (default 1)")
    e.add_argument("--time-limit", type=seconds, metavar="S", help="stop each of the "
                   "searches of steps 6 and 7 after S seconds (per layer); its bound is then "
                   "marked not proven")
    e.add_argument("--search-size", type=positive_int, help="random evaluations per job of "
                   "the search's first phase (default 200000)")
    e.add_argument("--seed", type=nonnegative_int, help="random seed (default 0)")
    e.add_argument("--ert", help="energy reference table (Accelergy ERT YAML)")
    e.add_argument("--art", help="area reference table (Accelergy ART YAML)")
    e.add_argument("--energy-tables", action="append", default=[], metavar="DIR",
                   help="a directory of energy/area table files (repeatable)")
    e.add_argument("--dram-bandwidth", type=gigabytes_per_second, metavar="GBPS",
                   help="an off-chip (DRAM) bandwidth in GB/s to draw on the roofline figure "
                   "as a roof, converted to bytes/cycle with the arch's clock; the bounds do "
                   "not change. Without it (and without a bandwidth in the arch) the figure "
                   "shows the bandwidth step 6's mapping needed")
    e.add_argument("-o", "--output", default="out", help="output directory (default: out)")
    add_override_args(e)
    e.set_defaults(func=cmd_eyexam)


def _figure(result, name: str, files: dict, dram_bandwidth: float | None) -> bool:
    """Add the figure to ``files``; False (and a message) when it cannot be drawn: matplotlib
    missing (a --dram-bandwidth without a clock is rejected before the search). The rest is
    still written."""
    from ..eyexam.outputs import figure_png
    from ..spec.errors import SpecError
    try:
        files[name] = figure_png(result, dram_bandwidth)
    except SpecError as e:
        print(f"note: {e}; {name} not written", file=sys.stderr)
        return False
    return True


def cmd_eyexam(args: argparse.Namespace) -> int:
    from .. import api
    from ..eyexam.outputs import format_network_table, format_table, to_json_text
    from ..report.roofline import user_roof
    from .output_paths import check_output_dir

    check_output_dir(args.output)
    out = Path(args.output)
    files: dict[str, str | bytes] = {}
    if args.network:
        only = [n for n in args.layer.split(",") if n] if args.layer else None
        if args.dram_bandwidth is not None:         # before any search: needs the clock
            user_roof(args.dram_bandwidth, api.network_clock(
                args.files, args.network, overrides=overrides_of(args),
                energy_tables=args.energy_tables, ert=args.ert, art=args.art).cycle_s)
        result = api.eyexam_network(
            args.files, args.network, overrides=overrides_of(args), jobs=args.jobs,
            time_limit=args.time_limit, search_size=args.search_size, seed=args.seed,
            only=only, energy_tables=args.energy_tables, ert=args.ert, art=args.art,
            progress=lambda p: print(f"  [{p.done}/{p.total}] {p.layer}: {p.seconds:.1f} s",
                                     file=sys.stderr, flush=True))
        text = format_network_table(result.layers, result.counts) + "\n" + "\n".join(
            format_table(r) for r in result.layers)
        files["eyexam.json"] = to_json_text(result)
        stopped_by = next((r.stopped_by for r in result.layers if r.stopped_by), None)
        drawn = [_figure(r, f"figures/{name}.png", files, args.dram_bandwidth)
                 for r, name in zip(result.layers, result.file_names)]
    else:
        spec = api.load(args.files, ert=args.ert, art=args.art, need_mapping=False,
                        energy_tables=args.energy_tables, overrides=overrides_of(args),
                        layer=args.layer)
        print_notes(spec)
        if args.dram_bandwidth is not None:         # before the search: needs the clock
            user_roof(args.dram_bandwidth, api.clock(spec).cycle_s)
        result = api.eyexam(spec, jobs=args.jobs, time_limit=args.time_limit,
                            search_size=args.search_size, seed=args.seed)
        text = format_table(result)
        stopped_by = result.stopped_by
        files["eyexam.json"] = to_json_text(result)
        drawn = [_figure(result, "eyexam.png", files, args.dram_bandwidth)]
    files["eyexam.txt"] = text
    write_outputs(out, files)
    print(text, end="")
    print(f"  wrote {', '.join(str(out / n) for n in sorted(files))}")
    if stopped_by is not None:
        print(f"{stopped_by}: steps 6 and 7 are the best mappings so far (not proven)",
              file=sys.stderr)
        return stopped_exit_status(stopped_by) or 0
    # a --dram-bandwidth the figure could not draw (no matplotlib) is bad input: the bounds
    # are written (one without a clock was rejected before the search)
    return 0 if all(drawn) or args.dram_bandwidth is None else 2
