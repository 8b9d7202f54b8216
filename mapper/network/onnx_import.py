"""ONNX model -> network YAML (mapper/network/library.py), for ``mapper import-onnx``.

Conv (2-D, any groups, strides, dilations, pads), Gemm and MatMul (a weight matrix, or a
batched product of two activations) become layers in our Einsum format through
:mod:`mapper.network.layer_shapes`; every other operator is skipped and *counted by name*,
so the caller can say what was left out. Producer/consumer edges follow the tensors through the
skipped operators (a residual Add gives its consumer both operands' producers).
Shapes come from ONNX shape inference; a dimension that stays symbolic or unknown is an
error naming the node, the tensor and the dimension (``dims`` fixes symbolic ones by name).
The ``onnx`` package is an optional extra: ``pip install 'dnn-mapper[onnx]'``.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ..spec.errors import SpecError
from .layer_shapes import EINSUMS, batched_matmul, conv, conv_out, linear

MAPPED = ("Conv", "Gemm", "MatMul")


@dataclass
class ImportResult:
    """The network file's text and what the import did."""

    text: str
    layers: list[dict] = field(default_factory=list)    # {name, problem, inputs}
    skipped: Counter = field(default_factory=Counter)   # op type -> count
    unsupported: list[str] = field(default_factory=list)  # mapped ops that could not be

    @property
    def macs(self) -> int:
        total = 0
        for layer in self.layers:
            n = 1
            for v in layer["problem"]["bounds"].values():
                n *= v
            total += n
        return total


def _onnx():
    try:
        import onnx
    except ImportError:
        raise SpecError("ONNX import needs the onnx package: pip install 'dnn-mapper[onnx]' "
                        "(or pip install onnx)") from None
    return onnx


def import_onnx(path: str | Path, name: str | None = None,
                dims: Mapping[str, int] | None = None) -> ImportResult:
    """Read an ONNX model and return the network YAML text with the import's report."""
    onnx = _onnx()
    path = Path(path)
    file = str(path)
    if not path.is_file():
        raise SpecError("file not found", file)
    try:
        model = onnx.load(str(path))
    except Exception as e:  # noqa: BLE001 - protobuf raises several kinds
        raise SpecError(f"cannot read as an ONNX model: {e.__class__.__name__}: {e}", file) \
            from None
    _fix_dims(model, dict(dims or {}), file)
    try:
        model = onnx.shape_inference.infer_shapes(model)
    except Exception as e:  # noqa: BLE001
        raise SpecError(f"ONNX shape inference failed: {e}", file) from None
    graph = model.graph
    shapes = _shapes(graph)
    weights = {t.name for t in graph.initializer}
    producer = {out: node for node in graph.node for out in node.output}
    result = ImportResult("")
    names: dict[int, str] = {}          # id(node) -> layer name
    used: set[str] = set()
    for i, node in enumerate(graph.node):
        if node.op_type not in MAPPED:
            result.skipped[node.op_type] += 1
            continue
        where = f"graph.node[{i}] ({node.op_type} {node.name!r})"
        layer_name = _unique(node.name or f"{node.op_type.lower()}_{i}", used)
        problem = _layer(node, layer_name, shapes, weights, file, where)
        if isinstance(problem, str):
            result.unsupported.append(f"{where}: {problem}")
            result.skipped[node.op_type] += 1
            continue
        names[id(node)] = layer_name
        result.layers.append({"name": layer_name, "problem": problem, "node": node})
    if not result.layers:
        raise SpecError("the model has no Conv, Gemm or MatMul that maps to a layer; "
                        f"operators: {_counts(result.skipped)}", file)
    nearest = _Nearest(producer, names, weights)
    for layer in result.layers:
        node = layer.pop("node")
        inputs = [t for t in node.input[:2] if t and t not in weights]
        layer["inputs"] = sorted({p for t in inputs for p in nearest(t)},
                                 key=[x["name"] for x in result.layers].index)
    net_name = name or path.stem
    opset = ", ".join(f"{o.domain or 'ai.onnx'} {o.version}" for o in model.opset_import)
    producer_name = model.producer_name or "unknown producer"
    result.text = _render(net_name, f"ONNX model {path.name} ({producer_name}; opset {opset})",
                          result)
    return result


