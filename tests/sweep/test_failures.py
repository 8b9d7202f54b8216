"""A design whose layer search fails is a row with its status and reason, in the store and in
results.csv; the sweep goes on with the other designs, the exit status counts the failed
designs, and a rerun recomputes neither the good design nor a failure of the design's own."""
from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

from mapper.cli import main
from mapper.spec.errors import SpecError
from mapper.sweep import run

from .helpers import write_spec

TEMPLATE = Path(__file__).resolve().parents[2] / "arch_templates" / "eyeriss_like.yaml"
PSUM = 'temporal: {factors: "N=1,C=1,R=1,S=1,P=1,Q=1", permutation: NCPQRSM}'


def table(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text())))


def no_mapping_arch(tmp: Path) -> Path:
    """eyeriss_like with M=8 forced into the psum scratchpad, which holds 4 partial sums:
    each constraint alone is fine (8 divides both layers' M), together no mapping fits."""
    text = TEMPLATE.read_text()
    assert PSUM in text and "psum_spad_depth: 16 " in text
    path = tmp / "tight.yaml"
    path.write_text(text.replace(PSUM, PSUM.replace("Q=1", "Q=1,M=8"))
                    .replace("psum_spad_depth: 16 ", "psum_spad_depth: 4  "))
    return path


def test_a_layer_with_no_mapping_fails_its_design_only(tmp_path, capsys):
    no_mapping_arch(tmp_path)
    spec = write_spec(tmp_path, "[{arch: tight.yaml, name: tight}, "
                                "{template: eyeriss_like, grid: {pe_rows: [8]}}]",
                      layers=("fc_512_1000", "conv1x1_64_128_28_s2"))
    out = tmp_path / "out"
    args = ["sweep", str(spec), "-o", str(out), "--no-cache"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "1 of 2 designs failed" in err and "Traceback" not in err
    bad, good = table(out / "results.csv")
    assert (bad["design"], bad["status"], good["status"]) == ("tight", "failed", "ok")
    why = ("no mapping for 2 layer(s): layer l0: infeasible (Outputs tile at psum_spad needs "
           "at least 8 words with M=8, but the level holds 4")
    assert bad["reason"].startswith(why) and "layer l1: infeasible" in bad["reason"]
    assert f"error: design tight: {why}" in err
    # no metrics for a network with unmapped layers, not on the front, not in breakdown.csv
    assert bad["energy_per_inference_pJ"] == bad["cycles"] == "" and bad["pareto"] == "false"
    assert float(good["energy_per_inference_pJ"]) > 0 and good["pareto"] == "true"
    assert {r["design"] for r in table(out / "breakdown.csv")} == {good["design"]}
    db = sqlite3.connect(out / "sweep.db")
    assert sorted(db.execute("SELECT design, status, reason FROM runs")) == [
        ("eyeriss_like[pe_rows=8]", "ok", ""), ("tight", "failed", bad["reason"])]
    db.close()
    # again: both runs from the store, nothing searched, the same tables and exit status
    first = (out / "results.csv").read_text()
    again = run(spec, out, cache_dir=None)
    assert (again.reused, again.ran, again.layers_searched) == (2, 0, 0)
    assert again.failed_designs == ["tight"] and (out / "results.csv").read_text() == first
    assert main(args) == 1 and "1 of 2 designs failed" in capsys.readouterr().err


def test_an_arch_error_in_a_layer_task_is_stored_a_bug_is_retried(tmp_path, monkeypatch):
    """A SpecError raised by a layer's search (the design's fault) fails the run, stored with
    the reason; any other exception (a bug of mapper) fails it too, but is not stored, so the
    next sweep searches that design again, and only that design."""
    import mapper.network.run as network_run
    search_layer = network_run.search_layer
    raised = {"error": SpecError("tight.yaml: the psum scratchpad cannot be built")}

    def failing(inputs, settings, *, context):
        if inputs.arch.compute.instances == 12 * 14:        # the pe_rows=12 design
            raise raised["error"]
        return search_layer(inputs, settings, context=context)

    monkeypatch.setattr(network_run, "search_layer", failing)
    spec = write_spec(tmp_path, "[{template: eyeriss_like, grid: {pe_rows: [8, 12]}}]",
                      layers=("fc_512_1000",))
    out = tmp_path / "out"
    first = run(spec, out, cache_dir=None)
    assert [r["status"] for r in first.rows] == ["ok", "failed"]
    assert first.rows[1]["reason"] == ("invalid design: layer l0: tight.yaml: the psum "
                                       "scratchpad cannot be built")
    again = run(spec, out, cache_dir=None)                  # stored: not searched again
    assert (again.reused, again.ran, again.layers_searched) == (2, 0, 0)
    assert again.rows == first.rows

    raised["error"] = RuntimeError("a bug")
    other = tmp_path / "other"
    buggy = run(spec, other, cache_dir=None)
    assert buggy.rows[1]["status"] == "failed"
    assert buggy.rows[1]["reason"] == "internal error: layer l0: RuntimeError: a bug"
    db = sqlite3.connect(other / "sweep.db")
    assert [d for (d,) in db.execute("SELECT design FROM runs")] == ["eyeriss_like[pe_rows=8]"]
    db.close()
    monkeypatch.setattr(network_run, "search_layer", search_layer)
    fixed = run(spec, other, cache_dir=None)                # the bug fixed: searched now
    assert (fixed.reused, fixed.ran, fixed.layers_searched) == (1, 1, 1)
    assert [r["status"] for r in fixed.rows] == ["ok", "ok"] and fixed.rows[0] == buggy.rows[0]
