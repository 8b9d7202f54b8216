"""The sweep spec is validated like every other input: each error names the file, the YAML
path and what was expected; the command exits 2 with one line and writes nothing."""
from __future__ import annotations

import pytest

from mapper.cli import main
from mapper.spec.errors import SpecError
from mapper.sweep.spec import load_sweep

from .helpers import write_spec

GRID = "[{template: eyeriss_like, grid: {pe_rows: [8, 12], glb_kb: [64, 128, 256]}}]"


def test_grid_zip_params_and_where_expand_to_the_designs(tmp_path):
    spec = load_sweep(write_spec(
        tmp_path, "[{template: eyeriss_like, grid: {pe_rows: [8, 12, 16]}, "
                  "zip: {glb_kb: [64, 128], glb_bandwidth: [8, 16]}, params: {clock_mhz: 200}},"
                  " {arch: arch.yaml, name: fixed}]",
        batch="[1, 4]", extra="  where: 'pe_rows * pe_cols <= 168'\n"))
    # 3 x 2 template designs; pe_rows=16 with the default pe_cols=14 is 224 > 168: left out;
    # the fixed arch has no parameters, so the filter does not apply to it
    names = [d.name for d in spec.designs]
    assert names == ["eyeriss_like[pe_rows=8,glb_kb=64,glb_bandwidth=8]",
                     "eyeriss_like[pe_rows=8,glb_kb=128,glb_bandwidth=16]",
                     "eyeriss_like[pe_rows=12,glb_kb=64,glb_bandwidth=8]",
                     "eyeriss_like[pe_rows=12,glb_kb=128,glb_bandwidth=16]", "fixed"]
    assert spec.filtered_out == 2
    assert spec.designs[0].params == {"clock_mhz": 200, "pe_rows": 8, "glb_kb": 64,
                                      "glb_bandwidth": 8}
    assert spec.batches == (1, 4)
    assert spec.parameters == ("clock_mhz", "pe_rows", "glb_kb", "glb_bandwidth")


@pytest.fixture(autouse=True)
def _fixed_arch(tmp_path):
    (tmp_path / "arch.yaml").write_text(
        (__import__("mapper.inputs.templates", fromlist=["x"]).TEMPLATE_DIR
         / "eyeriss_like.yaml").read_text())


BAD = [
    ("[{template: eyeriss_lik, grid: {pe_rows: [8]}}]", "",
     "sweep.designs[0].template", "did you mean 'eyeriss_like'"),
    ("[{template: eyeriss_like, grid: {pe_row: [8]}}]", "",
     "sweep.designs[0].grid.pe_row", "unknown parameter 'pe_row' of template eyeriss_like "
                                     "(did you mean 'pe_rows'?)"),
    ("[{template: eyeriss_like, grid: {pe_rows: []}}]", "",
     "sweep.designs[0].grid.pe_rows", "an empty list of values"),
    ("[{template: eyeriss_like, grid: {pe_rows: 8}}]", "",
     "sweep.designs[0].grid.pe_rows", "expected a list of values, got an integer"),
    ("[{template: eyeriss_like, zip: {pe_rows: [8, 12], glb_kb: [64]}}]", "",
     "sweep.designs[0].zip", "must be equally long"),
    ("[]", "", "sweep.designs", "expected at least one design"),
    ("[{arch: missing.yaml}]", "", "sweep.designs[0].arch", "no such file"),
    (GRID, "  where: 'pe_rows *'\n", "sweep.where", "expected an expression over the "
                                                     "parameters"),
    (GRID, "  where: 'pe_rowz < 9'\n", "sweep.where", "'pe_rowz' in 'pe_rowz < 9' is not a "
                                                       "parameter of any design"),
    (GRID, "  where: 'pe_rows > 100'\n", "sweep.where", "no design passes the filter"),
    (GRID, "  bogus: 1\n", "sweep", "unknown key 'bogus'"),
]


@pytest.mark.parametrize("designs,extra,path,message", BAD)
def test_bad_spec_names_file_path_and_expectation(tmp_path, designs, extra, path, message):
    spec = write_spec(tmp_path, designs, extra=extra)
    with pytest.raises(SpecError) as e:
        load_sweep(spec)
    assert e.value.file == str(spec) and e.value.path == path
    assert message in e.value.message


def test_bad_networks_batch_search_and_objective(tmp_path):
    spec = write_spec(tmp_path, GRID)
    cases = [("networks: [net.yaml]", "networks: [resnet81]", "sweep.networks[0]",
              "resnet18"),
             ("networks: [net.yaml]", "networks: [{network: bert_base, params: {sek: 8}}]",
              "sweep.networks[0].params.sek", "unknown parameter 'sek' of network bert_base"),
             ("batch: [1]", "batch: [0]", "sweep.batch[0]", "expected an integer >= 1"),
             ("algorithm: hybrid", "algorithm: best", "sweep.search.algorithm",
              "unknown algorithm 'best'"),
             ("objective: edp", "objective: speed", "sweep.objective", "speed")]
    text = spec.read_text()
    for old, new, path, message in cases:
        spec.write_text(text.replace(old, new))
        with pytest.raises(SpecError) as e:
            load_sweep(spec)
        assert (e.value.file, e.value.path) == (str(spec), path), new
        assert message in e.value.message, (new, e.value.message)


def test_the_command_says_it_in_one_line_and_writes_nothing(tmp_path, capsys):
    spec = write_spec(tmp_path, "[{template: eyeriss_like, grid: {pe_rows: []}}]")
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {spec}: sweep.designs[0].grid.pe_rows: an empty list")
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


@pytest.mark.parametrize("axes, message", [
    ("energy_per_inference_pJ,speed", "unknown Pareto axis 'speed'"),
    (" , ", "pareto axes: expected at least one metric column")])
def test_bad_pareto_axes_are_bad_input(tmp_path, capsys, axes, message):
    spec = write_spec(tmp_path, "[{template: eyeriss_like, grid: {pe_rows: [8]}}]")
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "-o", str(out), "--pareto", axes]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_a_scheduler_that_does_not_answer_is_bad_input(tmp_path, capsys, monkeypatch):
    pytest.importorskip("dask.distributed")
    monkeypatch.setattr("mapper.sweep.driver.CONNECT_TIMEOUT_S", 2)
    spec = write_spec(tmp_path, "[{template: eyeriss_like, grid: {pe_rows: [8]}}]")
    out = tmp_path / "out"
    assert main(["sweep", str(spec), "-o", str(out), "--scheduler",
                 "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert "no Dask scheduler answers at 'tcp://127.0.0.1:9'" in err and "Traceback" not in err
    assert not out.exists()


def test_the_bundled_example_is_a_valid_spec():
    from mapper.inputs.templates import TEMPLATE_DIR
    spec = load_sweep(TEMPLATE_DIR.parent / "examples" / "sweep" / "sweep.yaml")
    assert len(spec.designs) == 9 and [n.name for n in spec.networks] == ["resnet18"]
    assert spec.search["algorithm"] == "hybrid" and spec.batches == (1,)
