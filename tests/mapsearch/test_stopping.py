"""Stopping a search: Ctrl-C (SIGINT to the process group), SIGTERM and --time-limit return the
best mapping so far with all outputs, for any --jobs; no worker process outlives the command,
not even when the command itself is killed."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from mapper.cli import main
from mapper.mapsearch import Objective, StopFlag, StopReason, run_search
from mapper.mapsearch.run import worker_pool
from mapper.mapsearch.stopping import interrupted_after, stop_on_signals
from mapper.mapsearch.workers import LocalContext, Task, WorkerError, WorkerPool

from .test_pipeline import _fanout_case

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ROOT / "problems" / "layers" / "resnet18.yaml"
#: a search that takes minutes: optimal (its hybrid round alone is long) on a big layer
LONG = ["search", "simba_like", str(LAYERS), "--layer", "conv3x3_64_64_56",
        "--algorithm", "optimal"]
OUTPUTS = {"mapping.yaml", "stats.txt", "map.txt", "stats.json", ".mapper-outputs"}

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(),
                                reason="process checks read /proc")


# -- processes --------------------------------------------------------------------------------

def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, process group) of a process, None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    state, ppid, pgrp = text[text.rindex(")") + 2:].split()[:3]
    return state, int(ppid), int(pgrp)


def _living() -> dict[int, tuple[int, int]]:
    """Every living (not zombie) process: pid -> (parent pid, process group)."""
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _stat(int(entry))
            if st is not None and st[0] not in "ZX":
                out[int(entry)] = st[1:]
    return out


def descendants(pid: int) -> set[int]:
    """The living processes whose parent chain includes ``pid``."""
    procs, found = _living(), set()
    frontier = {pid}
    while frontier:
        frontier = {p for p, (ppid, _) in procs.items() if ppid in frontier} - found
        found |= frontier
    return found


def group(pgid: int) -> set[int]:
    """The living processes of a process group (reparented orphans included)."""
    return {p for p, (_, g) in _living().items() if g == pgid}


def gone_soon(pids: set[int], within: float = 5.0) -> set[int]:
    """Those of ``pids`` still alive after waiting up to ``within`` seconds."""
    end = time.monotonic() + within
    while time.monotonic() < end:
        left = {p for p in pids if (st := _stat(p)) is not None and st[0] not in "ZX"}
        if not left:
            return set()
        time.sleep(0.1)
    return left


class Mapper:
    """``python -m mapper ARGS`` in its own session (process group), output to files."""

    def __init__(self, tmp_path: Path, *args: str):
        self.out, self.err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        with open(self.out, "w") as out, open(self.err, "w") as err:
            self.proc = subprocess.Popen([sys.executable, "-m", "mapper", *args], cwd=tmp_path,
                                         stdout=out, stderr=err, env=env,
                                         start_new_session=True)

    def wait_for(self, pattern: str, timeout: float = 15.0) -> None:
        """Until stderr matches ``pattern`` (the progress line shows it)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if re.search(pattern, self.err.read_text()):
                return
            assert self.proc.poll() is None, self.err.read_text()
            time.sleep(0.1)
        self.kill()
        pytest.fail(f"no {pattern!r} within {timeout} s: {self.err.read_text()}")

    def signal_group(self, sig: int) -> int:
        """Send ``sig`` to the whole group (as a terminal's Ctrl-C does); the exit status."""
        os.killpg(self.proc.pid, sig)
        try:
            return self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"still running 20 s after signal {sig}")

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()


#: a progress line with a best objective value (a mapping was found)
HAS_BEST = r"best \d"


@pytest.mark.parametrize("sig, code, reason", [(signal.SIGINT, 130, "interrupted"),
                                               (signal.SIGTERM, 143, "terminated")])
@pytest.mark.parametrize("jobs", [1, 2])
def test_signal_returns_the_best_so_far_and_leaves_no_process(tmp_path, jobs, sig, code,
                                                               reason):
    if sig == signal.SIGTERM and jobs == 1:
        pytest.skip("one SIGTERM case is enough (the jobs=1 path is the same as for SIGINT)")
    run = Mapper(tmp_path, *LONG, "--jobs", str(jobs), "-o", "out")
    run.wait_for(HAS_BEST)
    workers = descendants(run.proc.pid)
    assert len(workers) == (jobs if jobs > 1 else 0)
    started = time.monotonic()
    assert run.signal_group(sig) == code, run.err.read_text()
    assert time.monotonic() - started < 8                      # the workers return promptly
    assert not gone_soon(workers | group(run.proc.pid), within=3)
    err = run.err.read_text()
    assert "Traceback" not in err and f"{reason}: wrote the best mapping found so far" in err
    assert {p.name for p in (tmp_path / "out").iterdir()} == OUTPUTS
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    assert stats["search"]["stopped_by"] == reason
    assert stats["search"]["proven_optimal"] is False and stats["valid"]
    assert stats["search"]["evaluated"] > 0


