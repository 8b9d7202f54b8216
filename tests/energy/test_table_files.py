"""Table files: our YAML and CSV, Accelergy's table-based plug-in CSV, and bad input."""
from __future__ import annotations

import warnings

import pytest

from energy import (Component, EstimationWarning, ReferenceTables, Registry, TableError,
                    estimate_tables, read_art, read_ert, write_ert)
from energy.table_io import load_path

from .helpers import choose


def accelergy_set(root, technology="65nm", accuracy=95):
    """An Accelergy table set as accelergy-table-based-plug-ins lays it out."""
    (root / "data").mkdir(parents=True)
    (root / "eyeriss.table.yaml").write_text(
        f"name: eyeriss_tables\ntechnology: {technology}\naccuracy: {accuracy}\n"
        f"path_to_data_dir: ./data\n")
    (root / "data" / "regfile.csv").write_text(
        "technology,latency,width,depth,action,data_delta,address_delta,energy,area\n"
        "65nm,5ns,16,12,read,0,0,0.05,70\n"
        "65nm,5ns,16,12,read,1,1,0.21,70\n"
        "65nm,5ns,16,12,write,1,1,0.18,70\n")
    (root / "data" / "intmac.csv").write_text(
        "technology,latency,datawidth,num_pipeline_stages,action,energy,area\n"
        "65nm,5ns,16,2,mac_random,3,500\n65nm,5ns,16,2,mac_reused,2,500\n")


def test_accelergy_table_set(tmp_path):
    accelergy_set(tmp_path)
    reg = Registry()
    reg.add_tables(tmp_path)
    attrs = {"width": 16, "depth": 12, "technology": "65nm"}
    c = choose(reg, "smartbuffer_RF", "read", **attrs)
    # random access = the largest of the argument rows; ignored columns are named
    assert c.value == 0.21 and "ignored columns" in c.estimate.note and "latency" in c.estimate.note
    assert choose(reg, "regfile", "write", **attrs).value == 0.18
    assert choose(reg, "regfile", None, **attrs).value == 70
    mac = choose(reg, "intmac", "compute", datawidth=16, technology=65)
    assert mac.value == 3 and mac.estimate.accuracy == 95  # mac_random is compute
    # Accelergy matches exactly: another depth has no row (no interpolation declared)
    assert reg.estimators[0].supports("regfile", "read", {**attrs, "depth": 24,
                                                           "technology": 65.0}) is None


