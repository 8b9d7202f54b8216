"""Template parameters: --set / --params / overrides=, and one clear error per bad value."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mapper import api
from mapper.cli import main
from mapper.spec.errors import SpecError
from mapper.inputs.templates import (Overrides, TEMPLATE_DIR, collect, load_template,
                                     parse_set, read_params, template_yaml)

DATA = Path(__file__).resolve().parents[1] / "data" / "timeloop"
PROBLEM = DATA / "problems" / "resnet18_conv3x3_7.yaml"
MAP = DATA / "cases" / "eyeriss_like__resnet18_conv3x3_7__mapper_default" / "map.yaml"
EYERISS = str(TEMPLATE_DIR / "eyeriss_like.yaml")


def test_parse_set_reads_yaml_scalars_and_remembers_the_origin():
    o = parse_set(["pe_rows=16", "technology=45nm", "clock_mhz=1.5e3", "glb_kb = 64"])
    assert o.values == {"pe_rows": 16, "technology": "45nm", "clock_mhz": 1500.0, "glb_kb": 64}
    assert o.origins["pe_rows"] == "--set pe_rows=16"


@pytest.mark.parametrize("item, message", [
    ("pe_rows", "expected KEY=VALUE"), ("=3", "expected KEY=VALUE"),
    ("pe rows=3", "expected KEY=VALUE"), ("pe_rows=", "no value after '='"),
    ("pe_rows=[1, 2]", "expected a number, a word or true/false, got a list"),
])
def test_parse_set_rejects_malformed_items(item, message):
    with pytest.raises(SpecError, match=message):
        parse_set([item])


def test_params_file_bare_or_under_parameters_and_set_wins(tmp_path):
    (tmp_path / "a.yaml").write_text("pe_rows: 8\nglb_kb: 64\n")
    (tmp_path / "b.yaml").write_text("parameters: {pe_cols: 7}\n")
    assert read_params(tmp_path / "a.yaml").values == {"pe_rows": 8, "glb_kb": 64}
    b = read_params(tmp_path / "b.yaml")
    assert b.values == {"pe_cols": 7} and b.origins["pe_cols"].endswith("parameters.pe_cols")
    o = collect(["glb_kb=256"], tmp_path / "a.yaml")
    assert o.values == {"pe_rows": 8, "glb_kb": 256}
    assert o.origins["glb_kb"] == "--set glb_kb=256" and "a.yaml" in o.origins["pe_rows"]


@pytest.mark.parametrize("text, message", [
    ("", "the file is empty"), ("[1, 2]", "expected a mapping"),
    ("pe_rows: [1]", "p.yaml: pe_rows: expected a number, a word or true/false, got a list"),
])
def test_params_file_errors_name_the_file_and_key(tmp_path, text, message):
    (tmp_path / "p.yaml").write_text(text)
    with pytest.raises(SpecError, match=message):
        read_params(tmp_path / "p.yaml")


def test_a_flag_is_read_but_a_numeric_parameter_refuses_it():
    """true/false are Jinja2 flags (--set reg_enabled=False); a template's numeric parameter
    still wants a number."""
    assert parse_set(["reg_enabled=False"]).values == {"reg_enabled": False}
    with pytest.raises(SpecError, match="expected a number, like its default"):
        load_template("eyeriss_like", parse_set(["pe_rows=true"]))


def test_overrides_change_the_arch():
    base = load_template("eyeriss_like")
    arch = load_template("eyeriss_like", {"pe_rows": 16, "glb_kb": 256, "technology": "45nm",
                                          "clock_mhz": 200, "word_bits": 16})
    assert (arch.compute.mesh_x, arch.compute.mesh_y) == (14, 16)
    glb = arch.storage[arch.level_index("shared_glb")]
    assert glb.depth == 2 * base.storage[base.level_index("shared_glb")].depth
    assert (glb.word_bits, glb.block_size) == (16, 4)
    assert glb.attributes["technology"] == "45nm"
    assert arch.attributes["global_cycle_seconds"] == pytest.approx(5e-9)
    assert arch.compute.attributes["multiplier_width"] == 16
    # the template itself is unchanged, and the YAML value carries the new numbers
    assert load_template("eyeriss_like") == base
    assert template_yaml("eyeriss_like", {"pe_rows": 16})["arch"]["variables"]["pe_rows"] == 16


@pytest.mark.parametrize("overrides, message", [
    ({"pe_rowz": 4}, r"eyeriss_like\.yaml: arch\.variables: unknown parameter 'pe_rowz' "
                     r"\(overrides: pe_rowz\); did you mean 'pe_rows'\?"),
    ({"pe_rows": 0}, r"eyeriss_like\.yaml: arch\.levels\[3\]\.fanout\[1\]: expected an integer "
                     r">= 1, got 0 \(level 'inter_PE_spatial'\).*\[caused by parameter "
                     r"pe_rows = 0"),
    ({"pe_cols": -2}, r"fanout\[0\]: expected an integer >= 1, got -2.*pe_cols = -2"),
    ({"glb_kb": 0.001}, r"levels\[1\]\.depth: expected an integer.*depth = glb_kb \* 1024 "
                        r"\* 8 / glb_width = 0\.128 \(less than one vector.*glb_kb = 0\.001"),
    ({"glb_kb": 0}, r"depth: expected an integer >= 1, got 0.*glb_kb = 0"),
    ({"word_bits": "eight"}, r"arch\.variables\.word_bits: parameter word_bits = 'eight' "
                             r"\(overrides: word_bits\): expected a number, like its default 8"),
    ({"word_bits": 128}, r"width 64 is not a multiple of word_bits 128.*word_bits = 128"),
    ({"psum_bits": 0}, r"levels\[6\]\.word_bits: expected an integer >= 1, got 0 \(level "
                       r"'psum_spad'\).*psum_bits = 0"),
])
def test_bad_values_name_the_file_field_and_parameter(overrides, message):
    with pytest.raises(SpecError, match=message) as e:
        load_template("eyeriss_like", overrides)
    assert e.value.file == EYERISS


def test_every_template_rejects_zero_pes_and_an_empty_buffer():
    from mapper.inputs.templates import template_names
    for name in template_names():
        for bad in ({"pe_rows": 0}, {"pe_cols": 0}, {"glb_kb": 0}):
            with pytest.raises(SpecError, match=f"caused by parameter {next(iter(bad))} = 0"):
                load_template(name, bad)


def test_setting_a_parameter_on_a_timeloop_arch_is_an_error():
    with pytest.raises(SpecError, match="nothing is named 'x'; no input file is a Jinja2 "
                       "template or has 'variables:', and parameters are set on architectures "
                       "in our format only"):
        api.load([DATA / "archs" / "eyeriss_like.yaml", PROBLEM, MAP], overrides={"x": 1})


def test_unknown_template_name():
    with pytest.raises(SpecError, match="eyeriss_lik: no such file, and no architecture "
                                        "template of that name \\(did you mean 'eyeriss_like'"):
        api.load(["eyeriss_lik", PROBLEM, MAP])


def test_api_load_with_overrides_and_an_overrides_object():
    spec = api.load(["eyeriss_like", PROBLEM, MAP], overrides=Overrides({"glb_kb": 64}, {}))
    assert spec.arch.storage[spec.arch.level_index("shared_glb")].depth == 8192
    assert api.check(spec) == []


def run(capsys, *args):
    code = main(list(map(str, args)))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_model_on_a_template_with_set_and_params(tmp_path, capsys):
    code, out, err = run(capsys, "model", "eyeriss_like", PROBLEM, MAP, "-o", tmp_path / "a")
    assert code == 0, err
    assert json.loads((tmp_path / "a" / "stats.json").read_text())["cycles"] == 1251040
    # 8 PEs per column are mapped; with 4 rows the mapping no longer fits: invalid, exit 1
    (tmp_path / "p.yaml").write_text("pe_rows: 4\n")
    code, out, err = run(capsys, "model", "eyeriss_like", PROBLEM, MAP, "--params",
                         tmp_path / "p.yaml", "-o", tmp_path / "b")
    assert code == 1 and "INVALID" in out and "inter_PE_spatial" in err
    code, out, err = run(capsys, "model", "eyeriss_like", PROBLEM, MAP, "--params",
                         tmp_path / "p.yaml", "--set", "pe_rows=12", "-o", tmp_path / "c")
    assert code == 0


def test_cli_energy_with_set_and_bad_values(capsys):
    code, out, err = run(capsys, "energy", "systolic_ws", "--set", "glb_kb=1024",
                         "--set", "dram_type=LPDDR4")
    assert code == 0 and "unified_buffer" in out
    assert re.search(r"^DRAM +read +512 ", out, re.M)
    code, out, err = run(capsys, "energy", "systolic_ws", "--set", "pe_rows=0")
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert "systolic_ws.yaml: arch.levels" in err and "pe_rows = 0 (--set pe_rows=0)" in err
    code, out, err = run(capsys, "energy", "systolic_ws", "--set", "rows=2")
    assert code == 2 and "unknown parameter 'rows' (--set rows=2)" in err
