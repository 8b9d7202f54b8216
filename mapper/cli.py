"""The ``mapper`` command. Subcommands: ``model`` (evaluate one mapping), ``energy`` (the
architecture's energy and area tables and where each number came from), ``import-onnx`` (an
ONNX model's layers as a network file), ``search`` (cli_search.py), ``network`` (a whole
network, cli_network.py).

Errors in the inputs end with one message naming the file, the YAML path and what was
expected, and exit status 2; an invalid mapping (capacity, fan-out) exits 1. No traceback.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import __version__


def _write_outputs(outdir: Path, files: dict[str, str]) -> None:
    """Write one run's outputs into an output directory (all or none, normal permissions),
    removing the files an earlier run of ours wrote there that this run does not write
    (:mod:`mapper.outputs`); say which were removed or left in place."""
    from .outputs import MANIFEST, write_run_outputs
    done = write_run_outputs(outdir, files)
    if done.removed:
        print(f"note: removed from {outdir} an earlier run's outputs that this run does not "
              f"write: {', '.join(str(p.relative_to(outdir)) for p in done.removed)}",
              file=sys.stderr)
    for path, reason in done.kept:
        print(f"note: {path}: an earlier run's output that this run does not write; left in "
              f"place: {reason} (remove it, or see {outdir / MANIFEST})", file=sys.stderr)


def _write_file(path: str | Path, text: str) -> Path:
    """Write one file (not an output directory) atomically, with normal permissions."""
    from .outputs import write_files
    path = Path(path)
    return write_files(path.parent, {path.name: text})[0]


def _print_notes(spec, energy_details: bool = True) -> None:
    """Ignored input keys, then the energy estimators' warnings and where their details are
    (``energy_details=False`` where the command prints those details itself)."""
    from .energy_tables import DETAILS, warning_lines
    for line in spec.notes.lines():
        print(f"note: {line}", file=sys.stderr)
    for line in warning_lines(spec.energy_warnings, DETAILS if energy_details else None):
        print(line, file=sys.stderr)


def cmd_energy(args: argparse.Namespace) -> int:
    import yaml

    from energy import write_ert

    from . import api
    spec = api.load(args.files, need_mapping=False, need_workload=False,
                    energy_tables=args.energy_tables, overrides=_overrides(args))
    _print_notes(spec, energy_details=False)        # the report below gives them
    print(f"{spec.arch.name}: {spec.energy_source}")
    if spec.energy_report is not None:
        print(spec.energy_report.format())
    else:
        for comp, actions in spec.tables.energy_pJ.items():
            for action, e in actions.items():
                source = spec.tables.source.get((comp, action), "")
                print(f"{comp:<24} {action:<8} {e:.6g} pJ  ({source})")
    if args.output:
        instances = {lv.name: lv.instances for lv in (*spec.arch.storage, spec.arch.compute)}
        text = yaml.safe_dump(write_ert(spec.tables, prefix=spec.arch.name, instances=instances),
                              sort_keys=False)
        out = _write_file(args.output, text)
        print(f"wrote {out} (Accelergy ERT and ART)")
    return 0


def cmd_model(args: argparse.Namespace) -> int:
    from . import api
    from .report.maptxt import format_map_txt
    from .report.stats_txt import format_stats_txt

    spec = api.load(args.files, ert=args.ert, art=args.art, energy_tables=args.energy_tables,
                    overrides=_overrides(args), layer=args.layer)
    if "mapper" in spec.inputs.values:          # search settings: `mapper search` reads them
        from .spec.errors import Where
        Where(spec.inputs.files["mapper"], "mapper", spec.notes).ignore(
            "Timeloop's mapper settings are read by `mapper search`, not by `mapper model`")
    _print_notes(spec)
    ev = api.evaluate(spec)
    broken = api.check(spec)
    tiles = {lv.name: {n: ds.utilized_capacity for n, ds in lv.dataspaces.items()}
             for lv in ev.storage}
    files = {
        "stats.txt": format_stats_txt(spec.arch, spec.workload, ev),
        "map.txt": format_map_txt(spec.arch, spec.workload, ev.mapping, tiles),
        "stats.json": json.dumps(ev.to_json(), indent=1, allow_nan=True) + "\n",
    }
    outdir = Path(args.output)
    _write_outputs(outdir, files)
    status = "valid" if ev.valid and not broken else "INVALID"
    print(f"{spec.workload.name} on {spec.arch.name}: {status}")
    print(f"  cycles       {ev.cycles}")
    print(f"  energy       {ev.energy_pJ / 1e6:.2f} uJ ({ev.energy_pJ / ev.computes:.3f} pJ/MAC; "
          f"leakage {ev.leak_energy_pJ / 1e6:.2f} uJ of it)")
    print(f"  EDP          {ev.edp:.4g} J*cycle")
    print(f"  utilization  {ev.utilization:.2f}")
    print(f"  area         {ev.area_um2 / 1e6:.4f} mm^2" + (
        f" (no area known for {', '.join(ev.area_missing)})" if ev.area_missing else ""))
    print(f"  energy data  {spec.energy_source}" + (
        " (`mapper energy` shows where each number came from)" if spec.energy_report else ""))
    print(f"  wrote        {outdir / 'stats.txt'}, {outdir / 'map.txt'}, {outdir / 'stats.json'}")
    mapping_file = spec.inputs.files.get("mapping", "mapping")
    for v in ev.violations:
        print(f"error: {mapping_file}: mapping: {v}", file=sys.stderr)
    for v in broken:
        print(f"error: {mapping_file}: mapping breaks a constraint: {v}", file=sys.stderr)
    return 1 if ev.violations or broken else 0


def cmd_import_onnx(args: argparse.Namespace) -> int:
    from .network import read_network
    from .onnx_import import import_onnx
    from .spec.errors import SpecError
    from .spec.loader import parse_yaml
    from .templates import parse_set

    dims = parse_set(args.dim).values
    for key, value in dims.items():
        if not isinstance(value, int) or value < 1:
            raise SpecError(f"--dim {key}={value}: expected a positive integer")
    result = import_onnx(args.model, name=args.name, dims=dims)
    out = Path(args.output)
    net = read_network(parse_yaml(result.text, str(out)), str(out), base=out.parent)
    _write_file(out, result.text)
    skipped = ", ".join(f"{op} x{n}" for op, n in result.skipped.most_common()) or "none"
    print(f"{net.name}: {len(net.layers)} layers ({len(net.distinct())} distinct), "
          f"{net.macs / 1e9:.4g} GMACs; wrote {out}")
    print(f"  skipped operators (not layers): {skipped}")
    for line in result.unsupported:
        print(f"warning: not mapped: {line}", file=sys.stderr)
    return 0


def _add_override_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="set",
                   help="set a parameter of the architecture template (repeatable), "
                   "e.g. --set pe_rows=16 --set glb_kb=256")
    p.add_argument("--params", metavar="FILE", help="a YAML file of parameter values "
                   "(pe_rows: 16 ...); --set wins over it")


def _overrides(args: argparse.Namespace):
    from .templates import collect
    return collect(args.set, args.params)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mapper", description="Mapping-space search engine for "
                                "DNN accelerators (Timeloop-compatible analytical model).")
    p.add_argument("--version", action="version", version=f"mapper {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
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
    _add_override_args(m)
    m.set_defaults(func=cmd_model)
    e = sub.add_parser("energy", help="the energy and area tables (ERT/ART) of an architecture",
                       description="Estimate every component's action energies and area, print "
                       "them with the estimator that supplied each number, and optionally write "
                       "them in Accelergy's ERT/ART format.")
    e.add_argument("files", nargs="+", metavar="YAML", help="ARCH.yaml [more YAML files]")
    e.add_argument("--energy-tables", action="append", default=[], metavar="DIR",
                   help="a directory of energy/area table files (repeatable)")
    e.add_argument("-o", "--output", metavar="ERT.yaml", help="write the ERT and ART here")
    _add_override_args(e)
    e.set_defaults(func=cmd_energy)
    o = sub.add_parser("import-onnx", help="an ONNX model's Conv, Gemm and MatMul layers as "
                       "a network YAML", description="Read an ONNX model (needs the onnx "
                       "package: pip install '.[onnx]') and write its Conv, Gemm and MatMul "
                       "layers, with producer/consumer edges, as a network file; every other "
                       "operator is reported by name and count.")
    o.add_argument("model", metavar="MODEL.onnx")
    o.add_argument("-o", "--output", required=True, metavar="NETWORK.yaml")
    o.add_argument("--name", help="the network's name (default: the model file's stem)")
    o.add_argument("--dim", action="append", default=[], metavar="NAME=VALUE",
                   help="give a symbolic (dynamic) input dimension a value, e.g. "
                   "--dim batch_size=1 (repeatable)")
    o.set_defaults(func=cmd_import_onnx)
    from .cli_search import add_parser as add_search_parser
    add_search_parser(sub)
    from .cli_network import add_parser as add_network_parser
    add_network_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        return _run(argv)
    except KeyboardInterrupt:            # anywhere, also while starting up: no traceback
        print("interrupted", file=sys.stderr)
        return 130


def _run(argv: list[str] | None) -> int:
    from energy import EstimationError, TableError

    from .model.cost import EnergyLookupError
    from .search.validity import InvalidResult
    from .spec.errors import SpecError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (SpecError, EnergyLookupError, EstimationError, TableError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except InvalidResult as e:            # a bug of the search, said so without a traceback
        print(f"error: {e}", file=sys.stderr)
        return 3
    except OSError as e:
        print(f"error: {e.filename or ''}: {e.strerror or e}", file=sys.stderr)
        return 2
    except RuntimeError as e:
        workers = sys.modules.get("mapper.search.workers")      # loaded if workers ran
        if workers is None or not isinstance(e, workers.WorkerError):
            raise
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
