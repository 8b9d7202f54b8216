"""`mapper model` and `mapper energy` with the energy package: estimated ERT/ART when no file
gives them, table directories and arch overrides taking effect, Accelergy-format output."""
import json
from pathlib import Path

import pytest
import yaml

from energy import read_ert
from mapper import api
from mapper.cli import main

ROOT = Path(__file__).resolve().parents[1]
EX = ROOT / "examples"
PROBLEM, MAP = EX / "eyeriss_like" / "problem.yaml", EX / "eyeriss_like" / "map.yaml"
SRAM, MRAM = EX / "new_memory_technology" / "arch_sram.yaml", EX / "new_memory_technology" / "arch_mram.yaml"


def test_estimated_tables_when_no_ert_is_given():
    spec = api.load([SRAM, PROBLEM, MAP])
    assert spec.energy_source == "ERT estimated; ART estimated"
    assert spec.energy_report.get("shared_glb", "read").estimator == "sram_cacti7"
    ev = api.evaluate(spec)
    assert ev.valid and ev.energy_pJ > 0 and not ev.area_missing and ev.area_um2 > 0
    assert ev.leak_energy_pJ > 0 and not ev.leak_missing


def test_a_table_directory_named_by_the_arch_changes_only_that_level():
    sram, mram = (api.evaluate(api.load([a, PROBLEM, MAP])) for a in (SRAM, MRAM))
    assert mram.levels["shared_glb"].energy_pJ > sram.levels["shared_glb"].energy_pJ
    for name in ("DRAM", "psum_spad", "mac"):
        assert mram.levels[name].energy_pJ == sram.levels[name].energy_pJ
    assert sram.cycles == mram.cycles


def test_energy_tables_option_and_arch_override(tmp_path, capsys):
    table = tmp_path / "tables" / "glb.yaml"
    table.parent.mkdir()
    table.write_text(yaml.safe_dump({
        "name": "my_sram", "source": "test", "accuracy": 95, "technology": "65nm",
        "entries": [{"class": "smartbuffer_SRAM", "action": "read|write|update", "energy": 3.0}]}))
    spec = api.load([SRAM, PROBLEM, MAP], energy_tables=[table.parent])
    assert spec.tables.energy("shared_glb", "read") == 3.0
    arch = SRAM.read_text().replace("attributes: {n_banks: 32}",
                                    "attributes: {n_banks: 32, energy: {read: 1.5}}")
    (tmp_path / "arch.yaml").write_text(arch)
    spec = api.load([tmp_path / "arch.yaml", PROBLEM, MAP], energy_tables=[table.parent])
    assert spec.tables.energy("shared_glb", "read") == 1.5       # the arch file wins
    assert spec.tables.energy("shared_glb", "write") == 3.0
    assert spec.energy_report.get("shared_glb", "read").override
    assert main(["model", str(tmp_path / "arch.yaml"), str(PROBLEM), str(MAP),
                 "--energy-tables", str(table.parent), "-o", str(tmp_path / "o")]) == 0
    glb = json.loads((tmp_path / "o" / "stats.json").read_text())["levels"]["shared_glb"]
    inputs = glb["dataspaces"]["Inputs"]
    # block size 8: ceil(774144/8) reads x 1.5 pJ + ceil(165888/8) fills x 3.0 pJ
    assert inputs["energy_pJ"] == pytest.approx(96768 * 1.5 + 20736 * 3.0)


