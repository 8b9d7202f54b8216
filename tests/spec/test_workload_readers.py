"""Workload readers: our Einsum format, Timeloop v0.4 and Timeloop's legacy cnn-layer forms."""
import dataclasses
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mapper.spec import Notes, SpecError, Where, Workload, load_yaml, read_workload
from mapper.spec.einsum import format_einsum, read_einsum
from mapper.spec.timeloop_problem import read_problem_v04
from mapper.spec.workload import DataSpace

DATA = Path(__file__).parents[1] / "data" / "spec"


def read(name: str, notes: Notes | None = None) -> Workload:
    path = DATA / name
    return read_workload(load_yaml(path), Where(str(path), "", notes))


def einsum(text: str, bounds: dict, **extra) -> Workload:
    return read_einsum({"einsum": text, "bounds": bounds, **extra}, Where("t.yaml", "problem"))


def unnamed(w: Workload) -> Workload:
    """The workload without rank names (Timeloop files do not name ranks)."""
    spaces = tuple(dataclasses.replace(ds, rank_names=()) for ds in w.data_spaces)
    return dataclasses.replace(w, data_spaces=spaces)


def geometry(w: Workload) -> dict:
    """Each data space's ranks as a set, with coefficient values: equal for the same layer
    written with ranks in another order."""
    return {ds.name: (ds.read_write, frozenset(frozenset(r) for r in ds.ranks))
            for ds in w.data_spaces}


# --- our Einsum format against Timeloop's files -------------------------------------------

def test_einsum_conv_equals_the_timeloop_v04_problem():
    ours = read("resnet18_conv3x3_7.einsum.yaml")
    ref = read("resnet18_conv3x3_7.yaml")
    assert unnamed(ours) == ref
    assert ours.data_space("Inputs").rank_names == (
        "N", "C", "R*Wdilation+P*Wstride", "S*Hdilation+Q*Hstride")
    assert ours.macs == ref.macs == 512 * 512 * 9 * 49


def test_einsum_conv_in_paper_order_is_the_same_layer():
    ref = read("resnet18_conv3x3_7.yaml")
    ours = einsum("Outputs[n,m,p,q] += Weights[m,c,r,s] * "
                  "Inputs[n,c,q*Hstride+s*Hdilation,p*Wstride+r*Wdilation]",
                  {"N": 1, "M": 512, "C": 512, "P": 7, "Q": 7, "R": 3, "S": 3})
    assert geometry(ours) == geometry(ref)
    assert set(ours.dims) == set(ref.dims) and ours.bounds == ref.bounds
    for ds in ref.data_spaces:
        assert ours.tensor_size(ours.data_space(ds.name)) == ref.tensor_size(ds)
    assert ours.tensor_size(ours.data_space("Inputs")) == 512 * 9 * 9


def test_strided_einsum_matches_the_strided_timeloop_problem():
    ref = read("strided_conv3x3_28.yaml")
    ours = einsum("Outputs[n,m,q,p] += Weights[c,m,r,s] * "
                  "Inputs[n,c,r*Wdilation+p*Wstride,s*Hdilation+q*Hstride]",
                  {"C": 64, "M": 128, "R": 3, "S": 3, "N": 1, "P": 28, "Q": 28},
                  coefficients={"Wstride": 2, "Hstride": 2})
    assert unnamed(dataclasses.replace(ours, name=ref.name)) == ref
    # Timeloop's instance says W = H = 57 = 2 * (28 - 1) + 3.
    assert ours.tensor_size(ours.data_space("Inputs")) == 64 * 57 * 57


def test_explicit_data_spaces_equal_the_einsum_string():
    bounds = {"N": 1, "M": 8, "C": 4, "P": 5, "Q": 5, "R": 3, "S": 3}
    one = einsum("Outputs[n,m,p,q] += Weights[m,c,r,s] * Inputs[n,c,2*p+r,q*Hs+s]", bounds,
                 coefficients={"Hs": 2}, name="conv")
    two = read_einsum({"name": "conv", "bounds": bounds, "coefficients": {"Hs": 2},
                       "data_spaces": [
                           {"name": "Outputs", "ranks": ["n", "m", "p", "q"], "output": True},
                           {"name": "Weights", "ranks": ["m", "c", "r", "s"]},
                           {"name": "Inputs", "ranks": ["n", "c", "2*p + r", "q*Hs + s"]}]},
                      Where("t.yaml", "problem"))
    assert one == two
    assert one.ds_names == ("Weights", "Inputs", "Outputs")


