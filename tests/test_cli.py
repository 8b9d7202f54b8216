"""The `mapper model` command: outputs, exit codes, and one clear message per bad input."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from mapper.cli import main

DATA = Path(__file__).resolve().parent / "data" / "timeloop"
ARCH = DATA / "archs" / "eyeriss_like.yaml"
PROBLEM = DATA / "problems" / "resnet18_conv3x3_7.yaml"
CASE = DATA / "cases" / "eyeriss_like__resnet18_conv3x3_7__mapper_default"
MAP = CASE / "map.yaml"


def run(capsys, *args):
    code = main(["model", *map(str, args)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_writes_stats_json_txt_and_map(tmp_path, capsys):
    code, out, err = run(capsys, ARCH, PROBLEM, MAP, "-o", tmp_path)
    assert code == 0 and "valid" in out and "1251040" in out
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert stats["cycles"] == 1251040 and stats["computes"] == 115605504
    glb = stats["levels"]["shared_glb"]["dataspaces"]["Inputs"]
    assert (glb["reads_per_instance"], glb["fills_per_instance"]) == (774144, 165888)
    assert set(glb) == {"reads_per_instance", "fills_per_instance", "updates_per_instance",
                        "temporal_reductions_per_instance", "utilized_capacity",
                        "utilized_instances", "partition_size", "energy_pJ"}
    assert "Scalar fills (per-instance)" in (tmp_path / "stats.txt").read_text()
    assert (tmp_path / "map.txt").read_text() == (CASE / "timeloop.map.txt").read_text()
    # keys we accept but do not model are listed once, not dropped silently
    notes = [line for line in err.splitlines() if "required_actions" in line]
    assert len(notes) == 1 and "ignored required_actions" in notes[0]


def test_merged_single_file_and_separate_ert(tmp_path, capsys):
    import yaml
    arch = yaml.safe_load(ARCH.read_text())
    ert = {"ERT": arch.pop("ERT")}
    merged = {**arch, **yaml.safe_load(PROBLEM.read_text()), **yaml.safe_load(MAP.read_text())}
    (tmp_path / "all.yaml").write_text(yaml.safe_dump(merged))
    (tmp_path / "ert.yaml").write_text(yaml.safe_dump(ert))
    code, out, _ = run(capsys, tmp_path / "all.yaml", "--ert", tmp_path / "ert.yaml",
                       "-o", tmp_path / "o")
    assert code == 0
    stats = json.loads((tmp_path / "o" / "stats.json").read_text())
    # Timeloop v3.0.3's 468.25 uJ has no leakage: our dynamic energy compares with it
    assert stats["energy_pJ"] - stats["leak_energy_pJ"] == pytest.approx(468.25e6, rel=1e-4)
    assert stats["leak_energy_pJ"] > 0


def edited(tmp_path, old, new, name="map.yaml"):
    text = MAP.read_text()
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize("old,new,message", [
    ("factors: C256 M4", "factors: C128 M4",
     "mapping: the factors of dimension C multiply to 256 over all levels, but its bound is 512"),
    ("target: DRAM\n    type: temporal", "target: DRAMM\n    type: temporal",
     "mapping[15].target: no storage level named 'DRAMM'"),
    ("factors: C256 M4", "factors: C256 M4 X2", "mapping[15].factors: unknown dimension 'X'"),
    ("type: spatial", "type: spacial", "mapping[10].type: unknown directive type 'spacial'"),
    ("factors: C256 M4", "factors: C256 M-4", "mapping[15].factors: expected an integer >= 1, got -4"),
    ("  - target: psum_spad\n    type: datatype", "  - target: psum_spad\n   type: datatype",
     "invalid YAML at line"),
])
def test_bad_mapping_gets_one_clear_error(tmp_path, capsys, old, new, message):
    bad = edited(tmp_path, old, new)
    code, out, err = run(capsys, ARCH, PROBLEM, bad, "-o", tmp_path / "o")
    assert code == 2
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and str(bad) in errors[0] and message in errors[0], err
    assert not (tmp_path / "o").exists()          # nothing half-written


def test_bad_problem_names_file_and_path(tmp_path, capsys):
    bad = tmp_path / "problem.yaml"
    bad.write_text(PROBLEM.read_text().replace("    P: 7\n", "    P: 0\n", 1))
    code, _, err = run(capsys, ARCH, bad, MAP)
    assert code == 2 and f"{bad}: problem.instance.P: expected an integer >= 1, got 0" in err


def test_capacity_overflow_is_an_invalid_mapping_naming_the_level(tmp_path, capsys):
    # P7 moved from shared_glb into psum_spad: the Outputs tile grows to M4 x P7 = 28 words,
    # over psum_spad's 16 (and its constraint P=1 is broken too).
    bad = edited(tmp_path, "factors: C1 M4 R1 S1 N1 P1 Q1", "factors: C1 M4 R1 S1 N1 P7 Q1")
    bad.write_text(bad.read_text().replace("factors: C1 M2 R1 S3 N1 P7 Q1",
                                           "factors: C1 M2 R1 S3 N1 P1 Q1"))
    code, out, err = run(capsys, ARCH, PROBLEM, bad, "-o", tmp_path / "o")
    assert code == 1 and "INVALID" in out
    assert "psum_spad: the kept tiles need 28 words (Outputs 28) but the level holds 16" in err
    assert "breaks a constraint" in err and "psum_spad: temporal factor P=1" in err
    assert json.loads((tmp_path / "o" / "stats.json").read_text())["valid"] is False


def test_missing_file_and_module_entry_point(tmp_path):
    r = subprocess.run([sys.executable, "-m", "mapper", "model", str(ARCH), str(tmp_path / "x.yaml")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "x.yaml: file not found" in r.stderr
    assert "Traceback" not in r.stderr


def test_package_level_api():
    import mapper
    ev = mapper.evaluate(mapper.load([ARCH, PROBLEM, MAP]))
    assert ev.cycles == 1251040 and not mapper.check(mapper.load([ARCH, PROBLEM, MAP]))


def test_a_library_layer_is_named_after_its_key(tmp_path, capsys):
    """`--layer NAME` names the workload NAME (not the Einsum default 'einsum'), unless the
    library entry gives its own name."""
    import yaml
    problem = yaml.safe_load((DATA.parent / "spec" / "resnet18_conv3x3_7.einsum.yaml")
                             .read_text())["problem"]
    unnamed = {k: v for k, v in problem.items() if k != "name"}
    lib = tmp_path / "lib.yaml"
    lib.write_text(yaml.safe_dump({"layers": {"conv_7": unnamed,
                                              "named": {**unnamed, "name": "mine"}}}))
    code, out, _ = run(capsys, ARCH, lib, MAP, "--layer", "conv_7", "-o", tmp_path / "o")
    assert code == 0 and out.startswith("conv_7 on ")
    code, out, _ = run(capsys, ARCH, lib, MAP, "--layer", "named", "-o", tmp_path / "o")
    assert code == 0 and out.startswith("mine on ")
    from mapper import api
    spec = api.load([ARCH, lib], need_mapping=False, layer="conv_7")
    assert spec.workload.name == "conv_7" and spec.workload.macs == 512 * 512 * 9 * 49


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077])
def test_outputs_get_the_permissions_the_umask_gives(tmp_path, capsys, mask):
    import os
    import stat
    old = os.umask(mask)
    try:
        code, _, _ = run(capsys, ARCH, PROBLEM, MAP, "-o", tmp_path / "o")
    finally:
        os.umask(old)
    assert code == 0
    written = sorted(p.name for p in (tmp_path / "o").iterdir())
    # no temporary file left over
    assert written == [".mapper-outputs", "map.txt", "stats.json", "stats.txt"]
    for name in written:
        assert stat.S_IMODE((tmp_path / "o" / name).stat().st_mode) == 0o666 & ~mask


def test_an_output_directory_holds_one_runs_outputs(tmp_path, capsys):
    """`mapper model -o D` after `mapper search -o D`: the search's mapping.yaml goes (it was
    written by our run and is unchanged); files we did not write, and ours that the user
    changed, stay."""
    ex = Path(__file__).resolve().parents[1] / "examples" / "eyeriss_like"
    out = tmp_path / "o"
    assert main(["search", str(ex / "arch.yaml"), str(ex / "problem.yaml"), "--algorithm",
                 "random", "--search-size", "2000", "-o", str(out)]) == 0
    assert (out / "mapping.yaml").is_file()
    (out / "notes.md").write_text("mine\n")
    code, _, err = run(capsys, ex / "arch.yaml", ex / "problem.yaml", ex / "map.yaml", "-o", out)
    assert code == 0 and not (out / "mapping.yaml").exists()
    assert f"note: removed from {out} an earlier run's outputs that this run does not write: " \
           "mapping.yaml" in err
    assert sorted(p.name for p in out.iterdir()) == [".mapper-outputs", "map.txt", "notes.md",
                                                    "stats.json", "stats.txt"]
    # the user edits map.txt; a run that writes no map.txt leaves it, and says so
    (out / "map.txt").write_text("edited\n")
    from mapper.report.outputs import write_run_outputs
    done = write_run_outputs(out, {"stats.txt": "x\n"})
    assert done.removed == [out / "stats.json"] and done.kept == [
        (out / "map.txt", "changed since that run wrote it")]
    assert (out / "map.txt").read_text() == "edited\n" and (out / "notes.md").exists()
