"""``mapper eyexam`` from the command line: outputs, and bad inputs as one clear line."""
import json

import pytest

from mapper.cli import main


def test_one_layer_writes_json_table_and_figure(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "out"
    status = main(["eyexam", "eyeriss_like", "problems/layers/resnet18.yaml", "--layer",
                   "fc_512_1000", "--search-size", "2000", "-o", str(out)])
    assert status == 0
    printed = capsys.readouterr().out
    assert "varying access patterns" in printed
    data = json.loads((out / "eyexam.json").read_text())
    assert data["layer"] == "fc_512_1000" and len(data["steps"]) == 7
    assert (out / "eyexam.txt").read_text() in printed
    assert (out / "eyexam.png").read_bytes()[:4] == b"\x89PNG"


def test_dram_bandwidth_draws_the_users_roof(tmp_path, monkeypatch):
    """--dram-bandwidth reaches the figure (eyeriss_like's clock is 1 GHz: 25.6 GB/s = 25.6
    B/cycle) and leaves the bounds as they are."""
    pytest.importorskip("matplotlib")
    from mapper.eyexam import outputs
    drawn = []
    real = outputs.roofline_figure
    monkeypatch.setattr(outputs, "roofline_figure",
                        lambda r, bw=None: drawn.append((r, bw)) or real(r, bw))
    argv = ["eyexam", "eyeriss_like", "problems/layers/resnet18.yaml", "--layer",
            "fc_512_1000", "--search-size", "2000"]
    assert main(argv + ["--dram-bandwidth", "25.6", "-o", str(tmp_path / "a")]) == 0
    assert main(argv + ["-o", str(tmp_path / "b")]) == 0
    (r, bw), (_, none) = drawn
    assert bw == 25.6 and none is None and r.cycle_s == 1e-9
    labels = [ln.get_label() for ln in real(r, bw).axes[0].get_lines()]
    assert any("25.6 B/cycle" in label and "from the user" in label for label in labels)
    a, b = (json.loads((tmp_path / d / "eyexam.json").read_text()) for d in "ab")
    assert a["steps"] == b["steps"]


def test_a_network_gives_one_row_per_layer(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "net"
    status = main(["eyexam", "eyeriss_like", "--network", "resnet18", "--layer",
                   "fc,layer4.0.downsample", "--search-size", "2000", "-o", str(out)])
    assert status == 0
    data = json.loads((out / "eyexam.json").read_text())
    assert [l["layer"] for l in data["layers"]] == ["layer4.0.downsample", "fc"]
    assert all(len(l["steps"]) == 7 for l in data["layers"])
    assert (out / "figures" / "fc.png").exists()


@pytest.mark.parametrize("argv, words", [
    (["eyexam", "eyeriss_like", "no_such_problem.yaml"], "no_such_problem.yaml"),
    (["eyexam", "eyeriss_like", "--network", "no_such_net"], "no_such_net"),
    (["eyexam", "eyeriss_like", "--network", "resnet18", "--layer", "nope"], "no layer 'nope'"),
    (["eyexam", "eyeriss_like", "problems/layers/resnet18.yaml", "--layer", "nope"],
     "no layer 'nope'"),
    (["eyexam", "eyeriss_like", "problems/layers/resnet18.yaml", "--layer", "fc_512_1000",
      "--set", "no_such_param=3"], "no_such_param"),
])
def test_bad_inputs_are_one_line_and_status_2(argv, words, capsys, tmp_path):
    assert main(argv + ["-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    assert not (tmp_path / "o" / "eyexam.json").exists()


def test_a_dram_bandwidth_without_a_clock_is_rejected_before_any_search(tmp_path, capsys,
                                                                         monkeypatch):
    """The same message for one layer and for a network, before anything is searched or
    written."""
    from mapper import api
    from tests.network.helpers import ROOT
    arch = tmp_path / "noclock.yaml"
    arch.write_text((ROOT / "arch_templates" / "eyeriss_like.yaml").read_text().replace(
        ", global_cycle_seconds: 1 / (clock_mhz * 1e6)", ""))
    for name in ("eyexam", "eyexam_network"):
        monkeypatch.setattr(api, name, lambda *a, **k: pytest.fail("searched first"))
    errors = []
    for where in (["problems/layers/resnet18.yaml", "--layer", "fc_512_1000"],
                  ["--network", "resnet18", "--layer", "fc"]):
        out = tmp_path / where[0].replace("/", "_")
        assert main(["eyexam", str(arch), *where, "--dram-bandwidth", "25.6",
                     "-o", str(out)]) == 2
        errors.append(capsys.readouterr().err)
        assert not out.exists()
    assert errors[0] == errors[1]
    assert errors[0].startswith("error: --dram-bandwidth 25.6: GB/s needs a clock")
    assert "Traceback" not in errors[0]
