"""Network files: the forms of `layer`, parameters, and one clear error per mistake."""
from __future__ import annotations

from pathlib import Path

import pytest

from mapper.network import load_network
from mapper.spec.errors import SpecError
from mapper.inputs.templates import parse_set

ROOT = Path(__file__).resolve().parents[2]
EINSUM = ROOT / "tests" / "data" / "spec" / "resnet18_conv3x3_7.einsum.yaml"
CONV = "Outputs[n,m,p] += Weights[m,c] * Inputs[n,c,p]"


def write(tmp_path, network: str, library: str | None = None) -> Path:
    if library is not None:
        (tmp_path / "lib.yaml").write_text(library)
    path = tmp_path / "net.yaml"
    path.write_text(network)
    return path


LIB = f"""
layers:
  a: {{einsum: "{CONV}", bounds: {{N: 1, M: 8, C: 4, P: width}}}}
  b: {{einsum: "{CONV}", bounds: {{N: 1, M: 4, C: 8, P: width}}}}
"""


def test_library_file_inline_and_single_problem_forms(tmp_path):
    path = write(tmp_path, f"""
network:
  name: tiny
  parameters: {{batch: 2, width: 10}}
  library: lib.yaml
  layers:
    - {{name: first, layer: a}}
    - {{name: second, layer: lib.yaml#b, repeat: 3}}
    - {{name: third, layer: {EINSUM}, inputs: [first, second]}}
    - {{name: fourth, problem: {{einsum: "{CONV}", bounds: {{N: 1, M: 2, C: 2, P: 2 * width}}}},
       inputs: []}}
    - {{layer: a, bounds: {{P: width + 1}}}}
""", LIB)
    n = load_network(path)
    assert [layer.name for layer in n.layers] == ["first", "second", "third", "fourth", "a"]
    assert n.layers[0].workload.bounds == {"N": 2, "M": 8, "C": 4, "P": 10}
    assert n.layers[1].repeat == 3 and n.layers[1].inputs == ("first",)
    assert n.layers[1].source.endswith("lib.yaml#b")
    assert n.layers[2].workload.bounds["N"] == 2 and n.layers[2].workload.bounds["C"] == 512
    assert n.layers[3].workload.bounds["P"] == 20 and n.layers[3].inputs == ()
    assert n.layers[4].workload.bounds["P"] == 11 and n.layers[4].inputs == ("fourth",)
    assert n.macs == 2 * (8 * 4 * 10 + 3 * 4 * 8 * 10 + 512 * 512 * 9 * 49 + 2 * 2 * 20
                          + 8 * 4 * 11)
    assert sorted(n.graph.edges) == [("first", "second"), ("first", "third"),
                                     ("fourth", "a"), ("second", "third")]
    wide = load_network(path, parse_set(["width=20", "batch=1"]))
    assert wide.layers[0].workload.bounds == {"N": 1, "M": 8, "C": 4, "P": 20}
    assert wide.parameters == {"batch": 1, "width": 20}


NET = """
network:
  parameters: {{width: 10}}
  library: lib.yaml
  layers:
{layers}
"""


@pytest.mark.parametrize("layers, message", [
    ("    - {layer: nope.yaml#a}",
     r"net\.yaml: network\.layers\[0\]\.layer: layer file 'nope\.yaml' not found"),
    ("    - {layer: c}",
     r"net\.yaml: network\.layers\[0\]\.layer: no layer 'c' in lib\.yaml; it has 2 layers: a, b"),
    ("    - {layer: lib.yaml#aa}", r"no layer 'aa' in lib\.yaml \(did you mean 'a'\?\)"),
    ("    - {layer: lib.yaml#}", r"expected FILE#NAME with a layer name after '#'"),
    ("    - {layer: lib.yaml}", r"lib\.yaml holds no 'problem' \(a single layer\); for a library"),
    ("    - {name: x, layer: a}\n    - {name: x, layer: b}",
     r"network\.layers\[1\]\.name: layer name 'x' is used twice"),
    ("    - {name: x, layer: a}\n    - {layer: b, inputs: [y]}",
     r"network\.layers\[1\]\.inputs\[0\]: no earlier layer named 'y'"),
    ("    - {name: x, layer: a, inputs: [z]}\n    - {name: z, layer: b}",
     r"network\.layers\[0\]\.inputs\[0\]: no earlier layer named 'z'"),
    ("    - {layer: a, problem: {}}", r"network\.layers\[0\]: expected exactly one of 'layer'"),
    ("    - {name: x}", r"network\.layers\[0\]: expected exactly one of 'layer'"),
    ("    - {layer: a, repeat: 0}", r"network\.layers\[0\]\.repeat: expected an integer >= 1"),
    ("    - {layer: a, repeats: 2}", r"unknown key 'repeats' \(did you mean 'repeat'\?\)"),
    ("    - {layer: a, bounds: {K: 3}}",
     r"network\.layers\[0\]\.bounds\.K: the layer has no dimension 'K'; its dimensions are"),
    ("    - {layer: a, bounds: {P: widht}}",
     r"network\.layers\[0\]\.bounds\.P: 'widht' is not a number: 'widht' is not a parameter"),
    ("    - {problem: {einsum: 'Outputs[n] += Inputs[n, k]', bounds: {N: 1}}}",
     r"network\.layers\[0\]\.problem\.einsum: the term 'k' holds no dimension"),
])
def test_mistakes_name_the_file_and_field(tmp_path, layers, message):
    path = write(tmp_path, NET.format(layers=layers), LIB)
    with pytest.raises(SpecError, match=message):
        load_network(path)