# --- the layer kinds the format must express ----------------------------------------------

def test_gemm():
    w = einsum("Z[m,n] += A[m,k] * B[k,n]", {"M": 128, "N": 256, "K": 64})
    assert w.dims == ("M", "N", "K") and w.macs == 128 * 256 * 64
    assert w.output.name == "Z" and w.ds_names == ("A", "B", "Z")
    np.testing.assert_array_equal(w.data_space("A").projection(w.dims), [[1, 0, 0], [0, 0, 1]])
    assert [w.tensor_size(ds) for ds in w.data_spaces] == [128 * 64, 64 * 256, 128 * 256]
    assert w.coefficients == {}


def test_batched_matmul():
    w = einsum("Z[b,m,n] += A[b,m,k] * B[b,k,n]", {"B": 12, "M": 64, "N": 64, "K": 32})
    assert w.data_space("B").dims() == {"B", "K", "N"}
    assert w.macs == 12 * 64 * 64 * 32


def test_depthwise_conv():
    w = einsum("Outputs[n,c,p,q] += Weights[c,r,s] * Inputs[n,c,p+r,q+s]",
               {"N": 1, "C": 32, "P": 14, "Q": 14, "R": 3, "S": 3})
    assert w.data_space("Weights").dims() == {"C", "R", "S"}
    assert w.tensor_size(w.data_space("Inputs")) == 32 * 16 * 16
    assert w.macs == 32 * 14 * 14 * 9


def test_grouped_conv():
    w = einsum("Outputs[n,g,m,p,q] += Weights[g,m,c,r,s] * Inputs[n,g,c,p+r,q+s]",
               {"N": 1, "G": 4, "M": 16, "C": 8, "P": 7, "Q": 7, "R": 3, "S": 3})
    inputs = w.data_space("Inputs")
    assert inputs.ranks[3] == (("P", 1), ("R", 1))
    assert w.tensor_size(inputs) == 4 * 8 * 9 * 9
    assert w.footprint(inputs, {**w.bounds, "P": 2, "R": 1, "Q": 1, "S": 1}) == 4 * 8 * 2


def test_dilated_strided_coefficients_multiply():
    w = einsum("Y[p] += X[3*p*St + 2*r] * F[r]", {"P": 4, "R": 3}, coefficients={"St": 2})
    assert w.data_space("X").ranks == ((("P", 6), ("R", 2)),)
    assert w.coefficients == {"St": 2}


def test_names_are_case_insensitive_and_keep_the_bounds_spelling():
    w = einsum("Z[M,n] += A[m,K]*B[k,N]", {"M": 2, "n": 3, "K": 4})
    assert w.dims == ("M", "n", "K")
    assert w.output.ranks == ((("M", 1),), (("n", 1),))
    c = einsum("Y[p] += X[p*HSTRIDE+r] * F[r]", {"P": 4, "R": 3}, coefficients={"Hstride": 2})
    assert c.coefficients == {"Hstride": 2} and c.data_space("X").ranks[0][0] == ("P", 2)


def test_undeclared_coefficients_default_to_one():
    w = einsum("Y[p] += X[p*Wstride+r*Wdilation] * F[r]", {"P": 4, "R": 3})
    assert w.coefficients == {"Wstride": 1, "Wdilation": 1}


def test_scalar_output():
    w = einsum("Z[] += A[k] * B[k]", {"K": 100})
    assert w.output.ranks == () and w.tensor_size(w.output) == 1


# --- Timeloop's legacy forms --------------------------------------------------------------

CNN = {"R": 3, "S": 3, "P": 7, "Q": 7, "C": 64, "K": 32, "N": 2}
CNN_EINSUM = ("Outputs[n,k,q,p] += Weights[c,k,r,s] * "
              "Inputs[n,c,r*Wdilation+p*Wstride,s*Hdilation+q*Hstride]")


