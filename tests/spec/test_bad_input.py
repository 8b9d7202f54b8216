"""Every malformed input gets one SpecError naming the file, the YAML path and what was
expected; accepted-but-unmodelled Timeloop keys are noted, never dropped silently."""
import copy
from pathlib import Path

import pytest

from mapper.spec import Notes, SpecError, Where, load_yaml, read_arch, read_workload
from mapper.spec.loader import parse_yaml

DATA = Path(__file__).parents[1] / "data" / "spec"
GEMM = {"einsum": "Z[m,n] += A[m,k] * B[k,n]", "bounds": {"M": 4, "N": 4, "K": 4}}


def error(read, text: str, file: str = "bad.yaml") -> SpecError:
    with pytest.raises(SpecError) as info:
        read(parse_yaml(text, file), Where(file, ""))
    return info.value


def check(e: SpecError, path: str | None, *phrases: str, file: str = "bad.yaml") -> None:
    assert e.file == file, str(e)
    assert e.path == path, str(e)
    for phrase in phrases:
        assert phrase in e.message, str(e)
    assert str(e).startswith(f"{file}: {path}: " if path else f"{file}: ")


def workload_error(problem: dict) -> SpecError:
    with pytest.raises(SpecError) as info:
        read_workload({"problem": problem}, Where("bad.yaml"))
    return info.value


def arch_error(arch: dict, key: str = "arch") -> SpecError:
    with pytest.raises(SpecError) as info:
        read_arch({key: arch}, Where("bad.yaml"))
    return info.value


# --- YAML itself --------------------------------------------------------------------------