def test_errors_inside_a_library_name_the_library(tmp_path):
    path = write(tmp_path, NET.format(layers="    - {layer: a}"),
                 f'layers:\n  a: {{einsum: "{CONV}", bounds: {{N: 1, M: 0, C: 4, P: 2}}}}\n')
    with pytest.raises(SpecError, match=r"lib\.yaml: layers\.a\.bounds\.M: expected an integer "
                                        r">= 1, got 0"):
        load_network(path)
    (tmp_path / "lib.yaml").write_text("layerz: {}\n")
    with pytest.raises(SpecError, match=r"lib\.yaml: unknown key 'layerz'"):
        load_network(path)


@pytest.mark.parametrize("overrides, message", [
    ({"batch": 0}, r"network\.parameters\.batch: expected an integer >= 1, got 0 "
                   r"\(overrides: batch\)"),
    (parse_set(["widht=3"]), r"network\.parameters: unknown parameter 'widht' \(--set widht=3\)"
                             r"; did you mean 'width'\?"),
    ({"width": "wide"}, r"parameter width = 'wide' \(overrides: width\): expected a number"),
])
def test_parameter_errors(tmp_path, overrides, message):
    path = write(tmp_path, NET.format(layers="    - {layer: a}"), LIB)
    with pytest.raises(SpecError, match=message):
        load_network(path, overrides)


def test_batch_dim_names_the_dimension_batch_multiplies(tmp_path):
    lib = 'layers:\n  g: {einsum: "Z[m,n] += A[m,k] * B[k,n]", bounds: {M: 2, N: 3, K: 4}}\n'
    net = NET.format(layers="    - {layer: g}").replace("{width: 10}", "{width: 10, batch: 2}")
    path = write(tmp_path, net.replace("library: lib.yaml", "library: lib.yaml\n  batch_dim: B"),
                 lib)
    with pytest.raises(SpecError, match=r"lib\.yaml: layers\.g: the layer has no batch "
                                        r"dimension 'B' to multiply by batch = 2"):
        load_network(path)
    assert load_network(path, {"batch": 1}).layers[0].workload.bounds == {"M": 2, "N": 3, "K": 4}
    path = write(tmp_path, net.replace("library: lib.yaml", "library: lib.yaml\n  batch_dim: M"))
    assert load_network(path).layers[0].workload.bounds == {"M": 4, "N": 3, "K": 4}


@pytest.mark.parametrize("text, message", [
    ("layers: []", r"net\.yaml: expected a top-level key 'network'"),
    ("network: {layers: []}", r"network\.layers: expected at least one layer"),
    ("network: {layers: [], nam: x}", r"unknown key 'nam' \(did you mean 'name'\?\)"),
    ("network: {layers: [{layer: a}]}\nextra: 1", r"net\.yaml: extra: unknown top-level key"),
])
def test_malformed_network_files(tmp_path, text, message):
    with pytest.raises(SpecError, match=message):
        load_network(write(tmp_path, text))


def test_missing_network_file(tmp_path):
    with pytest.raises(SpecError, match="file not found"):
        load_network(tmp_path / "none.yaml")


def test_load_network_accepts_a_bundled_name_like_the_command(tmp_path, monkeypatch):
    by_name = load_network("resnet18", {"batch": 2})
    by_file = load_network(ROOT / "problems" / "networks" / "resnet18.yaml", {"batch": 2})
    assert by_name.file == by_file.file and by_name.name == "resnet18"
    assert by_name.macs == by_file.macs == 2 * 1_814_073_344
    monkeypatch.chdir(tmp_path)              # a file in the working directory wins
    (tmp_path / "resnet18").write_text(f"network:\n  name: mine\n  layers:\n"
                                       f"    - {{name: x, layer: {EINSUM}}}\n")
    assert load_network("resnet18").name == "mine"
    with pytest.raises(SpecError) as e:
        load_network("resnet19")
    assert "no bundled network of that name (did you mean 'resnet18'?)" in str(e.value)
    assert "bundled networks: " in str(e.value) and "bert_base" in str(e.value)
