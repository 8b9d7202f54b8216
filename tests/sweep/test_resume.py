"""A sweep killed midway (SIGKILL) and run again: no finished layer is searched again, no
finished run recomputed, and the tables are those of a sweep never interrupted. Ctrl-C and
SIGTERM stop it cleanly with what is done, and no worker process outlives the command."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from mapper.sweep import run

from .helpers import write_spec

ROOT = Path(__file__).resolve().parents[2]
DESIGNS = "[{template: eyeriss_like, grid: {pe_rows: [8, 12], glb_kb: [64, 128]}}]"


#: 4 designs x 2 batch sizes x 2 distinct layers (the fc layer occurs twice)
LAYER_TASKS = 16


def start(spec: Path, out: Path, cache: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "mapper", "sweep", str(spec), "-o", str(out),
                             "--cache-dir", str(cache), *extra], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)        # its own process group


def finished(out: Path, table: str) -> dict:
    db = sqlite3.connect(out / "sweep.db")
    try:
        return dict(db.execute(f"SELECT key, finished FROM {table}"))
    finally:
        db.close()


def wait_for_runs(out: Path, n: int, proc: subprocess.Popen, limit_s: float = 120,
                  table: str = "runs") -> dict:
    """Poll the store until it holds at least ``n`` rows of ``table``; their finish times."""
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        assert proc.poll() is None, "the sweep ended before it could be stopped"
        if (out / "sweep.db").exists():
            try:
                db = sqlite3.connect(out / "sweep.db")
                rows = dict(db.execute(f"SELECT key, finished FROM {table}"))
                db.close()
            except sqlite3.OperationalError:      # created but not set up yet
                rows = {}
            if len(rows) >= n:
                return rows
        time.sleep(0.05)
    raise AssertionError("the sweep stored nothing in time")


def test_killed_and_run_again_recomputes_nothing_and_gives_the_same_tables(tmp_path):
    spec = write_spec(tmp_path, DESIGNS, batch="[1, 2]")
    out, cache = tmp_path / "out", tmp_path / "cache"
    proc = start(spec, out, cache)
    try:
        before = wait_for_runs(out, 3, proc)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    before = finished(out, "runs")                # all committed before the kill
    layers_before = finished(out, "layer_results")
    assert 3 <= len(before) < 8 and len(layers_before) < LAYER_TASKS
    resumed = run(spec, out, cache_dir=cache)
    assert (resumed.reused, resumed.ran) == (len(before), 8 - len(before))
    # no finished layer searched again: the rest of the layer tasks, and only those
    assert resumed.layers_searched == LAYER_TASKS - len(layers_before)
    after, layers_after = finished(out, "runs"), finished(out, "layer_results")
    assert len(after) == 8 and all(after[k] == t for k, t in before.items())   # not re-run
    assert len(layers_after) == LAYER_TASKS
    assert all(layers_after[k] == t for k, t in layers_before.items())
    # the same sweep, never interrupted, in another directory with another layer cache
    whole = run(spec, tmp_path / "whole", cache_dir=tmp_path / "cache2")
    assert whole.ran == 8 and whole.layers_searched == LAYER_TASKS
    for name in ("results.csv", "pareto.csv"):
        assert (out / name).read_text() == (tmp_path / "whole" / name).read_text()


def test_ctrl_c_stops_with_what_is_done_stored(tmp_path):
    spec = write_spec(tmp_path, DESIGNS, batch="[1, 2]")
    out, cache = tmp_path / "out", tmp_path / "cache"
    proc = start(spec, out, cache)
    try:
        wait_for_runs(out, 2, proc)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted: the finished layers and runs are stored" in err
    assert "Traceback" not in err
    table = (out / "results.csv").read_text()
    done = table.count(",ok,")
    assert 2 <= done < 8 and table.count(",not run,") == 8 - done
    resumed = run(spec, out, cache_dir=cache)
    assert resumed.reused == done and resumed.ran == 8 - done and not resumed.stopped


def test_killed_between_layers_no_finished_layer_is_searched_again(tmp_path):
    """Killed after some layers but (with one design) before its runs could be assembled."""
    spec = write_spec(tmp_path, "[{template: eyeriss_like, grid: {pe_rows: [8]}}]",
                      batch="[1, 2]")
    out, cache = tmp_path / "out", tmp_path / "cache"
    proc = start(spec, out, cache)
    try:
        wait_for_runs(out, 1, proc, table="layer_results")
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    layers_before = finished(out, "layer_results")
    resumed = run(spec, out, cache_dir=tmp_path / "other-cache")    # the store alone suffices
    assert resumed.layers_reused == len(layers_before) >= 1
    assert resumed.layers_searched == 4 - len(layers_before)
    assert all(finished(out, "layer_results")[k] == t for k, t in layers_before.items())
    whole = run(spec, tmp_path / "whole", cache_dir=None)
    assert resumed.rows == whole.rows


def _processes_in_group(pgid: int) -> list[str]:
    out = subprocess.run(["ps", "-o", "pid=,args=", "-g", str(pgid)], capture_output=True,
                         text=True).stdout
    return [line for line in out.splitlines() if line.strip()]


def test_sigterm_stops_cleanly_and_no_worker_survives(tmp_path):
    spec = write_spec(tmp_path, DESIGNS, batch="[1, 2]")
    out, cache = tmp_path / "out", tmp_path / "cache"
    proc = start(spec, out, cache, "--jobs", "2")
    try:
        wait_for_runs(out, 2, proc, table="layer_results")
        assert len(_processes_in_group(proc.pid)) > 1         # joblib's workers are running
        proc.send_signal(signal.SIGTERM)                      # to the command only, as kill does
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 143, err
    assert "terminated: the finished layers and runs are stored" in err
    assert "Traceback" not in err
    end = time.monotonic() + 10                               # workers exit within seconds
    while _processes_in_group(proc.pid) and time.monotonic() < end:
        time.sleep(0.1)
    assert _processes_in_group(proc.pid) == []
    done = finished(out, "layer_results")
    resumed = run(spec, out, cache_dir=cache, jobs=2)
    assert not resumed.stopped and resumed.layers_searched == LAYER_TASKS - len(done)
    assert [r["status"] for r in resumed.rows] == ["ok"] * 8