def _fix_dims(model, dims: dict[str, int], file: str) -> None:
    """Give symbolic input dimensions the values in ``dims`` (then shapes can be inferred)."""
    found = set()
    for tensor in model.graph.input:
        for d in tensor.type.tensor_type.shape.dim:
            if d.HasField("dim_param") and d.dim_param in dims:
                found.add(d.dim_param)
                d.dim_value = int(dims[d.dim_param])
    for unknown in set(dims) - found:
        raise SpecError(f"--dim {unknown}: no input of the model has a symbolic dimension "
                        f"named {unknown!r}", file)


def _shapes(graph) -> dict[str, list]:
    """Tensor name -> dims (int, or the symbolic name, or None when unknown)."""
    out: dict[str, list] = {}
    for info in (*graph.input, *graph.value_info, *graph.output):
        t = info.type.tensor_type
        if t.HasField("shape"):
            out[info.name] = [d.dim_value if d.HasField("dim_value") else
                              (d.dim_param or None) for d in t.shape.dim]
    for init in graph.initializer:
        out[init.name] = list(init.dims)
    return out


def _shape(name: str, shapes: dict, file: str, where: str, role: str) -> list[int]:
    if name not in shapes:
        raise SpecError(f"{where}: the shape of {role} {name!r} is unknown (shape inference "
                        f"could not find it); export the model with static shapes", file)
    dims = shapes[name]
    for k, d in enumerate(dims):
        if not isinstance(d, int) or d <= 0:
            what = f"the dynamic dimension {d!r}" if isinstance(d, str) else \
                "an unknown dimension"
            fix = f"; fix it with --dim {d}=VALUE" if isinstance(d, str) else ""
            raise SpecError(f"{where}: {role} {name!r} has {what} (dim {k} of {dims}); layers "
                            f"need static shapes{fix}", file)
    return dims


