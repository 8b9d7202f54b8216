"""argparse types for the numeric options: a bad value is a usage error naming the option's
expectation (exit 2), never a traceback from deep inside a run."""
from __future__ import annotations

import argparse
import math


def _int_at_least(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            shown = repr(text) if value is None else value
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {shown}")
        return value
    parse.__name__ = f"integer >= {minimum}"
    return parse


#: jobs, search sizes, batch sizes
positive_int = _int_at_least(1)
#: seeds
nonnegative_int = _int_at_least(0)


def seconds(text: str) -> float:
    """A positive, finite number of seconds (time limits)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {text!r}")
    return value


def gigabytes_per_second(text: str) -> float:
    """A positive, finite bandwidth in GB/s (``--dram-bandwidth``)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a bandwidth in GB/s > 0, got {text!r}")
    return value


def objective(text: str):
    """``--objective``: read by the one parser of an objective's text form; what does not
    parse is a usage error saying what was expected."""
    from ..mapsearch.objective import parse_objective_text
    from ..spec.errors import SpecError
    try:
        return parse_objective_text(text)
    except SpecError as e:
        raise argparse.ArgumentTypeError(e.message) from None
