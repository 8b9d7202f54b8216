"""A top-level key in several files is combined as timeloopfe combines it: empty values give
way, lists are extended, mappings merge; a field given two different values is an error naming
both files. timeloopfe's processed input (``mapping: []`` next to a mapping file) loads."""
import pytest

from mapper import api
from mapper.spec import SpecError
from mapper.spec.loader import Inputs
from tests.exercises import DESIGNS, TUTORIAL, needs_exercises


def inputs(*files: tuple[str, dict]) -> Inputs:
    out = Inputs()
    for name, data in files:
        out.add(data, name)
    return out


def test_an_empty_value_gives_way_and_the_file_is_the_one_that_gave_it():
    i = inputs(("processed.yaml", {"mapping": [], "problem": {"shape": "x"}}),
               ("map.yaml", {"mapping": [{"target": "DRAM"}]}))
    assert i.values["mapping"] == [{"target": "DRAM"}]
    assert i.files["mapping"] == "map.yaml"
    assert i.get("mapping")[1].file == "map.yaml"


def test_lists_are_extended_in_the_order_of_the_files_and_each_part_is_kept():
    a = {"compound_components": {"version": 0.4, "classes": [{"name": "intmac"}]}}
    b = {"compound_components": {"version": "0.4", "classes": [{"name": "regfile"}]}}
    i = inputs(("a.yaml", a), ("b.yaml", b))
    assert [c["name"] for c in i.values["compound_components"]["classes"]] == \
        ["intmac", "regfile"]
    assert [f for f, _ in i.sources("compound_components")] == ["a.yaml", "b.yaml"]


def test_mappings_merge_and_equal_values_are_one():
    i = inputs(("a.yaml", {"problem": {"instance": {"C": 4, "M": 8}}}),
               ("b.yaml", {"problem": {"instance": {"C": 4, "P": 2}}}))
    assert i.values["problem"] == {"instance": {"C": 4, "M": 8, "P": 2}}


def test_a_field_given_two_values_is_an_error_naming_both_files():
    with pytest.raises(SpecError) as info:
        inputs(("a.yaml", {"problem": {"instance": {"C": 4}}}),
               ("b.yaml", {"problem": {"instance": {"C": 8}}}))
    e = info.value
    assert e.file == "b.yaml" and e.path == "problem.instance.C"
    assert "4 in a.yaml" in e.message and "8 in b.yaml" in e.message


@needs_exercises
def test_processed_input_with_its_mapping_file_loads():
    out = DESIGNS / "simple_weight_stationary" / "ref_outputs" / "default_problem"
    spec = api.load([out / "parsed-processed-input.yaml", out / "timeloop-mapper.map.yaml"])
    assert spec.inputs.files["mapping"].endswith("timeloop-mapper.map.yaml")
    assert spec.mapping is not None
    assert [lv.name for lv in reversed(spec.arch.storage)][:2] == ["DRAM", "shared_glb"]


@needs_exercises
def test_processed_input_of_the_2020_tutorial_evaluates_like_the_reference():
    """01-model-conv1d-2level, weight stationary: timeloopfe's processed input of a
    ``timeloop-model`` run (its mapping inside) gives the reference's cycles."""
    out = TUTORIAL / "timeloop" / "01-model-conv1d-2level" / "ref-output" / "ws"
    spec = api.load([out / "parsed-processed-input.yaml"])      # the mapping is inside
    stats = (out / "timeloop-model.stats.txt").read_text()
    cycles = int(stats.split("Summary Stats")[1].split("Cycles:")[1].split()[0])
    assert cycles == 48
    assert api.evaluate(spec).cycles == cycles


@needs_exercises
def test_processed_input_of_a_search_alone_asks_for_its_mapping_file(capsys):
    from mapper.cli import main
    out = DESIGNS / "simple_weight_stationary" / "ref_outputs" / "default_problem"
    assert main(["model", str(out / "parsed-processed-input.yaml"), "-o", "/tmp/unused"]) == 2
    err = capsys.readouterr().err
    assert "parsed-processed-input.yaml: mapping: the mapping is empty (mapping: [])" in err
    assert "timeloop-mapper.map.yaml" in err