def test_accelergy_set_beats_builtins_for_eyeriss(tmp_path):
    accelergy_set(tmp_path)
    spad = Component("ifmap_spad", "smartbuffer_RF",
                     {"width": 16, "depth": 12, "datawidth": 8, "technology": "65nm"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        tables, report = estimate_tables([spad], search_path=[tmp_path], entry_points=False)
    assert tables.energy("ifmap_spad", "read") == 0.21
    assert report.get("ifmap_spad", "read").estimator == "eyeriss_tables"


def test_our_csv_with_metadata_comments_and_alias_columns(tmp_path):
    (tmp_path / "regs.csv").write_text(
        "# accuracy: 80\n# technology: 45nm\n# source: Aladdin register, per bit\n"
        "# interpolate: {width: linear}\n"
        "class,width|datawidth,action,energy,area\n"
        "aladdin_register,1,read,0.009,5.98\n"
        "aladdin_register,1,write|update,0,5.98\n"
        "aladdin_register,32,read,0.288,191.36\n")
    reg = Registry()
    reg.add_tables(tmp_path / "regs.csv")
    assert choose(reg, "register", "read", datawidth=16, technology=45).value == pytest.approx(
        0.009 + (0.288 - 0.009) * 15 / 31)
    assert choose(reg, "aladdin_register", "update", width=1, technology=45).value == 0


@pytest.mark.parametrize("entry,match", [
    ("{class: SRAM, action: read, energy: -1}", "negative value"),
    ("{class: SRAM, action: read, energy: lots}", "expected a number"),
    ("{class: SRAM, energy: 1}", "an energy needs an action"),
    ("{action: read, energy: 1}", "no 'class'"),
    ("{class: SRAM, action: read}", "neither energy nor area"),
])
def test_malformed_rows_name_file_and_row(tmp_path, entry, match):
    f = tmp_path / "bad.yaml"
    f.write_text(f"accuracy: 50\nentries:\n  - {{class: SRAM, action: write, energy: 1}}\n  - {entry}\n")
    with pytest.raises(TableError, match=rf"bad.yaml: entries\[1\].*{match}"):
        load_path(f)


def test_table_metadata_errors(tmp_path):
    f = tmp_path / "t.yaml"
    f.write_text("entries: []\n")
    with pytest.raises(TableError, match="state 'accuracy'"):
        load_path(f)
    f.write_text("accuracy: 50\naccurracy: 3\nentries: []\n")
    with pytest.raises(TableError, match="unknown table key.*accurracy"):
        load_path(f)
    f.write_text("accuracy: 50\ninterpolate: {width: cubic}\nentries: []\n")
    with pytest.raises(TableError, match="neither log nor linear"):
        load_path(f)


def test_non_table_yaml_in_a_directory_is_skipped_and_reported(tmp_path):
    (tmp_path / "arch.yaml").write_text("architecture: {}\n")
    reg = Registry()
    reg.add_tables(tmp_path)
    assert reg.estimators == [] and "arch.yaml: not a table" in reg.skipped[0]


def test_table_declares_a_new_class(tmp_path):
    (tmp_path / "mram.yaml").write_text(
        "accuracy: 80\ntechnology: 22nm\nclasses: [{name: MRAM, kind: storage, aliases: [stt_mram]}]\n"
        "entries:\n  - {class: MRAM, action: read|write, width: 64, energy: 3}\n")
    comp = Component("glb", "STT_MRAM", {"width": 64, "depth": 1024, "technology": "22nm"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        tables, _ = estimate_tables([comp], search_path=[tmp_path], entry_points=False)
    assert tables.energy("glb", "read") == 3 and tables.energy("glb", "update") == 3


def test_write_ert_round_trips_through_read_ert():
    t = ReferenceTables({"mac": {"compute": 0.2}, "glb": {"read": 18.0, "write": 14.0}},
                        {"mac": 191.8, "glb": 2e5})
    doc = write_ert(t, "system", instances={"mac": 168})
    assert doc["ERT"]["tables"][0]["name"] == "system.mac[1..168]"
    back = read_art(doc, "x", read_ert(doc, "x"))
    assert back.energy_pJ == t.energy_pJ and back.area_um2 == t.area_um2


def test_out_of_range_without_exponent_names_the_range(tmp_path):
    (tmp_path / "t.yaml").write_text(
        "accuracy: 80\ntechnology: 45nm\ninterpolate: {capacity_bytes: log}\nentries:\n"
        "  - {class: SRAM, action: read, capacity_bytes: 1024, energy: 1}\n"
        "  - {class: SRAM, action: read, capacity_bytes: 4096, energy: 2}\n")
    reg = Registry()
    reg.add_tables(tmp_path)
    assert choose(reg, "SRAM", "read", width=8, depth=2048, technology=45).value == pytest.approx(
        2 ** 0.5)
    with pytest.raises(Exception, match=r"capacity_bytes=8192 is outside the table's "
                                        r"capacity_bytes 1024\.\.4096.*no extrapolation exponent"):
        choose(reg, "SRAM", "read", width=8, depth=8192, technology=45)


def test_per_action_columns_and_leak_power(tmp_path):
    """One row per grid point: <action>_energy columns, leak_power in uW, area."""
    (tmp_path / "grid.csv").write_text(
        "# accuracy: 80\n# technology: 45nm\n# source: a generated grid\n"
        "# interpolate: {capacity_bytes: log}\n"
        "class,capacity_bytes,width,read_energy,write_energy,leak_power,area\n"
        "SRAM,1024,32,1.0,2.0,5.0,1000\n"
        "SRAM,4096,32,2.0,4.0,20.0,4000\n")
    reg = Registry()
    reg.add_tables(tmp_path)
    q = {"width": 32, "depth": 512, "technology": 45}            # 2 KiB: between the rows
    assert choose(reg, "SRAM", "read", **q).value == pytest.approx(2 ** 0.5)
    assert choose(reg, "SRAM", "write", **q).value == pytest.approx(2 * 2 ** 0.5)
    assert choose(reg, "SRAM", None, **q).value == pytest.approx(2000)
    # 10 uW for 2 ns per cycle = 0.02 pJ per cycle; 1 GHz assumed and said when no clock
    leak = choose(reg, "SRAM", "leak", **q, global_cycle_seconds=2e-9)
    assert leak.value == pytest.approx(10e-6 * 2e-9 * 1e12)
    assumed = choose(reg, "SRAM", "leak", **q)
    assert assumed.value == pytest.approx(0.01) and "1 GHz clock is assumed" in assumed.estimate.note


@pytest.mark.parametrize("row,match", [
    ("SRAM,1,read,1.0,", "not both"),
])
def test_per_action_columns_exclude_action(tmp_path, row, match):
    (tmp_path / "bad.csv").write_text("# accuracy: 50\nclass,width,action,read_energy,area\n"
                                      + row + "\n")
    with pytest.raises(TableError, match=match):
        Registry().add_tables(tmp_path)


def test_a_table_file_read_again_is_cached_until_it_changes(tmp_path):
    import os
    path = tmp_path / "t.yaml"
    path.write_text("accuracy: 50\nentries:\n  - {class: SRAM, action: read, energy: 1.5}\n")
    first = load_path(path)[0][0]
    assert load_path(path)[0][0].rows is first.rows            # parsed once
    path.write_text("accuracy: 50\nentries:\n  - {class: SRAM, action: read, energy: 2.5}\n")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert load_path(path)[0][0].rows[0].energy == 2.5
