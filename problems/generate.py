"""Writes problems/layers/*.yaml and problems/networks/*.yaml from the published layer tables.

    python problems/generate.py          # rewrites the files; tests/problems checks they match

The YAML files are what mapper reads; this script is how they were made, kept so that a
reader can check each shape against its paper (the tables below cite them) and so that the
files stay consistent. Conventions (mapper/network/layer_shapes.py): Timeloop's convolution
dimensions, a fully connected layer is a 1x1 convolution, N = 1 (a network's `batch`
multiplies it).
Element-wise operations (ReLU, pooling, residual adds, softmax, normalisation) are not
layers: they cost no MACs. A layer's `inputs` are the nearest layers whose outputs it reads
through them; for a residual add these are the block's last layer and the layer that made
the shortcut.
"""
from __future__ import annotations

import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mapper.network.layer_shapes import (EINSUMS, batched_matmul, conv, conv_out,  # noqa: E402
                                         linear)

ROOT = Path(__file__).resolve().parent


class Net:
    """Collects a network's layer instances and its library of distinct shapes."""

    def __init__(self, name: str):
        self.name = name
        self.shapes: dict[str, dict] = {}        # library name -> problem
        self.keys: dict[tuple, str] = {}         # shape -> library name
        self.entries: list[dict] = []

    def add(self, name: str, problem: dict, inputs: list[str] | None = None) -> str:
        key = (problem["einsum"], tuple(problem["bounds"].items()),
               tuple(problem.get("coefficients", {}).items()))
        if key not in self.keys:
            shape = _shape_name(problem)
            assert shape not in self.shapes, shape
            self.keys[key], self.shapes[shape] = shape, problem
        prev = self.entries[-1] if self.entries else None
        default = [prev["name"]] if prev else []
        entry = {"name": name, "layer": self.keys[key]}
        if inputs is not None and inputs != default:
            entry["inputs"] = inputs
        if prev and prev["layer"] == entry["layer"] and "inputs" not in entry \
                and prev.get("chain", True):
            first = prev.setdefault("first", prev["name"])
            prev["repeat"] = prev.get("repeat", 1) + 1
            prev["name"] = f"{first}..{_suffix(first, name)}"
            return prev["name"]
        self.entries.append(entry)
        return name

    def no_chain(self) -> None:
        """Keep the next identical layer a separate entry (it has other edges)."""
        if self.entries:
            self.entries[-1]["chain"] = False


def _suffix(first: str, last: str) -> str:
    """``last`` without the part it shares with ``first`` (up to a separator)."""
    cut = 0
    for i, (x, y) in enumerate(zip(first, last)):
        if x != y:
            break
        if x in "._":
            cut = i + 1
    return last[cut:]


def _shape_name(p: dict) -> str:
    b, co = p["bounds"], p.get("coefficients", {})
    if p["einsum"] == EINSUMS["batched_matmul"]:
        return f"bmm_g{b['G']}_{b['P']}x{b['C']}x{b['M']}"
    if "G" not in b and b["R"] == b["S"] == b["Q"] == 1 and co.get("Hstride", 1) == 1:
        return f"fc_{b['C']}_{b['M']}" if b["P"] == 1 else f"gemm_{b['P']}x{b['C']}x{b['M']}"
    kind = f"conv{b['R']}x{b['S']}"
    if "G" in b:
        kind = "dw" + kind[4:] if b["C"] == b["M"] == 1 else f"{kind}_g{b['G']}"
        channels = f"{b['G'] * b['C']}_{b['G'] * b['M']}"
    else:
        channels = f"{b['C']}_{b['M']}"
    stride = f"_s{co['Hstride']}" if co.get("Hstride", 1) != 1 else ""
    return f"{kind}_{channels}_{b['P']}{stride}"


# -- the networks -------------------------------------------------------------------------------

def alexnet() -> Net:
    """Krizhevsky, Sutskever, Hinton, NIPS 2012, Fig. 2 (227x227 input as in Caffe's
    bvlc_alexnet; conv2, conv4, conv5 in two groups, the paper's two-GPU split)."""
    n = Net("alexnet")
    n.add("conv1", conv("conv1", 3, 96, 11, 11, 55, 55, stride=(4, 4)))
    n.add("conv2", conv("conv2", 96, 256, 5, 5, 27, 27, groups=2))      # after 3/2 max-pool
    n.add("conv3", conv("conv3", 256, 384, 3, 3, 13, 13))                # after 3/2 max-pool
    n.add("conv4", conv("conv4", 384, 384, 3, 3, 13, 13, groups=2))
    n.add("conv5", conv("conv5", 384, 256, 3, 3, 13, 13, groups=2))
    n.add("fc6", linear("fc6", 256 * 6 * 6, 4096))                       # after 3/2 max-pool
    n.add("fc7", linear("fc7", 4096, 4096))
    n.add("fc8", linear("fc8", 4096, 1000))
    return n


