"""``mapper report RESULT_DIR [-o report.html]``: one self-contained HTML page with the metric
set of Sze et al. and its figures, for the output directory of ``mapper model``, ``mapper
search``, ``mapper network`` or ``mapper sweep`` (:mod:`mapper.report.page`)."""
from __future__ import annotations

import argparse
from pathlib import Path

from .argtypes import gigabytes_per_second


def add_parser(sub) -> None:
    r = sub.add_parser("report", help="one HTML page with every metric and figure of a result "
                       "directory (mapper model/search/network/sweep)",
                       description="Write one self-contained HTML page (figures embedded) "
                       "with the metric set of Sze et al. (accuracy, throughput and latency, "
                       "energy and power, utilization, cost, the test set-up), its figures "
                       "and the per-layer (or per-design) table with each mapping. Needs "
                       "matplotlib: pip install 'dnn-mapper[report]'.",
                       epilog="exit status: 0 when the page is written; 2 when RESULT_DIR is "
                       "not a result directory of this version of mapper (the message says "
                       "what is missing)")
    r.add_argument("result_dir", metavar="RESULT_DIR",
                   help="the -o directory of mapper model, search, network or sweep")
    r.add_argument("-o", "--output", metavar="HTML",
                   help="the page to write (default: RESULT_DIR/report.html)")
    r.add_argument("--dram-bandwidth", type=gigabytes_per_second, metavar="GBPS",
                   help="an off-chip (DRAM) bandwidth in GB/s to draw on the roofline as a "
                   "roof, converted to bytes/cycle with the arch's clock; the model's cycles "
                   "do not change. Without it (and without a bandwidth in the arch) the "
                   "roofline shows the bandwidth the run needed")
    r.set_defaults(func=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    from .. import api
    out = Path(args.output) if args.output else Path(args.result_dir) / "report.html"
    path = api.write_report(args.result_dir, out, args.dram_bandwidth)
    print(f"wrote {path}")
    return 0
