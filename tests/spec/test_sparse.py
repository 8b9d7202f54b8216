"""Sparseloop designs load, and one warning says that sparsity is ignored and what that means
for the figures; outputs say they are dense. Never a crash, never dense presented as sparse."""
import json

from mapper import api
from mapper.cli import main
from tests.exercises import DESIGNS, needs_exercises

ARCH = """architecture:
  version: 0.4
  nodes:
  - !Container {name: PE, attributes: {technology: 45nm}}
  - !Component
    name: Buffer
    class: storage
    subclass: regfile
    attributes: {depth: 64, width: 8, datawidth: 8, metadata_storage_depth: 16}
    sparse_optimizations:
      action_optimization:
      - {type: gating, options: [{target: B, condition_on: [A]}]}
  - !Component {name: mac, class: intmac, attributes: {datawidth: 8}}
"""
PROBLEM = """problem:
  version: 0.4
  shape:
    name: DotProduct
    dimensions: [K]
    data_spaces:
    - {name: A, projection: [[[K]]]}
    - {name: B, projection: [[[K]]]}
    - {name: Z, projection: [], read_write: true}
  instance:
    K: 16
    densities: {A: {distribution: fixed_structured, density: 0.25}}
"""
MAPPING = """mapping:
- {target: Buffer, type: temporal, factors: K=16, permutation: K}
"""


def write(tmp_path, **texts):
    out = []
    for name, text in texts.items():
        (tmp_path / f"{name}.yaml").write_text(text)
        out.append(str(tmp_path / f"{name}.yaml"))
    return out


def test_a_sparse_design_says_once_what_is_ignored(tmp_path, capsys):
    files = write(tmp_path, arch=ARCH, problem=PROBLEM, map=MAPPING)
    spec = api.load(files)
    note = spec.sparsity
    assert "sparse_optimizations (Buffer)" in note and "metadata attributes (Buffer)" in note
    assert "tensor densities (A 0.25)" in note and "dense" in note
    assert not any("sparse" in line for line in spec.notes.lines())   # said once, not per key
    assert main(["model", *files, "-o", str(tmp_path / "out")]) == 0
    err = capsys.readouterr()
    assert err.err.count("sparsity is not modelled") == 1
    assert "sparsity     not modelled: these are the dense figures" in err.out
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    assert stats["sparsity"]["modelled"] is False and stats["sparsity"]["figures"] == "dense"
    # the dense figures: every one of the 16 A, B values is read, 16 MACs
    assert stats["computes"] == 16


def test_a_dense_design_says_nothing(tmp_path):
    dense = PROBLEM.replace("    densities: {A: {distribution: fixed_structured, density: 0.25}}\n",
                            "")
    arch = ARCH.replace(", metadata_storage_depth: 16", "").replace(
        "    sparse_optimizations:\n      action_optimization:\n"
        "      - {type: gating, options: [{target: B, condition_on: [A]}]}\n", "")
    spec = api.load(write(tmp_path, arch=arch, problem=dense, map=MAPPING))
    assert spec.sparsity is None
@needs_exercises
def test_every_sparseloop_example_design_loads_and_says_so():
    for design in sorted((DESIGNS / "sparseloop").iterdir()):
        spec = api.load([DESIGNS / "top.yaml.jinja2"], need_mapping=False,
                        overrides={"architecture": f"sparseloop/{design.name}"})
        api.search_settings(spec)
        if "DUDU" in design.name:       # dense-uncompressed operands: the dense baseline
            assert spec.sparsity is None
        else:
            assert spec.sparsity and "dense" in spec.sparsity, design.name