def test_v02_cnn_layer_is_timeloops_built_in_shape():
    w = read_workload({"shape": {"name": "CNN-Layer"}, **CNN, "Wstride": 2},
                      Where("old.yaml", "problem"))
    assert w.dims == ("R", "S", "P", "Q", "C", "K", "N")       # Timeloop's order
    assert w.ds_names == ("Weights", "Inputs", "Outputs")
    assert w.output.ranks == ((("N", 1),), (("K", 1),), (("Q", 1),), (("P", 1),))
    assert w.coefficients == {"Wstride": 2, "Hstride": 1, "Wdilation": 1, "Hdilation": 1}
    ours = einsum(CNN_EINSUM, CNN, coefficients={"Wstride": 2}, name="CNN-Layer")
    assert unnamed(ours) == w


def test_cnn_layer_by_name_or_by_default():
    notes = Notes()
    named = read_workload({"shape": "cnn-layer", "instance": CNN}, Where("a.yaml", "problem"))
    assert read_workload({"shape": "cnn_layer.yaml", "instance": CNN},
                         Where("a.yaml", "problem")) == named
    unshaped = read_workload(dict(CNN), Where("b.yaml", "problem", notes))
    assert unshaped == named
    assert "cnn-layer shape is assumed" in notes.ignored[("b.yaml", "problem.shape")]


def test_inline_shape_with_bounds_at_top_level():
    ref = load_yaml(DATA / "resnet18_conv3x3_7.yaml")["problem"]
    flat = {"shape": ref["shape"], **{k: v for k, v in ref["instance"].items()}}
    assert read_workload(flat, Where("x.yaml", "problem")) == read("resnet18_conv3x3_7.yaml")


def test_timeloop_rank_names_are_read():
    ref = load_yaml(DATA / "resnet18_conv3x3_7.yaml")
    ref["problem"]["shape"]["data-spaces"][1]["ranks"] = ["N", "C", "W", "H"]
    w = read_problem_v04(ref["problem"], Where("r.yaml", "problem"))
    assert w.data_space("Inputs").rank_names == ("N", "C", "W", "H")


def test_dispatch_accepts_the_whole_file_and_notes_ignored_keys():
    notes = Notes()
    w = read("resnet18_conv3x3_7.yaml", notes)
    assert w.name == "conv2D"
    assert {path.rsplit(".", 1)[-1] for _, path in notes.ignored} == {"H", "W", "Hpad", "Wpad"}


# --- properties ---------------------------------------------------------------------------

@st.composite
def workloads(draw):
    n_dims = draw(st.integers(1, 5))
    dims = tuple(f"D{i}" for i in range(n_dims))
    bounds = {d: draw(st.integers(1, 9)) for d in dims}

    def ranks():
        out = []
        for _ in range(draw(st.integers(0, 3))):
            picked = draw(st.lists(st.sampled_from(dims), min_size=1, max_size=2, unique=True))
            out.append(tuple((d, draw(st.integers(0, 4))) for d in picked))
        return tuple(out)
    spaces = [DataSpace(f"T{i}", ranks()) for i in range(draw(st.integers(1, 3)))]
    spaces.append(DataSpace("Out", ranks(), True))
    used = {d for ds in spaces for r in ds.ranks for d, _ in r}
    if used != set(dims):    # every dimension must index some tensor: add the rest
        spaces[-1] = DataSpace("Out", spaces[-1].ranks + tuple(((d, 1),) for d in dims
                                                               if d not in used), True)
    return Workload("w", dims, bounds, tuple(spaces))


@settings(max_examples=200, deadline=None)
@given(workloads())
def test_format_then_read_is_the_identity(w):
    back = einsum(format_einsum(w), w.bounds, name="w")
    assert unnamed(back) == w


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ABZmnkpqr[],+*= -2()_", max_size=40))
def test_any_text_is_a_workload_or_one_spec_error(text):
    try:
        einsum(text, {"M": 2, "N": 3, "K": 4})
    except SpecError as e:
        assert e.file == "t.yaml" and e.path.startswith("problem.")
