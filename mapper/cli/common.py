"""What the commands share: the options every command over an architecture takes
(``--set``/``--params``), the options of a search (``mapper search`` and ``mapper network``),
writing outputs, printing the inputs' notes, and the exit status of a run a signal stopped.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .argtypes import nonnegative_int, objective, positive_int, seconds

#: the exit status of a run stopped by a signal, which still wrote its best so far
STOPPED_EXIT = {"interrupted": 130, "terminated": 143}


def stopped_exit_status(stopped_by) -> int | None:
    """130 (Ctrl-C) or 143 (SIGTERM) for a run a signal stopped, else None."""
    return STOPPED_EXIT.get(str(stopped_by))


def add_override_args(p: argparse.ArgumentParser) -> None:
    """``--set KEY=VALUE`` and ``--params FILE``: an architecture template's parameters, a
    Jinja2-templated input's variables, Timeloop's ``variables:``."""
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="set",
                   help="set a parameter (repeatable): of an architecture template (--set "
                   "pe_rows=16), a variable of a Jinja2-templated input (timeloopfe's "
                   "jinja_parse_data: --set architecture=eyeriss_like) or of Timeloop's "
                   "variables: (--set DATAWIDTH=16)")
    p.add_argument("--params", metavar="FILE", help="a YAML file of parameter values "
                   "(pe_rows: 16 ...); --set wins over it")


def overrides_of(args: argparse.Namespace):
    """The template parameters ``--set`` and ``--params`` give (:func:`add_override_args`)."""
    from ..inputs.templates import collect
    return collect(args.set, args.params)


def add_search_options(p: argparse.ArgumentParser, per_layer: bool = False) -> None:
    """The options of a search, shared by ``mapper search`` and ``mapper network`` (where each
    applies to every layer's search)."""
    each = "per layer: " if per_layer else ""
    p.add_argument("--objective", type=objective, help=f"{each}edp (default), energy, delay, "
                   "last_level_accesses, ramped_delay (delay + the first fills and last "
                   "drains of single-buffered levels, docs/EYEXAM.md step 7); 'energy,delay' "
                   "= lexicographic; 'energy:1,delay:0.5' = weighted sum")
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


def write_outputs(outdir: Path, files: dict[str, str | bytes]) -> None:
    """Write one run's outputs into an output directory (all or none, normal permissions),
    removing the files an earlier run of ours wrote there that this run does not write
    (:mod:`mapper.report.outputs`); say which were removed or left in place."""
    from ..report.outputs import MANIFEST, write_run_outputs
    done = write_run_outputs(outdir, files)
    if done.removed:
        print(f"note: removed from {outdir} an earlier run's outputs that this run does not "
              f"write: {', '.join(str(p.relative_to(outdir)) for p in done.removed)}",
              file=sys.stderr)
    for path, reason in done.kept:
        print(f"note: {path}: an earlier run's output that this run does not write; left in "
              f"place: {reason} (remove it, or see {outdir / MANIFEST})", file=sys.stderr)


def write_file(path: str | Path, text: str) -> Path:
    """Write one file (not an output directory) atomically, with normal permissions."""
    from ..report.outputs import write_files
    path = Path(path)
    return write_files(path.parent, {path.name: text})[0]


def print_notes(spec, energy_details: bool = True) -> None:
    """Ignored input keys, then the energy estimators' warnings and where their details are
    (``energy_details=False`` where the command prints those details itself)."""
    from ..inputs.energy_tables import DETAILS, warning_lines
    for line in spec.notes.lines():
        print(f"note: {line}", file=sys.stderr)
    if getattr(spec, "sparsity", None):
        print(f"warning: {spec.sparsity}", file=sys.stderr)
    for line in warning_lines(spec.energy_warnings, DETAILS if energy_details else None):
        print(line, file=sys.stderr)


def layer_metrics_outputs(spec, ev) -> tuple[list[str], dict]:
    """The metric set of one evaluated mapping (:func:`mapper.api.metrics`): the lines
    ``mapper model`` and ``mapper search`` print, and the ``metrics`` and ``setup`` blocks of
    their stats.json (what ``mapper report`` reads)."""
    from .. import api
    from ..report.metrics import format_metrics, setup_record
    clock = api.clock(spec)
    m = api.metrics(spec, ev)
    blocks = {"metrics": m.to_json(),
              "setup": setup_record(spec.arch, clock, spec.energy_source, spec.workload.name)}
    return format_metrics(m, clock), blocks