def test_time_limit_with_two_jobs_returns_the_best_so_far(tmp_path, capsys):
    started = time.monotonic()
    assert main([*LONG, "--jobs", "2", "--time-limit", "3", "-o", str(tmp_path)]) == 0
    assert time.monotonic() - started < 15
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert stats["search"]["stopped_by"] == "time limit"
    assert not stats["search"]["proven_optimal"]
    assert {p.name for p in tmp_path.iterdir()} == OUTPUTS
    assert not gone_soon(descendants(os.getpid()), within=3)


def test_killed_command_leaves_no_worker(tmp_path):
    """SIGKILL cannot be handled: the workers notice that their parent is gone."""
    run = Mapper(tmp_path, *LONG, "--jobs", "2", "-o", "out")
    run.wait_for(r"\[random\]")
    workers = descendants(run.proc.pid)
    assert len(workers) == 2
    os.kill(run.proc.pid, signal.SIGKILL)
    run.proc.wait()
    assert not gone_soon(workers, within=5)


def test_network_ctrl_c_writes_the_layers_so_far(tmp_path):
    run = Mapper(tmp_path, "network", "eyeriss_like", "resnet18", "--jobs", "2", "--no-cache",
                 "-o", "out")
    run.wait_for(r"\[layers 0/\d+\] .*best \d")
    workers = descendants(run.proc.pid)
    assert run.signal_group(signal.SIGINT) == 130
    assert not gone_soon(workers | group(run.proc.pid), within=3)
    err = run.err.read_text()
    assert "Traceback" not in err and "interrupted: wrote the layers searched so far" in err
    summary = json.loads((tmp_path / "out" / "network.json").read_text())
    assert not summary["complete"]
    status = {rec["searched_as"]: rec["status"] for rec in summary["layers"]}
    assert "not searched" in status.values()
    stopped = [rec for rec in summary["layers"] if rec["status"] == "mapped"]
    assert stopped and all(rec["search"]["stopped_by"] == "interrupted" for rec in stopped)
    for rec in stopped:
        assert (tmp_path / "out" / rec["mapping"]).exists()


# -- in this process: the flag, the handlers, the pool ----------------------------------------

def test_signals_set_the_flag_and_a_second_ctrl_c_raises():
    flag = StopFlag()
    before = signal.getsignal(signal.SIGINT)
    with stop_on_signals(flag):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)
        assert flag.reason() == StopReason.TERMINATED
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.5)
    assert signal.getsignal(signal.SIGINT) is before
    flag = StopFlag()
    with stop_on_signals(flag), flag.raising():
        with pytest.raises(KeyboardInterrupt):          # e.g. during a CP-SAT solve
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.5)
    assert flag.reason() == StopReason.INTERRUPTED


def test_a_search_that_does_not_return_after_a_stop_is_interrupted():
    """A phase that polls nothing gets a few seconds, then a KeyboardInterrupt (in a worker
    too, where SIGINT is ignored: the task is dropped there, not the worker killed)."""
    flag = StopFlag()
    started = time.monotonic()
    with stop_on_signals(flag):
        threading.Timer(0.2, flag.request, (StopReason.INTERRUPTED,)).start()
        with pytest.raises(KeyboardInterrupt):
            with interrupted_after(flag, grace_s=0.5):
                while True:
                    sum(range(1000))
    assert 0.6 < time.monotonic() - started < 3
    flag = StopFlag()
    with WorkerPool(1, flag) as pool:
        pids = set(pool.pids)
        done = list(pool.results([Task(busy)],
                                 on_report=lambda i, p: flag.request(StopReason.INTERRUPTED)))
        assert done == [] and pool.workers[0].proc.poll() is None      # alive, not killed
    assert not gone_soon(pids, within=2)


