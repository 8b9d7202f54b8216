"""The ``mapper`` command: one module per subcommand, each with ``add_parser(sub)`` and its
``cmd_*`` function: ``model`` (evaluate one mapping, model.py), ``energy`` (the architecture's
energy and area tables and where each number came from, energy.py), ``import-onnx`` (an ONNX
model's layers as a network file, import_onnx.py), ``search`` (search.py), ``network`` (a
whole network, network.py), ``sweep`` (a design-space sweep, sweep.py), ``report`` (one HTML
page of a result directory, report.py), ``eyexam`` (the seven Eyexam bounds, eyexam.py). What they share is in common.py.

Errors in the inputs end with one message naming the file, the YAML path and what was
expected, and exit status 2; an invalid mapping (capacity, fan-out) exits 1. No traceback.
"""
from __future__ import annotations

import argparse
import sys

from ..version import __version__
from . import energy, eyexam, import_onnx, model, network, report, search, sweep

#: the subcommands, in the order ``mapper --help`` lists them
COMMANDS = (model, energy, import_onnx, search, network, sweep, eyexam, report)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mapper", description="Mapping-space search engine for "
                                "DNN accelerators (Timeloop-compatible analytical model).")
    p.add_argument("--version", action="version", version=f"mapper {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        return _run(argv)
    except KeyboardInterrupt:            # anywhere, also while starting up: no traceback
        print("interrupted", file=sys.stderr)
        return 130
    except RecursionError:
        print("error: the inputs are nested too deeply to read", file=sys.stderr)
        return 2
    except MemoryError:
        print("error: out of memory: the inputs are too large", file=sys.stderr)
        return 2
    except Exception as e:               # a bug: said so in one line (MAPPER_DEBUG=1: traceback)
        import os
        from pathlib import Path
        if os.environ.get("MAPPER_DEBUG"):
            raise
        where = ""
        tb = e.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        if tb is not None:
            where = f" ({Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno})"
        print(f"internal error: {type(e).__name__}: {e}{where}; this is a bug of mapper, "
              f"please report it with the command and its input files (MAPPER_DEBUG=1 shows "
              f"the traceback)", file=sys.stderr)
        return 3


def _run(argv: list[str] | None) -> int:
    from energy import EstimationError, TableError

    from ..model.cost import EnergyLookupError
    from ..mapsearch.validity import InvalidResult
    from ..spec.errors import SpecError

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
        workers = sys.modules.get("mapper.mapsearch.workers")      # loaded if workers ran
        if workers is None or not isinstance(e, workers.WorkerError):
            raise
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
