"""timeloopfe's constraint macros (factors_only, no_iteration_over_dataspaces, keep_only,
bypass_only, split: len(spec.problem.instance)) read as the plain constraints they stand for;
mapper hints (maximize_dims) noted and left out."""
from __future__ import annotations

import pytest
import yaml

from mapper import api
from mapper.spec.errors import Notes, SpecError, Where
from mapper.spec.timeloop_constraints import build_constraints
from tests.exercises import DSE, needs_exercises

from .refs import CASES, RESNET_CASE, load


@pytest.fixture(scope="module")
def eyeriss():
    return load(next(d for d in CASES if d.name == RESNET_CASE))


def read(ref, text: str, notes: Notes | None = None):
    extra = yaml.safe_load(text)
    return build_constraints([(v, Where("c.yaml", k, notes)) for k, v in extra.items()],
                             ref.arch, ref.workload, inline=())


def ranges(nest, workload):
    return {d: nest.factor_range(d, workload.bounds[d]) for d in workload.dims}


def test_factors_only(eyeriss):
    c = read(eyeriss, "targets:\n- {target: shared_glb, type: temporal, "
                      "factors_only: [M=4, C]}\n")
    got = ranges(c.level("shared_glb").temporal, eyeriss.workload)
    assert got["M"] == (4, 4) and got["C"] == (1, eyeriss.workload.bounds["C"])
    assert all(got[d] == (1, 1) for d in eyeriss.workload.dims if d not in "MC")


def test_factors_only_empty_means_no_loops(eyeriss):
    c = read(eyeriss, "targets:\n- {target: shared_glb, type: temporal, factors_only: []}\n")
    assert set(ranges(c.level("shared_glb").temporal, eyeriss.workload).values()) == {(1, 1)}


def test_no_iteration_over_dataspaces(eyeriss):
    c = read(eyeriss, "targets:\n- {target: shared_glb, type: temporal, "
                      "no_iteration_over_dataspaces: [Weights]}\n")
    got = ranges(c.level("shared_glb").temporal, eyeriss.workload)
    weights = eyeriss.workload.data_space("Weights").dims()
    assert all(got[d] == (1, 1) for d in weights)
    assert any(got[d] != (1, 1) for d in eyeriss.workload.dims if d not in weights)


@pytest.mark.parametrize("macro, keep", [("keep_only: [Inputs]", {"Inputs"}),
                                         ("bypass_only: [Inputs]", {"Weights", "Outputs"})])
def test_keep_only_and_bypass_only(eyeriss, macro, keep):
    c = read(eyeriss, f"targets:\n- {{target: shared_glb, type: dataspace, {macro}}}\n")
    lv = c.level("shared_glb")
    assert lv.keep == keep and lv.bypass == set(eyeriss.workload.ds_names) - keep


def test_split_of_the_problem_size_puts_every_dimension_on_x(eyeriss):
    c = read(eyeriss, "targets:\n- {target: inter_PE_column_spatial, type: spatial, "
                      "split: len(spec.problem.instance), permutation: NCPRSQM}\n")
    assert c.level("inter_PE_column_spatial").spatial.split >= len(eyeriss.workload.dims)


def test_maximize_dims_is_noted_not_a_constraint(eyeriss):
    notes = Notes()
    c = read(eyeriss, "targets:\n- {target: inter_PE_column_spatial, type: spatial, "
                      "maximize_dims: [[M, C]]}\n", notes)
    assert c.level("inter_PE_column_spatial").spatial.factors == ()
    assert any("maximize_dims" in line for line in notes.lines())


def test_a_macro_naming_an_unknown_dimension(eyeriss):
    with pytest.raises(SpecError) as info:
        read(eyeriss, "targets:\n- {target: shared_glb, type: temporal, factors_only: [Z=2]}\n")
    assert info.value.path == "targets[0].factors_only" and "unknown dimension 'Z'" in \
        info.value.message


@needs_exercises
@pytest.mark.parametrize("values, reg, datawidth", [
    ({}, True, 8), ({"datawidth_jinja": 16}, True, 16), ({"reg_enabled": False}, False, 8)])
def test_the_2024_design_space_exercise(values, reg, datawidth):
    spec = api.load([DSE / "top.yaml.jinja"], need_mapping=False, overrides=values)
    names = spec.arch.level_names
    assert ("reg" in names) == reg
    assert spec.arch.storage[spec.arch.level_index("buffer")].word_bits == datawidth
    if reg:     # factors_only: [] -> no loops at reg; a free register (class register)
        nest = spec.constraints.level("reg").temporal
        assert {nest.factor_range(d, spec.workload.bounds[d]) for d in spec.workload.dims} \
            == {(1, 1)}
        assert spec.tables.energy("reg", "read") == 0
        assert spec.arch.storage[spec.arch.level_index("reg")].width == 3 * datawidth
    assert any("maximize_dims" in line for line in spec.notes.lines())
    assert spec.constraints.level("inter_PE_spatial").spatial.split >= len(spec.workload.dims)