def vgg16() -> Net:
    """Simonyan and Zisserman, ICLR 2015, Table 1 configuration D (3x3 convs, pad 1)."""
    n = Net("vgg16")
    size, c = 224, 3
    for stage, (m, count) in enumerate([(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)], 1):
        for i in range(1, count + 1):
            n.add(f"conv{stage}_{i}", conv(f"conv{stage}_{i}", c, m, 3, 3, size, size))
            c = m
        size //= 2                                                       # 2/2 max-pool
    n.add("fc6", linear("fc6", 512 * 7 * 7, 4096))
    n.add("fc7", linear("fc7", 4096, 4096))
    n.add("fc8", linear("fc8", 4096, 1000))
    return n


def resnet(depth: int) -> Net:
    """He, Zhang, Ren, Sun, CVPR 2016, Table 1; ResNet-50 as torchvision's "v1.5" (the
    stride of a downsampling bottleneck on its 3x3 conv), the implementation most used."""
    n = Net(f"resnet{depth}")
    stages = {18: [2, 2, 2, 2], 50: [3, 4, 6, 3]}[depth]
    bottleneck = depth >= 50
    n.add("conv1", conv("conv1", 3, 64, 7, 7, 112, 112, stride=(2, 2)))
    size, c = 56, 64                                                     # after 3/2 max-pool
    block_in = ["conv1"]                        # nearest layers of the block's input
    for stage, count in enumerate(stages, 1):
        width = 64 * 2 ** (stage - 1)
        out = width * 4 if bottleneck else width
        for b in range(count):
            stride = 2 if b == 0 and stage > 1 else 1
            o = conv_out(size, 3, stride, 1)
            p = f"layer{stage}.{b}"
            if bottleneck:
                n.add(f"{p}.conv1", conv(f"{p}.conv1", c, width, 1, 1, size, size), block_in)
                n.add(f"{p}.conv2", conv(f"{p}.conv2", width, width, 3, 3, o, o,
                                         stride=(stride, stride)))
                last = n.add(f"{p}.conv3", conv(f"{p}.conv3", width, out, 1, 1, o, o))
            else:
                n.add(f"{p}.conv1", conv(f"{p}.conv1", c, width, 3, 3, o, o,
                                         stride=(stride, stride)), block_in)
                last = n.add(f"{p}.conv2", conv(f"{p}.conv2", width, out, 3, 3, o, o))
            n.no_chain()
            if stride != 1 or c != out:
                shortcut = n.add(f"{p}.downsample", conv(f"{p}.downsample", c, out, 1, 1, o, o,
                                                         stride=(stride, stride)), block_in)
                n.no_chain()
                block_in = [last, shortcut]
            else:
                block_in = [last, block_in[0]]
            size, c = o, out
    n.add("fc", linear("fc", c, 1000), block_in)                        # after global pool
    return n


def resnet18() -> Net:
    return resnet(18)


def resnet50() -> Net:
    return resnet(50)


resnet18.__doc__ = resnet50.__doc__ = resnet.__doc__


def mobilenet_v2() -> Net:
    """Sandler, Howard, Zhu, Zhmoginov, Chen, CVPR 2018, Table 2 (width 1.0, 224x224):
    expansion t, output channels c, repeats n, first stride s per bottleneck sequence."""
    n = Net("mobilenet_v2")
    n.add("conv1", conv("conv1", 3, 32, 3, 3, 112, 112, stride=(2, 2)))
    size, c, block_in, k = 112, 32, ["conv1"], 0
    for t, out, count, first_stride in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2),
                                        (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                                        (6, 320, 1, 1)]:
        for i in range(count):
            stride = first_stride if i == 0 else 1
            o = conv_out(size, 3, stride, 1)
            hidden, p = c * t, f"block{k}"
            inputs = block_in
            if t != 1:
                n.add(f"{p}.expand", conv(f"{p}.expand", c, hidden, 1, 1, size, size), inputs)
                inputs = None
            n.add(f"{p}.depthwise", conv(f"{p}.depthwise", hidden, hidden, 3, 3, o, o,
                                         stride=(stride, stride), groups=hidden), inputs)
            last = n.add(f"{p}.project", conv(f"{p}.project", hidden, out, 1, 1, o, o))
            n.no_chain()
            block_in = [last, block_in[0]] if stride == 1 and c == out else [last]
            size, c, k = o, out, k + 1
    n.add("conv_last", conv("conv_last", c, 1280, 1, 1, size, size), block_in)
    n.add("classifier", linear("classifier", 1280, 1000))              # after global pool
    return n


