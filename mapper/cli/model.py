"""``mapper model``: evaluate one mapping and write stats.txt, map.txt and stats.json."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .common import (add_override_args, layer_metrics_outputs, overrides_of, print_notes,
                     write_outputs)


def add_parser(sub) -> None:
    m = sub.add_parser("model", help="evaluate one mapping: action counts, cycles, energy",
                       description="Evaluate one mapping. Files are merged Timeloop-style: any "
                       "file may hold any of the top-level keys (architecture, problem, "
                       "mapping, ERT, ART).")
    m.add_argument("files", nargs="+", metavar="YAML",
                   help="ARCH.yaml PROBLEM.yaml MAPPING.yaml [more YAML files]")
    m.add_argument("--ert", help="energy reference table (Accelergy ERT YAML)")
    m.add_argument("--art", help="area reference table (Accelergy ART YAML)")
    m.add_argument("--energy-tables", action="append", default=[], metavar="DIR",
                   help="a directory of energy/area table files (repeatable); used for every "
                   "number no ERT/ART file gives")
    m.add_argument("-o", "--output", default="out", help="output directory (default: out)")
    m.add_argument("--layer", metavar="NAME",
                   help="the layer to evaluate, when a file is a layer library (problems/layers)")
    add_override_args(m)
    m.set_defaults(func=cmd_model)


def cmd_model(args: argparse.Namespace) -> int:
    from .. import api
    from ..report.maptxt import format_map_txt
    from ..report.stats_txt import format_stats_txt
    from ..spec.sparse import mark_dense
    from .output_paths import check_output_dir

    check_output_dir(args.output)
    spec = api.load(args.files, ert=args.ert, art=args.art, energy_tables=args.energy_tables,
                    overrides=overrides_of(args), layer=args.layer)
    if "mapper" in spec.inputs.values:          # search settings: `mapper search` reads them
        from ..spec.errors import Where
        Where(spec.inputs.files["mapper"], "mapper", spec.notes).ignore(
            "Timeloop's mapper settings are read by `mapper search`, not by `mapper model`")
    print_notes(spec)
    ev = api.evaluate(spec)
    broken = api.check(spec)
    tiles = {lv.name: {n: ds.utilized_capacity for n, ds in lv.dataspaces.items()}
             for lv in ev.storage}
    lines, blocks = layer_metrics_outputs(spec, ev)
    files = {
        "stats.txt": format_stats_txt(spec.arch, spec.workload, ev, api.clock(spec).cycle_s),
        "map.txt": format_map_txt(spec.arch, spec.workload, ev.mapping, tiles),
        "stats.json": json.dumps({**mark_dense(ev.to_json(), spec.sparsity), **blocks},
                                 indent=1, allow_nan=True) + "\n",
    }
    outdir = Path(args.output)
    write_outputs(outdir, files)
    status = "valid" if ev.valid and not broken else "INVALID"
    print(f"{spec.workload.name} on {spec.arch.name}: {status}")
    print(f"  cycles       {ev.cycles}")
    print(f"  energy       {ev.energy_pJ / 1e6:.2f} uJ ({ev.energy_pJ / ev.computes:.3f} pJ/MAC; "
          f"leakage {ev.leak_energy_pJ / 1e6:.2f} uJ of it)")
    print(f"  EDP          {ev.edp:.4g} J*cycle")
    print("\n".join(lines))
    if spec.sparsity:
        print("  sparsity     not modelled: these are the dense figures (see the warning)")
    print(f"  energy data  {spec.energy_source}" + (
        " (`mapper energy` shows where each number came from)" if spec.energy_report else ""))
    print(f"  wrote        {outdir / 'stats.txt'}, {outdir / 'map.txt'}, {outdir / 'stats.json'}")
    mapping_file = spec.inputs.files.get("mapping", "mapping")
    for v in ev.violations:
        print(f"error: {mapping_file}: mapping: {v}", file=sys.stderr)
    for v in broken:
        print(f"error: {mapping_file}: mapping breaks a constraint: {v}", file=sys.stderr)
    return 1 if ev.violations or broken else 0
