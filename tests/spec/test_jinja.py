"""Jinja2-templated inputs, rendered as timeloopfe renders them, with the variables of
``--set``/``--params``; errors point at the template's file and line and say what to do."""
import time

import pytest

from mapper import api
from mapper.cli import main
from mapper.spec import SpecError
from mapper.inputs.templates import parse_set
from mapper.spec.jinja import Rendering
from mapper.spec.loader import Inputs
from tests.exercises import DESIGNS, DSE, TUTORIAL, needs_exercises

TOP = DESIGNS / "top.yaml.jinja2"
TA = TUTORIAL / "timeloop+accelergy"
PROBLEM = ("problem:\n  instance: {C: 4, M: 4, P: 2, R: 1}\n  shape:\n"
           "    dimensions: [C, M, P, R]\n    data_spaces:\n"
           "    - {name: W, projection: [[[C]], [[M]], [[R]]]}\n"
           "    - {name: I, projection: [[[C]], [[P], [R]]]}\n"
           "    - {name: O, projection: [[[M]], [[P]]], read_write: true}\n")
ARCH = ("architecture:\n  version: 0.4\n  nodes:\n"
        "  - !Component {name: DRAM, class: DRAM, attributes: {type: LPDDR4, width: 64, "
        "datawidth: {{ dw }}}}\n"
        "{% if with_buffer %}"
        "  - !Component {name: buf, class: SRAM, attributes: {depth: 64, width: 16, "
        "datawidth: {{ dw }}, technology: 45nm}}\n"
        "{% endif %}"
        "  - !Component {name: mac, class: intmac, attributes: {datawidth: 8, "
        "technology: 45nm}}\n")


def load_error(files, overrides=None) -> SpecError:
    with pytest.raises(SpecError) as info:
        api.load(files, need_mapping=False, overrides=overrides)
    return info.value


@pytest.fixture
def tmpl(tmp_path):
    (tmp_path / "arch.yaml.jinja2").write_text(ARCH)
    (tmp_path / "problem.yaml").write_text(PROBLEM)
    return tmp_path


def test_variables_and_if_blocks(tmpl):
    files = [tmpl / "arch.yaml.jinja2", tmpl / "problem.yaml"]
    with_buffer = api.load(files, need_mapping=False, overrides={"dw": 16, "with_buffer": True})
    assert [lv.name for lv in with_buffer.arch.storage] == ["buf", "DRAM"]
    assert with_buffer.arch.storage[1].word_bits == 16
    without = api.load(files, need_mapping=False,
                       overrides=parse_set(["dw=8", "with_buffer=False"]))
    assert [lv.name for lv in without.arch.storage] == ["DRAM"]


def test_an_undefined_variable_names_the_template_line_and_how_to_give_it(tmpl):
    e = load_error([tmpl / "arch.yaml.jinja2", tmpl / "problem.yaml"], {"with_buffer": False})
    assert e.file == str((tmpl / "arch.yaml.jinja2").resolve())
    assert "line 4" in e.message and "'dw' is undefined" in e.message
    assert "--set dw=VALUE" in e.message


def test_a_misspelled_variable_is_pointed_out(tmpl):
    e = load_error([tmpl / "arch.yaml.jinja2", tmpl / "problem.yaml"],
                   parse_set(["dww=8", "with_buffer=0"]))
    assert "'dw' is undefined" in e.message and "--set dww=8 is given" in e.message


def test_a_value_nothing_uses_is_an_error_listing_the_template_variables(tmpl):
    e = load_error([tmpl / "arch.yaml.jinja2", tmpl / "problem.yaml"],
                   parse_set(["dw=8", "with_buffer=0", "pe_rows=4"]))
    assert "--set pe_rows=4: nothing is named 'pe_rows'" in e.message
    assert "use dw, with_buffer" in e.message


def test_syntax_error_line(tmp_path):
    (tmp_path / "a.yaml").write_text("architecture:\n  x: 1\n  {% if %}\n")
    e = load_error([tmp_path / "a.yaml"])
    assert e.file.endswith("a.yaml") and "Jinja2 template, line 3" in e.message


def test_include_include_all_include_text_and_paths(tmp_path):
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "a.yaml").write_text("classes: {list: [{name: a}]}\n")
    (tmp_path / "parts" / "b.yaml").write_text("classes: {list: [{name: b}]}\n")
    (tmp_path / "base.yaml").write_text("base_ignore: &base {C: 4, M: 4, P: 2, R: 1}\n")
    (tmp_path / "arch.yaml").write_text(ARCH.replace("{{ dw }}", "8").replace(
        "{% if with_buffer %}", "").replace("{% endif %}", ""))
    (tmp_path / "top.yaml.jinja2").write_text(
        "{{ add_to_path(cwd() ~ '/parts') }}\n"
        "{{ include_text('base.yaml') }}\n"
        "architecture: {{ include('arch.yaml', 'architecture') }}\n"
        "compound_components:\n  version: 0.4\n"
        "  classes: {{ include_all('parts/*.yaml', 'classes.list') }}\n"
        "{% if path_exists('a.yaml') %}variables: {found: {{ path_exists('nothere.yaml') }}}"
        "{% endif %}\n")
    inputs = Inputs()
    inputs.add_file(tmp_path / "top.yaml.jinja2")
    assert [c["name"] for c in inputs.values["compound_components"]["classes"]] == ["a", "b"]
    assert inputs.values["base_ignore"] == {"C": 4, "M": 4, "P": 2, "R": 1}
    assert inputs.values["variables"] == {"found": False}       # a.yaml found via add_to_path
    assert inputs.files["architecture"] == str((tmp_path / "arch.yaml").resolve())
    assert inputs.values["architecture"]["nodes"][0]["name"] == "DRAM"


