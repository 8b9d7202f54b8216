"""``mapper import-onnx``: an ONNX model's Conv, Gemm and MatMul layers as a network file."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import write_file


def add_parser(sub) -> None:
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


def cmd_import_onnx(args: argparse.Namespace) -> int:
    from ..inputs.templates import parse_set
    from ..network.library import read_network
    from ..network.onnx_import import import_onnx
    from ..spec.errors import SpecError
    from ..spec.loader import parse_yaml
    from .output_paths import check_output_file

    check_output_file(args.output, example="network.yaml")
    dims = parse_set(args.dim).values
    for key, value in dims.items():
        if not isinstance(value, int) or value < 1:
            raise SpecError(f"--dim {key}={value}: expected a positive integer")
    result = import_onnx(args.model, name=args.name, dims=dims)
    out = Path(args.output)
    net = read_network(parse_yaml(result.text, str(out)), str(out), base=out.parent)
    write_file(out, result.text)
    skipped = ", ".join(f"{op} x{n}" for op, n in result.skipped.most_common()) or "none"
    print(f"{net.name}: {len(net.layers)} layers ({len(net.distinct())} distinct), "
          f"{net.macs / 1e9:.4g} GMACs; wrote {out}")
    print(f"  skipped operators (not layers): {skipped}")
    for line in result.unsupported:
        print(f"warning: not mapped: {line}", file=sys.stderr)
    return 0