def _attrs(node) -> dict[str, Any]:
    from onnx import helper
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _layer(node, name: str, shapes: dict, weights: set, file: str, where: str):
    """The layer's problem (a dict), or a string saying why this node is not mapped."""
    a = _attrs(node)
    if node.op_type == "Conv":
        x = _shape(node.input[0], shapes, file, where, "input")
        w = _shape(node.input[1], shapes, file, where, "weight")
        if len(x) != 4:
            return f"a {len(x) - 2}-D convolution (only 2-D ones are layers)"
        n, c, h, wd = x
        m, cg, kh, kw = w
        g = a.get("group", 1)
        if cg * g != c:
            raise SpecError(f"{where}: weight {node.input[1]!r} has {cg} input channels per "
                            f"group x {g} groups, but the input has {c} channels", file)
        sh, sw = a.get("strides", [1, 1])
        dh, dw = a.get("dilations", [1, 1])
        out = shapes.get(node.output[0])
        if out and len(out) == 4 and all(isinstance(v, int) and v > 0 for v in out[2:]):
            oh, ow = out[2], out[3]
        else:
            pads = a.get("pads", [0, 0, 0, 0])
            auto = a.get("auto_pad", b"NOTSET")
            auto = auto.decode() if isinstance(auto, bytes) else auto
            if auto in ("SAME_UPPER", "SAME_LOWER"):
                oh, ow = -(-h // sh), -(-wd // sw)
            else:
                oh = conv_out(h + pads[0] + pads[2], kh, sh, 0, dh)
                ow = conv_out(wd + pads[1] + pads[3], kw, sw, 0, dw)
        return conv(name, c, m, kw, kh, ow, oh, n, stride=(sh, sw), dilation=(dh, dw),
                    groups=g)
    if node.op_type == "Gemm":
        ash = _shape(node.input[0], shapes, file, where, "input A")
        bsh = _shape(node.input[1], shapes, file, where, "input B")
        rows, k = (ash[1], ash[0]) if a.get("transA", 0) else (ash[0], ash[1])
        k2, cols = (bsh[1], bsh[0]) if a.get("transB", 0) else (bsh[0], bsh[1])
        if k != k2:
            raise SpecError(f"{where}: inner dimensions differ: A gives {k}, B {k2}", file)
        return linear(name, k, cols, 1, rows)
    ash = _shape(node.input[0], shapes, file, where, "input A")
    bsh = _shape(node.input[1], shapes, file, where, "input B")
    if len(ash) < 2 or len(bsh) < 2:
        return "a matrix-vector product (1-D operand); not mapped"
    if ash[-1] != bsh[-2]:
        raise SpecError(f"{where}: inner dimensions differ: A {ash}, B {bsh}", file)
    k, cols = bsh[-2], bsh[-1]
    if len(bsh) == 2 or all(v == 1 for v in bsh[:-2]):
        # one matrix for all rows: a linear layer; the first row dimension is the batch
        lead = ash[:-1]
        rows = 1
        for v in lead[1:]:
            rows *= v
        return linear(name, k, cols, rows, lead[0])
    batch_a, batch_b = ash[:-2], bsh[:-2]
    if list(batch_a) != list(batch_b):
        return (f"a batched product with broadcast batch dimensions (A {ash}, B {bsh}); "
                f"not mapped")
    n, g = batch_a[0], 1
    for v in batch_a[1:]:
        g *= v
    return batched_matmul(name, ash[-2], k, cols, g, n)


class _Nearest:
    """The mapped layers whose outputs reach a tensor through skipped operators."""

    def __init__(self, producer: dict, names: dict[int, str], weights: set[str]):
        self.producer, self.names, self.weights = producer, names, weights
        self.memo: dict[str, frozenset[str]] = {}

    def __call__(self, tensor: str) -> frozenset[str]:
        stack, order = [tensor], []
        while stack:                       # iterative: deep graphs would overflow recursion
            t = stack.pop()
            if t in self.memo or t in order:
                continue
            order.append(t)
            node = self.producer.get(t)
            if node is not None and id(node) not in self.names:
                stack += [i for i in node.input if i and i not in self.weights]
        for t in reversed(order):
            node = self.producer.get(t)
            if node is None:
                self.memo[t] = frozenset()
            elif id(node) in self.names:
                self.memo[t] = frozenset({self.names[id(node)]})
            else:
                self.memo[t] = frozenset().union(*(self.memo.get(i, frozenset())
                                                   for i in node.input
                                                   if i and i not in self.weights))
        return self.memo[tensor]


def _unique(name: str, used: set[str]) -> str:
    out, k = name, 1
    while out in used:
        k += 1
        out = f"{name}_{k}"
    used.add(out)
    return out


def _counts(counter: Counter) -> str:
    return ", ".join(f"{op} x{n}" for op, n in counter.most_common()) or "none"


def _render(name: str, source: str, result: ImportResult) -> str:
    """The network file: one flow-style entry per layer, each Einsum string written once."""
    anchors = {text: kind for kind, text in EINSUMS.items()}
    seen: set[str] = set()
    lines = [f"# {name}: imported by `mapper import-onnx` from {source}.",
             f"# {len(result.layers)} layers; skipped operators (no MACs mapped): "
             f"{_counts(result.skipped)}."]
    lines += [f"# not mapped: {u}" for u in result.unsupported]
    lines += ["# N is the model's batch; `batch` multiplies it.", "network:",
              f"  name: {json.dumps(name)}", f"  source: {json.dumps(source)}",
              "  parameters: {batch: 1}", "  layers:"]
    for layer in result.layers:
        p = layer["problem"]
        kind = anchors[p["einsum"]]
        einsum = f"*{kind}" if kind in seen else f"&{kind} {json.dumps(p['einsum'])}"
        seen.add(kind)
        body = [f"einsum: {einsum}", "bounds: {" + ", ".join(f"{k}: {v}" for k, v in
                                                             p["bounds"].items()) + "}"]
        if p.get("coefficients"):
            body.append("coefficients: {" + ", ".join(f"{k}: {v}" for k, v in
                                                      p["coefficients"].items()) + "}")
        inputs = ", ".join(json.dumps(i) for i in layer["inputs"])
        lines.append(f"    - {{name: {json.dumps(layer['name'])}, problem: {{{', '.join(body)}}},"
                     f" inputs: [{inputs}]}}")
    return "\n".join(lines) + "\n"