def test_include_of_a_missing_key_and_of_itself(tmp_path):
    (tmp_path / "x.yaml").write_text("a: 1\n")
    (tmp_path / "t.yaml").write_text("architecture: {{ include('x.yaml', 'b') }}\n")
    e = load_error([tmp_path / "t.yaml"])
    assert "no key 'b'" in e.message and "its keys: a" in e.message
    (tmp_path / "self.yaml").write_text("a: {{ include_text('self.yaml') }}\n")
    assert "includes itself" in load_error([tmp_path / "self.yaml"]).message


@pytest.mark.parametrize("expression, phrase", [
    ("''.__class__.__mro__", "Jinja2 template, line 1"),        # the sandbox
    ("'x' * 10**9", "over the limit"),
    ("9 ** 999999", "exponent too large"),
    ("1 / 0", "ZeroDivisionError"),
])
def test_hostile_templates_are_errors_within_seconds(tmp_path, expression, phrase):
    (tmp_path / "t.yaml").write_text(f"architecture: {{{{ {expression} }}}}\n")
    t0 = time.perf_counter()
    e = load_error([tmp_path / "t.yaml"])
    assert phrase in e.message and e.file.endswith("t.yaml")
    assert time.perf_counter() - t0 < 5


@needs_exercises
def test_example_design_top_template_loads_with_its_architecture():
    spec = api.load([TOP], need_mapping=False,
                    overrides=parse_set(["architecture=simple_weight_stationary"]))
    assert spec.inputs.files["architecture"].endswith("simple_weight_stationary/arch.yaml")
    names = [lv.name for lv in reversed(spec.arch.storage)]
    assert names[:2] == ["DRAM", "shared_glb"] and spec.arch.compute.name == "mac"
    assert spec.workload.bounds["M"] == 32          # _include/default_problem.yaml


@needs_exercises
def test_example_design_top_template_without_its_variable(capsys):
    assert main(["search", str(TOP), "-o", "/tmp/unused"]) == 2
    err = capsys.readouterr().err
    assert "top.yaml.jinja2: Jinja2 template, line 20: 'architecture' is undefined" in err
    assert "--set architecture=VALUE" in err and "Traceback" not in err


@needs_exercises
@pytest.mark.parametrize("mac, iw, ps", [("intmac", 8, 16), ("fpmac", 32, 32)])
def test_timeloop_accelergy_exercise_as_its_script_runs_it(mac, iw, ps):
    """run_example.py passes jinja_parse_data {mac_class, input_weight_datawidth,
    psum_datawidth}; arch.yaml's variables take them and the attributes use the variables."""
    files = [TA / "arch" / "arch.yaml", *sorted((TA / "arch" / "components").glob("*.yaml")),
             TA / "prob" / "prob.yaml", TA / "mapper" / "mapper.yaml"]
    spec = api.load(files, need_mapping=False, overrides={
        "mac_class": mac, "input_weight_datawidth": iw, "psum_datawidth": ps})
    assert spec.arch.compute.component_class == mac
    dram = spec.arch.storage[spec.arch.level_index("DRAM")]
    assert dram.word_bits == iw
    psum = spec.arch.storage[spec.arch.level_index("psum_spad")]
    assert psum.word_bits == ps and psum.width == max(ps, 16)


@needs_exercises
def test_timeloop_accelergy_exercise_without_its_variables(capsys):
    assert main(["model", str(TA / "arch" / "arch.yaml"), str(TA / "prob" / "prob.yaml"),
                 "-o", "/tmp/unused"]) == 2
    err = capsys.readouterr().err
    assert "arch.yaml: Jinja2 template, line 3: 'psum_datawidth' is undefined" in err
    assert "Traceback" not in err and "unhashable" not in err


@needs_exercises
def test_dse_2024_variables_file_takes_the_template_value():
    found = {}
    for value in (None, 16):
        inputs = Inputs(rendering=Rendering({} if value is None else
                                            {"datawidth_jinja": value}))
        inputs.add_file(DSE / "inputs" / "variables.yaml")
        found[value] = inputs.values["variables"]["DATAWIDTH"]
    assert found == {None: 8, 16: 16}