def bert_base() -> Net:
    """Devlin et al., NAACL 2019 (BERT-base: 12 layers, hidden 768, 12 heads, FFN 3072);
    the encoder of Vaswani et al. 2017. Sequence length is the parameter `seq`; embeddings,
    softmax, normalisation and the pooler are not layers (no MACs or negligible)."""
    n = Net("bert_base")
    d, heads, ffn, layers = 768, 12, 3072, 12
    dh = d // heads
    x = []                                      # nearest layers of the encoder's input
    for layer in range(layers):
        p = f"layer{layer}"
        for proj in ("q", "k", "v"):
            n.add(f"{p}.{proj}_proj", linear(f"{p}.{proj}_proj", d, d, rows="seq"), x)
            n.no_chain()
        n.add(f"{p}.scores", batched_matmul(f"{p}.scores", "seq", dh, "seq", heads),
              [f"{p}.q_proj", f"{p}.k_proj"])
        n.add(f"{p}.context", batched_matmul(f"{p}.context", "seq", "seq", dh, heads),
              [f"{p}.scores", f"{p}.v_proj"])
        n.add(f"{p}.out_proj", linear(f"{p}.out_proj", d, d, rows="seq"))
        n.add(f"{p}.ffn1", linear(f"{p}.ffn1", d, ffn, rows="seq"), [f"{p}.out_proj", *x[:1]])
        n.add(f"{p}.ffn2", linear(f"{p}.ffn2", ffn, d, rows="seq"))
        n.no_chain()
        x = [f"{p}.ffn2", f"{p}.out_proj"]
    return n


NETWORKS = {
    "alexnet": (alexnet, "Krizhevsky et al., NIPS 2012", "724M MACs (Sze et al., Proc. IEEE "
                "2017, Table 3: conv 666M + FC 58.6M)", {}),
    "vgg16": (vgg16, "Simonyan & Zisserman, ICLR 2015, configuration D",
              "15.5G MACs (Sze et al., Proc. IEEE 2017, Table 3); torchvision 15.47 GFLOPS", {}),
    "resnet18": (resnet18, "He et al., CVPR 2016, Table 1",
                 "1.8 GFLOPs (multiply-adds, He et al. Table 1); torchvision 1.81 GFLOPS", {}),
    "resnet50": (resnet50, "He et al., CVPR 2016, Table 1; torchvision v1.5",
                 "4.09 GFLOPS (multiply-adds, torchvision resnet50 v1.5); 3.8-3.9G for v1 "
                 "(He et al. Table 1; Sze et al. Table 3)", {}),
    "mobilenet_v2": (mobilenet_v2, "Sandler et al., CVPR 2018, Table 2",
                     "300M multiply-adds (Sandler et al., Table 4 and Fig. 5)", {}),
    "bert_base": (bert_base, "Devlin et al., NAACL 2019 (BERT-base encoder)",
                  "12 x (12 d^2 seq + 2 d seq^2) MACs for d = 768 (Kaplan et al. 2020, "
                  "Table 1, forward pass per token: 2N + 2 n_layer n_ctx d_attn FLOPs)",
                  {"seq": 128}),
}


# -- writing ------------------------------------------------------------------------------------

def _flow(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return str(value)


def render(key: str) -> tuple[str, str]:
    build, source, macs, params = NETWORKS[key]
    net = build()
    doc = (build.__doc__ or "").strip()
    head = [f"# {net.name}: {line}" if i == 0 else f"# {line.strip()}"
            for i, line in enumerate(doc.splitlines())]
    size = ["# " + line for line in textwrap.wrap(f"Published size: {macs}.", 92)]
    lib = [*head, *size,
           "# Written by problems/generate.py; our Einsum format (mapper/spec/einsum.py), batch 1.",
           f"source: \"{source}\"", "einsums:"]
    used = {p["einsum"] for p in net.shapes.values()}
    anchors = {text: kind for kind, text in EINSUMS.items() if text in used}
    lib += [f"  {kind}: &{kind} \"{text}\"" for text, kind in anchors.items()]
    lib.append("layers:")
    for shape, p in net.shapes.items():
        body = {"einsum": f"*{anchors[p['einsum']]}", "bounds": p["bounds"]}
        if p.get("coefficients"):
            body["coefficients"] = p["coefficients"]
        lib.append(f"  {shape}: {_flow(body)}")
    netf = [*head, *size,
            "# Written by problems/generate.py. Element-wise operations (activations, pooling,",
            "# residual adds, softmax, normalisation) are not layers; `inputs` name the nearest",
            "# layers a layer reads through them.",
            "network:", f"  name: {net.name}", f"  source: \"{source}\"",
            f"  parameters: {_flow({'batch': 1, **params})}",
            f"  library: ../layers/{key}.yaml", "  layers:"]
    for e in net.entries:
        netf.append("    - " + _flow({k: v for k, v in e.items() if k not in ("chain", "first")}))
    return "\n".join(lib) + "\n", "\n".join(netf) + "\n"


def main(check: bool = False) -> list[str]:
    """Write (or, with ``check``, compare) every file; returns the names that differ."""
    differ = []
    for key in NETWORKS:
        lib, netf = render(key)
        for path, text in ((ROOT / "layers" / f"{key}.yaml", lib),
                           (ROOT / "networks" / f"{key}.yaml", netf)):
            if check:
                if not path.exists() or path.read_text() != text:
                    differ.append(str(path))
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
    return differ


if __name__ == "__main__":
    main()
