"""A sweep killed midway (SIGKILL) and run again: nothing finished is recomputed, and the
tables are those of a sweep never interrupted. Ctrl-C stops it cleanly with what is done."""
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


def start(spec: Path, out: Path, cache: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "mapper", "sweep", str(spec), "-o", str(out),
                             "--cache-dir", str(cache)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_for_runs(out: Path, n: int, proc: subprocess.Popen, limit_s: float = 120) -> dict:
    """Poll the store until it holds at least ``n`` runs; their finish times by key."""
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        assert proc.poll() is None, "the sweep ended before it could be stopped"
        if (out / "sweep.db").exists():
            try:
                db = sqlite3.connect(out / "sweep.db")
                rows = dict(db.execute("SELECT key, finished FROM runs"))
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
    db = sqlite3.connect(out / "sweep.db")
    before = dict(db.execute("SELECT key, finished FROM runs"))   # all committed before the kill
    db.close()
    assert 3 <= len(before) < 8
    resumed = run(spec, out, cache_dir=cache)
    assert (resumed.reused, resumed.ran) == (len(before), 8 - len(before))
    db = sqlite3.connect(out / "sweep.db")
    after = dict(db.execute("SELECT key, finished FROM runs"))
    assert len(after) == 8 and all(after[k] == t for k, t in before.items())   # not re-run
    # the same sweep, never interrupted, in another directory with another layer cache
    whole = run(spec, tmp_path / "whole", cache_dir=tmp_path / "cache2")
    assert whole.ran == 8
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
    assert "interrupted: the finished runs are stored" in err and "Traceback" not in err
    table = (out / "results.csv").read_text()
    done = table.count(",ok,")
    assert 2 <= done < 8 and table.count(",not run,") == 8 - done
    resumed = run(spec, out, cache_dir=cache)
    assert resumed.reused == done and resumed.ran == 8 - done and not resumed.stopped