def test_yaml_syntax_error_names_file_line_and_column(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("problem:\n  bounds: {M: 4\n  einsum: x\n")
    with pytest.raises(SpecError) as info:
        load_yaml(path)
    assert info.value.file == str(path) and "invalid YAML at line 3" in info.value.message


def test_duplicate_yaml_key():
    with pytest.raises(SpecError) as info:
        parse_yaml("problem:\n  bounds: {M: 4, M: 8}\n", "dup.yaml")
    assert info.value.file == "dup.yaml" and "duplicate key 'M'" in info.value.message


# --- our Einsum format ----------------------------------------------------------------------

@pytest.mark.parametrize("change, path, phrases", [
    ({"einsun": "x"}, "problem", ("unknown key 'einsun'", "did you mean 'einsum'")),
    ({"bounds": None}, "problem.bounds", ("expected a mapping",)),
    ({"bounds": [4, 4]}, "problem.bounds", ("expected a mapping", "got a list")),
    ({"bounds": {"M": 0, "N": 4, "K": 4}}, "problem.bounds.M", ("integer >= 1", "got 0")),
    ({"bounds": {"M": -3, "N": 4, "K": 4}}, "problem.bounds.M", ("integer >= 1", "got -3")),
    ({"bounds": {"M": "four", "N": 4, "K": 4}}, "problem.bounds.M",
     ("expected an integer", "'four'")),
    ({"bounds": {"M": 4, "N": 4, "K": 4, "m": 2}}, "problem.bounds.m",
     ("given twice", "case-insensitive")),
    ({"bounds": {"M": 4, "N": 4}}, "problem.einsum", ("'k' holds no dimension",)),
    ({"bounds": {"M": 4, "N": 4, "K": 4, "B": 2}}, "problem.bounds.B",
     ("indexes no tensor",)),
    ({"einsum": "Z[m,n] += A[m,k] * A[k,n]"}, "problem.einsum", ("'A' appears twice",)),
    ({"einsum": "Z[m,n] = A[m,k] * B[k,n]"}, "problem.einsum",
     ("unexpected character '='", "write 'Out[...] += In", "column 8")),
    ({"einsum": "Z[m,n] += A[m,k] * B[k,n-1]"}, "problem.einsum", ("no minus",)),
    ({"einsum": "Z[m,n] += A[m*k] * B[k,n]"}, "problem.einsum", ("two dimensions",)),
    ({"einsum": "Z[m,n] += A[m,k] * B[k,n"}, "problem.einsum", ("expected ',' or ']'",)),
    ({"einsum": 42}, "problem.einsum", ("expected a non-empty string",)),
    ({"coefficients": {"Hstride": 2}}, "problem.coefficients.Hstride", ("never used",)),
    ({"coefficients": {"k": 2}}, "problem.coefficients.k", ("is a dimension",)),
    ({"coefficients": {"s": -1}, "einsum": "Z[m,n] += A[m,k] * B[k*s,n]"},
     "problem.coefficients.s", ("integer >= 0",)),
    ({"data_spaces": []}, "problem", ("exactly one of 'einsum'",)),
])
def test_einsum_errors(change, path, phrases):
    check(workload_error({**GEMM, **change}), path, *phrases)


def test_einsum_missing_bounds_and_missing_einsum():
    check(workload_error({"einsum": GEMM["einsum"]}), "problem", "missing required key 'bounds'")
    check(workload_error({"bounds": GEMM["bounds"]}), "problem", "exactly one of 'einsum'")


@pytest.mark.parametrize("spaces, path, phrases", [
    ([{"name": "A", "ranks": ["m", "k"]}], "problem.data_spaces",
     ("exactly one data space with output: true", "found 0")),
    ([{"name": "A", "ranks": ["m", "k"], "output": True},
      {"name": "Z", "ranks": ["m", "n", "k"], "output": True}], "problem.data_spaces",
     ("found 2", "A, Z")),
    ([{"name": "A", "ranks": ["m", "x"]}, {"name": "Z", "ranks": ["m", "n", "k"], "output": True}],
     "problem.data_spaces[0].ranks[1]", ("'x' holds no dimension",)),
    ([{"name": "A", "ranks": ["m", 3]}, {"name": "Z", "ranks": ["m", "n", "k"], "output": True}],
     "problem.data_spaces[0].ranks[1]", ("expected a rank expression",)),
    ([{"name": "A", "rank": ["m"]}], "problem.data_spaces[0]",
     ("unknown key 'rank'", "did you mean 'ranks'")),
    ([{"name": "A", "ranks": ["m", "k"], "output": "yes"}], "problem.data_spaces[0].output",
     ("true or false",)),
])
def test_explicit_data_space_errors(spaces, path, phrases):
    check(workload_error({"bounds": GEMM["bounds"], "data_spaces": spaces}), path, *phrases)


# --- Timeloop problems ----------------------------------------------------------------------

def reference_problem() -> dict:
    return copy.deepcopy(load_yaml(DATA / "resnet18_conv3x3_7.yaml")["problem"])


@pytest.mark.parametrize("edit, path, phrases", [
    (lambda p: p["instance"].update(C=0), "problem.instance.C", ("integer >= 1",)),
    (lambda p: p["instance"].pop("M"), "problem.instance", ("missing the bound of dimension 'M'",)),
    (lambda p: p["instance"].update(Wstrid=2), "problem.instance.Wstrid",
     ("neither a dimension", "nor a coefficient")),
    (lambda p: p["shape"]["data-spaces"][0]["projection"][0][0].__setitem__(0, "X"),
     "problem.shape.data-spaces[0].projection[0][0][0]", ("unknown dimension 'X'",)),
    (lambda p: p["shape"]["data-spaces"][1].update(name="Weights"),
     "problem.shape.data-spaces[1].name", ("'Weights' is given twice",)),
    (lambda p: p["shape"]["data-spaces"][2].update({"read-write": False}),
     "problem.shape.data-spaces", ("exactly one data space with read-write: true",)),
    (lambda p: p["shape"]["dimensions"].append("C"), "problem.shape.dimensions",
     ("not unique",)),
    (lambda p: p.update(shape="gemm"), "problem.shape", ("not built in", "give the shape inline")),
])
def test_timeloop_problem_errors(edit, path, phrases):
    problem = reference_problem()
    edit(problem)
    check(workload_error(problem), path, *phrases)


def test_unrecognised_problem_form_suggests_keys():
    check(workload_error({"bound": {"M": 4}, "einsom": "x"}), "problem",
          "cannot tell which problem format", "'bounds'", "'einsum'")


def test_timeloop_keys_we_do_not_model_are_noted():
    notes = Notes()
    problem = reference_problem()
    problem["instance"]["densities"] = {"Weights": 0.5}
    problem["shape"]["data-spaces"][0]["format"] = "CSR"
    read_workload({"problem": problem}, Where("p.yaml", "", notes))
    noted = {path: why for (_, path), why in notes.ignored.items()}
    assert "sparse densities are not modelled" in noted["problem.instance.densities"]
    assert "problem.shape.data-spaces[0].format" in noted


# --- our architecture format ----------------------------------------------------------------

def own_eyeriss() -> dict:
    return copy.deepcopy(load_yaml(DATA / "eyeriss_like.own.yaml")["arch"])


@pytest.mark.parametrize("edit, path, phrases", [
    (lambda a: a["levels"][1].update(dept=4), "arch.levels[1]",
     ("unknown key 'dept'", "did you mean 'depth'")),
    (lambda a: a["levels"][1].update(datawidth=8), "arch.levels[1].datawidth",
     ("in this format it is word_bits",)),
    (lambda a: a["levels"][4].update(meshX=14), "arch.levels[4].meshX",
     ("fanout: [X, Y] on the level above",)),
    (lambda a: a["levels"][4].pop("depth"), "arch.levels[4]",
     ("missing 'depth'", "only the outermost level may be unbounded")),
    (lambda a: a["levels"][4].pop("word_bits"), "arch.levels[4]",
     ("missing required key 'word_bits'",)),
    (lambda a: a["levels"][4].update(depth="twelve"), "arch.levels[4].depth",
     ("expected an integer", "'twelve'")),
    (lambda a: a["levels"][4].update(depth=0), "arch.levels[4].depth", ("integer >= 1",)),
    (lambda a: a["levels"][4].update(width=20), "arch.levels[4].width",
     ("not a multiple of word_bits 8",)),
    (lambda a: a["levels"][4].update(block_size=4), "arch.levels[4].width",
     ("disagrees with block_size 4",)),
    (lambda a: a["levels"][2].update(depth=1), "arch.levels[2].depth",
     ("dummy level holds no data", "remove 'depth'")),
    (lambda a: a["levels"][2].update(fanout=[14, 1, 1]), "arch.levels[2].fanout",
     ("expected [X, Y]",)),
    (lambda a: a["levels"][3].update(fanout=[1, 0]), "arch.levels[3].fanout[1]",
     ("integer >= 1",)),
    (lambda a: a["levels"][4].update(bandwidth={"reed": 2}), "arch.levels[4].bandwidth",
     ("unknown key 'reed'", "did you mean 'read'")),
    (lambda a: a["levels"][5].update(name="ifmap_spad"), "arch.levels[5].name",
     ("'ifmap_spad' is used twice", "arch.levels[4]")),
    (lambda a: a["compute"].update(name="psum_spad"), "arch.compute.name",
     ("also a storage level",)),
    (lambda a: a.pop("compute"), "arch", ("missing required key 'compute'",)),
    (lambda a: a.update(levels=[]), "arch.levels", ("at least one storage level",)),
    (lambda a: a["levels"][1].update(depth="glb_depht"), "arch.levels[1].depth",
     ("expected an integer", "'glb_depht'")),
])
def test_own_arch_errors(edit, path, phrases):
    arch = own_eyeriss()
    edit(arch)
    check(arch_error(arch), path, *phrases)


# --- Timeloop architectures -----------------------------------------------------------------

def v03_eyeriss() -> dict:
    return copy.deepcopy(load_yaml(DATA / "eyeriss_like.v03.yaml")["architecture"])


def test_v03_mesh_that_does_not_match_the_instances():
    arch = v03_eyeriss()
    arch["subtree"][0]["local"][4]["attributes"]["meshX"] = 5       # ifmap_spad, 168 PEs
    check(arch_error(arch, "architecture"), "architecture.subtree[0].local[4]",
          "meshX*meshY", "168 instances")


def test_v03_mesh_that_does_not_divide_the_level_below():
    arch = v03_eyeriss()
    arch["subtree"][0]["local"][3]["attributes"]["meshX"] = 4       # inter_PE_spatial[1..14]
    arch["subtree"][0]["local"][3]["attributes"]["meshY"] = 1
    arch["subtree"][0]["local"][3]["name"] = "inter_PE_spatial[1..4]"
    check(arch_error(arch, "architecture"), "architecture.subtree[0].local[3]",
          "does not divide the mesh 14x12")
    # pricing the components alone (mapper energy) needs no layout: a note, as in Accelergy
    notes = Notes()
    built = read_arch({"architecture": arch}, Where("bad.yaml", notes=notes), check_layout=False)
    assert [lv.mesh_x for lv in built.storage if lv.name == "inter_PE_spatial"] == [4]
    [line] = [n for n in notes.lines() if "does not divide" in n]
    assert line.startswith("bad.yaml: ignored meshX (mesh 4x1 does not divide the mesh 14x12")
    assert "architecture.subtree[0].local[3].attributes.meshX" in line


def test_v03_duplicate_component_and_unknown_class():
    arch = v03_eyeriss()
    arch["subtree"][0]["local"][5]["name"] = "ifmap_spad[1..168]"
    check(arch_error(arch, "architecture"), "architecture.subtree[0].local[5]",
          "'ifmap_spad' is used twice")
    arch = v03_eyeriss()
    arch["subtree"][0]["local"][1]["class"] = "smart_bufer"     # Timeloop would drop it
    check(arch_error(arch, "architecture"), "architecture.subtree[0].local[1].class",
          "'smart_bufer' is not one Timeloop recognises")


V04_HEAD = ("architecture:\n  nodes:\n"
            "  - !Component {name: DRAM, class: DRAM, attributes: {width: 8, datawidth: 8}}\n")
MAC = "  - !Component {name: mac, class: intmac}\n"


@pytest.mark.parametrize("body, path, phrases", [
    ("  - {name: buf, class: SRAM}\n" + MAC, "architecture.nodes[1]",
     ("expected a node tagged", "untagged")),
    ("  - !Container {name: pe, spatial: {meshx: 4}}\n" + MAC,
     "architecture.nodes[1].spatial.meshx", ("unknown key 'meshx'", "did you mean 'meshX'")),
    ("  - !Container {name: pe, spatial: {meshX: 0}}\n" + MAC,
     "architecture.nodes[1].spatial.meshX", ("integer >= 1",)),
    ("  - !Parallel\n    nodes:\n    - !Container {name: pe, spatial: {meshX: 2}}\n" + MAC,
     "architecture.nodes[1].nodes[0]", ("inside !Parallel",)),
    (MAC + "  - !Component {name: buf, class: SRAM, attributes: {depth: 4, datawidth: 8}}\n",
     "architecture.nodes[1]", ("'mac' is not the innermost",)),
    ("  - !Component {name: buf, class: SRAM, attributes: {depth: 4, datawidth: 8}}\n",
     "architecture.nodes[1]", ("innermost component 'buf' has the storage class",)),
    ("  - !Component {name: buf, class: SRAM, attributes: {datawidth: 8}}\n" + MAC,
     "architecture.nodes[1]", ("missing attribute 'depth'",)),
    ("  - !Component {name: DRAM, class: SRAM, attributes: {depth: 4, datawidth: 8}}\n" + MAC,
     "architecture.nodes[1]", ("'DRAM' is used twice",)),
    ("  - !Component {name: buf, class: buffer_thing}\n" + MAC,
     "architecture.nodes[1].class", ("not one Timeloop recognises",)),
    ("  - !Component {name: buf, class: SRAM, constraints: [1]}\n" + MAC,
     "architecture.nodes[1].constraints", ("expected a mapping",)),
])
def test_v04_errors(body, path, phrases):
    check(error(read_arch, V04_HEAD + body), path, *phrases)


def test_unrecognised_arch_form():
    check(arch_error({"level": []}), "arch", "cannot tell which architecture format",
          "did you mean 'levels'")
