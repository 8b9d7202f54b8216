"""Where estimators come from and which one wins: tables on a path, entry points, run time."""
from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

from energy import (Component, Estimate, EstimationError, EstimationWarning, ExtrapolationWarning,
                    Registry, estimate_tables, search_path)
from energy.estimator import BUILTIN_TABLES

GLB = Component("shared_glb", "smartbuffer_SRAM",
                {"depth": 16384, "width": 64, "datawidth": 8, "technology": "45nm"})
#: the built-in estimator that answers GLB (CACTI's table, accuracy 80)
BUILTIN_SRAM = "sram_cacti7"
MRAM_TABLE = """
source: test data
accuracy: {acc}
technology: 45nm
interpolate: {{capacity_bytes: log}}
entries:
  - {{class: SRAM, action: read, width: 64, capacity_bytes: 131072, energy: 7.5}}
  - {{class: SRAM, action: write, width: 64, capacity_bytes: 131072, energy: 30}}
"""


def ert(components, **kw):
    kw.setdefault("entry_points", False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        return estimate_tables(components, **kw)


def test_a_table_dropped_in_a_directory_changes_the_ert(tmp_path):
    base, _ = ert([GLB])
    (tmp_path / "my_sram.yaml").write_text(MRAM_TABLE.format(acc=90))
    new, report = ert([GLB], search_path=[tmp_path])
    assert base.energy("shared_glb", "read") != 7.5
    assert new.energy("shared_glb", "read") == 7.5 and new.energy("shared_glb", "write") == 30
    rec = report.get("shared_glb", "read")
    assert rec.estimator == "my_sram" and rec.origin == "table"
    assert str(tmp_path / "my_sram.yaml") in new.source[("shared_glb", "read")]
    assert rec.runners_up[0].estimator == BUILTIN_SRAM  # the built-in it beat


def test_a_less_accurate_table_loses(tmp_path):
    (tmp_path / "t.yaml").write_text(MRAM_TABLE.format(acc=10))
    _, report = ert([GLB], search_path=[tmp_path])
    rec = report.get("shared_glb", "read")
    assert rec.estimator == BUILTIN_SRAM and rec.runners_up[-1].estimator == "t"


def test_ties_go_to_the_user_table_then_search_path_order(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    (a / "ta.yaml").write_text(MRAM_TABLE.format(acc=85))
    (b / "tb.yaml").write_text(MRAM_TABLE.format(acc=85).replace("7.5", "8.5"))
    _, rep = ert([GLB], search_path=[b, a])
    assert rep.get("shared_glb", "read").estimator == "tb"
    _, rep = ert([GLB], search_path=[a, b])
    assert rep.get("shared_glb", "read").estimator == "ta"  # deterministic, not dict order


def test_search_path_order_and_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ENERGY_TABLES_PATH", f"{tmp_path / 'e1'}:{tmp_path / 'e2'}")
    paths = search_path(cli_dirs=[tmp_path / "cli"], arch_dirs=[tmp_path / "arch"])
    assert [p.name for p in paths] == ["cli", "arch", "e1", "e2"]


def test_arch_named_table_directories(tmp_path):
    from energy.estimator import arch_table_dirs
    assert arch_table_dirs({"energy_tables": "tables"}, tmp_path) == [tmp_path / "tables"]
    assert arch_table_dirs({"energy_tables": ["a", "/abs"]}, tmp_path) == [tmp_path / "a",
                                                                           Path("/abs")]
    assert arch_table_dirs({}, tmp_path) == []
    with pytest.raises(EstimationError, match="energy_tables"):
        arch_table_dirs({"energy_tables": 3}, tmp_path)


def test_runtime_plugin_and_its_float_answer():
    class Oracle:
        name = "oracle"

        def supports(self, cls, action, attrs):
            return 99 if cls == "smartbuffer_SRAM" and action == "read" else None

        def estimate(self, cls, action, attrs):
            return 1.25

    tables, report = ert([GLB], plugins=[Oracle()])
    assert tables.energy("shared_glb", "read") == 1.25
    assert report.get("shared_glb", "read").origin == "runtime"
    assert report.get("shared_glb", "write").estimator == BUILTIN_SRAM


def test_arch_override_wins_over_everything():
    class Perfect:
        name = "perfect"

        def supports(self, cls, action, attrs):
            return 100

        def estimate(self, cls, action, attrs):
            return 123.0

    comp = Component("shared_glb", "smartbuffer_SRAM",
                     {**GLB.attributes, "energy": {"read": 2.5}, "write_energy": 3.5, "area": 1e5})
    tables, report = ert([comp], plugins=[Perfect()])
    assert tables.energy("shared_glb", "read") == 2.5
    assert tables.energy("shared_glb", "write") == 3.5
    assert tables.area("shared_glb") == 1e5
    assert tables.energy("shared_glb", "update") == 123.0  # not overridden
    rec = report.get("shared_glb", "read")
    assert rec.override and rec.estimator == "arch attributes"
    assert rec.runners_up[0].estimator == "perfect" and rec.runners_up[0].value == 123.0
    assert tables.source[("shared_glb", "read")] == "arch attributes"


def _install_plugin(tmp_path, monkeypatch, accuracy):
    """A tiny installed package: a module and a dist-info with an entry point (offline, fast)."""
    pkg = tmp_path / f"site{accuracy}"
    (pkg / "tiny_energy_plugin").mkdir(parents=True)
    (pkg / "tiny_energy_plugin" / "__init__.py").write_text(textwrap.dedent(f"""
        class Estimator:
            name = "tiny"
            def supports(self, cls, action, attrs):
                return {accuracy} if cls == "smartbuffer_SRAM" and action == "read" else None
            def estimate(self, cls, action, attrs):
                return 4.0
        """))
    dist = pkg / "tiny_energy_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: tiny-energy-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[energy.estimators]\ntiny = tiny_energy_plugin:Estimator\n")
    monkeypatch.syspath_prepend(str(pkg))
    monkeypatch.delitem(sys.modules, "tiny_energy_plugin", raising=False)


def test_entry_point_plugin_is_discovered_and_wins_when_more_accurate(tmp_path, monkeypatch):
    _install_plugin(tmp_path, monkeypatch, accuracy=95)
    tables, report = ert([GLB], entry_points=True)
    rec = report.get("shared_glb", "read")
    assert tables.energy("shared_glb", "read") == 4.0
    assert (rec.estimator, rec.origin, rec.accuracy) == ("tiny", "entry point", 95)


def test_entry_point_plugin_loses_when_less_accurate(tmp_path, monkeypatch):
    _install_plugin(tmp_path, monkeypatch, accuracy=5)
    _, report = ert([GLB], entry_points=True)
    rec = report.get("shared_glb", "read")
    assert rec.estimator == BUILTIN_SRAM
    assert any(c.estimator == "tiny" and c.value == 4.0 for c in rec.runners_up)


def test_broken_entry_point_warns_and_is_skipped(tmp_path, monkeypatch):
    pkg = tmp_path / "broken"
    dist = pkg / "broken_plugin-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[energy.estimators]\nbroken = no_such_module:X\n")
    monkeypatch.syspath_prepend(str(pkg))
    with pytest.warns(EstimationWarning, match="broken = no_such_module:X.*not used"):
        Registry().load_entry_points()