def test_mapper_energy_writes_accelergy_tables(tmp_path, capsys):
    out = tmp_path / "ert.yaml"
    assert main(["energy", str(MRAM), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "nvm_nvsim_65nm" in printed and "ERT estimated" in printed
    tables = read_ert(yaml.safe_load(out.read_text()), str(out))
    assert tables.energy("shared_glb", "write") == 101.065      # NVSim's STT-RAM write
    assert "system_top_level.psum_spad[1..168]" in out.read_text()


def test_an_ert_file_is_used_as_given():
    arch = ROOT / "tests" / "data" / "timeloop" / "archs" / "eyeriss_like.yaml"
    spec = api.load([arch, PROBLEM, MAP])
    assert spec.energy_source.startswith("ERT from") and spec.energy_report is None
    assert spec.tables.energy("shared_glb", "read") == 18.183829


def test_energy_warnings_say_where_their_details_are(tmp_path, capsys):
    """The warnings name what was extrapolated; `mapper model` points at `mapper energy`,
    whose report holds each number's estimator and notes; `mapper energy` prints that report
    itself. (An 8 MiB global buffer is beyond every built-in SRAM table.)"""
    big = ["--set", "glb_kb=8192"]
    assert main(["model", "eyeriss_like", str(PROBLEM), str(MAP), *big, "-o", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "see the report" not in err and "report's notes" not in err
    warned = [line for line in err.splitlines() if line.startswith("warning: energy: ")]
    assert len(warned) >= 1 and "extrapolated beyond their table's range: " in warned[0]
    assert "shared_glb.read (" in warned[0]
    assert err.splitlines().count(
        "note: energy: `mapper energy ARCH` (with this run's --set, --params and "
        "--energy-tables) lists every energy and area with the estimator that supplied it and "
        "its notes") == 1
    assert main(["energy", "eyeriss_like", *big]) == 0
    out, err = capsys.readouterr()
    assert "mapper energy ARCH" not in err and "warning: energy: extrapolated" in err
    glb_read = next(line for line in out.splitlines() if line.startswith("shared_glb ")
                    and " read " in line)
    assert "extrapolated" in glb_read


def test_a_number_no_estimator_supplies_is_marked_and_left_out(capsys, tmp_path):
    arch = tmp_path / "arch.yaml"
    arch.write_text(SRAM.read_text().replace("class: intmac", "class: fpmac"))
    assert main(["energy", str(arch)]) == 0
    out, err = capsys.readouterr()
    mac_leak = next(line for line in out.splitlines() if line.startswith("mac ")
                    and " leak " in line)
    assert "not estimated" in mac_leak and " - " in mac_leak
    assert "left out of the tables" in err and "mac.leak" in err


METADATA_ARCH = ROOT / "tests" / "data" / "energy" / "metadata_buffer.yaml"


def test_mapper_energy_lists_the_metadata_actions_of_a_compound_class(tmp_path, capsys):
    """A Sparseloop-style metadata buffer (a compound class whose metadata_read and
    metadata_write are its metadata register file's read and write): `mapper energy` prints
    them with their source and writes them in the ERT, as Accelergy's ERT lists every action
    of a compound class; the API's tables hold the same numbers."""
    out = tmp_path / "ert.yaml"
    assert main(["energy", str(METADATA_ARCH), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    rows = {tuple(line.split()[:2]): line for line in printed.splitlines()
            if line.startswith("GLB ")}
    for action in ("metadata_read", "metadata_write", "metadata_update", "decompression_count"):
        assert ("GLB", action) in rows, action
        assert "compound class metadata_buffer" in rows["GLB", action]
    assert "metadata_storage.read" in rows["GLB", "metadata_read"]
    written = read_ert(yaml.safe_load(out.read_text()), str(out))
    spec = api.load([METADATA_ARCH], need_mapping=False, need_workload=False)
    # the metadata store priced alone: a 64 x 8-bit register file at 45 nm
    from energy import Component, estimate_tables
    alone, _ = estimate_tables([
        Component("m", "regfile", {"width": 8, "depth": 64, "technology": "45nm"}),
        Component("s", "SRAM", {"width": 64, "depth": 1024, "technology": "45nm"})])
    for action, part in (("metadata_read", "read"), ("metadata_write", "write"),
                         ("metadata_update", "write")):
        assert spec.tables.energy("GLB", action) == pytest.approx(alone.energy("m", part))
        assert written.energy("GLB", action) == pytest.approx(alone.energy("m", part))
        assert "compound components" in spec.tables.source[("GLB", action)]
    # the data actions are the 1024 x 64-bit SRAM's
    assert spec.tables.energy("GLB", "read") == pytest.approx(alone.energy("s", "read"))
    # metadata_counter_width 0: the counters have no cells and cost nothing
    assert written.energy("GLB", "decompression_count") == 0.0
    # the area is both stores' (the counters have none): the data SRAM's and the register file's
    assert spec.tables.area("GLB") == pytest.approx(alone.area("s") + alone.area("m"))
    assert alone.area("m") > 0