def test_run_search_stops_on_the_flag_with_any_jobs():
    model, space = _fanout_case()
    for jobs in (1, 2):
        flag = StopFlag()
        timer = threading.Timer(2.5, flag.request, (StopReason.INTERRUPTED,))
        timer.start()
        # a random search without a size: it would run until stopped
        result = run_search(model, space, Objective(), "random",
                            jobs=jobs, stop=flag)
        timer.cancel()
        assert result.stats.stopped_by == StopReason.INTERRUPTED
        assert result.best is not None and not result.stats.proven_optimal
        assert not gone_soon(descendants(os.getpid()), within=3)


def until_stopped(seconds: float, *, context) -> str:
    """A task that polls its stop flag."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if context.stop:
            return f"stopped: {context.stop.reason()}"
        if context.due():
            context.report(time.monotonic())
        time.sleep(0.01)
    return "done"


def deaf(seconds: float, *, context) -> str:
    """A task that never looks at its stop flag (it reports once that it runs)."""
    context.report("running")
    time.sleep(seconds)
    return "done"


def busy(*, context) -> str:
    """A task that computes without looking at its stop flag."""
    context.report("running")
    while True:
        sum(range(1000))


def fails(*, context) -> None:
    raise ValueError("broken task")


def test_pool_runs_tasks_and_reports_progress():
    seen = []
    with WorkerPool(2, StopFlag()) as pool:
        pids = set(pool.pids)
        done = dict(pool.results([Task(until_stopped, (0.5,)) for _ in range(3)],
                                 on_report=lambda i, p: seen.append(i)))
    assert done == {0: "done", 1: "done", 2: "done"}
    assert set(seen) == {0, 1, 2}
    assert not gone_soon(pids, within=1)
    assert LocalContext(StopFlag()).due()


def test_pool_stop_returns_running_tasks_and_drops_the_rest():
    flag = StopFlag()
    with WorkerPool(2, flag) as pool:
        threading.Timer(1.0, flag.request, (StopReason.INTERRUPTED,)).start()
        done = dict(pool.results([Task(until_stopped, (60,)) for _ in range(4)]))
    assert done == {0: "stopped: interrupted", 1: "stopped: interrupted"}


def test_pool_kills_workers_that_do_not_return_after_a_stop():
    flag = StopFlag()
    running = set()

    def stop_when_both_run(i, _):
        running.add(i)
        if running == {0, 1}:
            flag.request(StopReason.TERMINATED)
    with WorkerPool(2, flag, grace_s=1.0) as pool:
        pids = set(pool.pids)
        started = time.monotonic()
        done = dict(pool.results([Task(deaf, (60,)), Task(until_stopped, (60,))],
                                 on_report=stop_when_both_run))
    assert done == {1: "stopped: terminated"}
    assert time.monotonic() - started < 10
    assert not gone_soon(pids, within=1)


def test_pool_passes_on_a_tasks_error():
    with WorkerPool(1, StopFlag()) as pool:
        pids = set(pool.pids)
        with pytest.raises(ValueError, match="broken task"):
            list(pool.results([Task(fails)]))
    assert not gone_soon(pids, within=2)
    with WorkerPool(1, StopFlag()) as pool:
        os.kill(pool.pids[0], signal.SIGKILL)
        with pytest.raises(WorkerError, match="died"):
            list(pool.results([Task(deaf, (5,))]))


def loaded(module: str, *, context) -> bool:
    """Whether the worker has imported ``module`` (this test module does not)."""
    return module in sys.modules


def test_pool_preloads_modules_before_the_first_task():
    for preload, expected in (((), False), (("colorsys",), True)):
        with WorkerPool(1, StopFlag(), preload=preload) as pool:
            assert dict(pool.results([Task(loaded, ("colorsys",))])) == {0: expected}


def test_run_search_uses_the_callers_pool_and_leaves_it_open():
    model, space = _fanout_case()
    alone = run_search(model, space, Objective(), "optimal", jobs=1)
    flag = StopFlag()
    with worker_pool(2, flag) as pool:
        pids = set(pool.pids)
        for _ in range(2):                      # the same workers serve both searches
            result = run_search(model, space, Objective(), "optimal", jobs=2, stop=flag,
                                pool=pool)
            assert result.stats.proven_optimal
            assert result.best.edp == alone.best.edp
        assert set(pool.pids) == pids and all(w.alive for w in pool.workers)
    assert not gone_soon(pids, within=2)