def test_unanswerable_action_names_component_action_and_files(tmp_path):
    hbm3 = Component("DRAM", "DRAM", {"type": "HBM3", "width": 64})
    with pytest.raises(EstimationError) as e:
        ert([hbm3])
    msg = str(e.value)
    assert "action 'read' of component 'DRAM' (class DRAM)" in msg
    assert "dram.yaml" in msg and "horowitz_45nm.yaml" in msg
    assert "type: component gives 'HBM3', table has" in msg and "LPDDR4" in msg


def test_optional_actions_are_left_out_not_zero(tmp_path):
    # a class a user table declares with read and write energies only
    (tmp_path / "mram.yaml").write_text(MRAM_TABLE.format(acc=90).replace(
        "entries:", "classes: [{name: MRAM, kind: storage}]\nentries:").replace(
        "class: SRAM", "class: MRAM"))
    glb = Component("shared_glb", "MRAM", GLB.attributes)
    with pytest.warns(EstimationWarning, match="shared_glb.leak"):
        tables, report = estimate_tables([glb], search_path=[tmp_path], entry_points=False)
    assert tables.energy("shared_glb", "leak") is None and tables.area("shared_glb") is None
    assert report.get("shared_glb", "leak").value is None
    assert {(r.component, r.action) for r in report.missing} == {("shared_glb", "leak"),
                                                                  ("shared_glb", "area")}


def test_extrapolation_warns_and_the_record_says_so():
    spad = Component("ifmap_spad", "smartbuffer_RF",
                     {"depth": 12, "width": 16, "datawidth": 8, "technology": "65nm"})
    # the Eyeriss table alone (the register-file model would answer more accurately)
    reg = Registry()
    reg.add_tables(BUILTIN_TABLES / "eyeriss_65nm.yaml", "built-in")
    with pytest.warns(ExtrapolationWarning, match="ifmap_spad.read"):
        warnings.simplefilter("ignore", EstimationWarning)
        warnings.simplefilter("always", ExtrapolationWarning)
        tables, report = estimate_tables([spad], registry=reg)
    rec = report.get("ifmap_spad", "read")
    assert rec.extrapolated and "extrapolated capacity_bytes=24 from 512" in rec.note
    assert rec.accuracy == 65 - 20


def test_update_falls_back_to_write_and_says_so():
    _, report = ert([GLB])
    rec = report.get("shared_glb", "update")
    assert rec.value == report.get("shared_glb", "write").value
    assert "update := write" in rec.note


def test_plugin_returning_garbage_is_an_error():
    class Bad:
        name = "bad"

        def supports(self, cls, action, attrs):
            return 100

        def estimate(self, cls, action, attrs):
            return Estimate(-1.0)

    with pytest.raises(EstimationError, match="estimator bad returned -1.0"):
        ert([GLB], plugins=[Bad()])


def test_energy_never_imports_mapper():
    code = ("import sys, energy, energy.estimate, energy.estimator, energy.table_io, "
            "energy.components, energy.scaling, energy.ert\n"
            "energy.estimate_tables([energy.Component('m', 'intmac', {'datawidth': 8, "
            "'technology': '45nm'})], entry_points=False)\n"
            "bad = [m for m in sys.modules if m == 'mapper' or m.startswith('mapper.')]\n"
            "assert not bad, bad")
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
