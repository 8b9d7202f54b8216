"""The ``mapper`` command: one module per subcommand, each with ``add_parser(sub)`` and its
``cmd_*`` function: ``model`` (evaluate one mapping, model.py), ``energy`` (the architecture's
energy and area tables and where each number came from, energy.py), ``import-onnx`` (an ONNX
model's layers as a network file, import_onnx.py), ``search`` (search.py), ``network`` (a
whole network, network.py). What they share is in common.py.

Errors in the inputs end with one message naming the file, the YAML path and what was
expected, and exit status 2; an invalid mapping (capacity, fan-out) exits 1. No traceback.
"""
from __future__ import annotations

import argparse
import sys

from ..version import __version__
from . import energy, import_onnx, model, network, search

#: the subcommands, in the order ``mapper --help`` lists them
COMMANDS = (model, energy, import_onnx, search, network)


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


def _run(argv: list[str] | None) -> int:
    from energy import EstimationError, TableError

    from ..model.cost import EnergyLookupError
    from ..search.validity import InvalidResult
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
        workers = sys.modules.get("mapper.search.workers")      # loaded if workers ran
        if workers is None or not isinstance(e, workers.WorkerError):
            raise
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
