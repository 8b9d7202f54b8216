"""One benchmark case in a fresh process, so that its wall time and peak memory are its own.

Used by ``search_vs_reference.py`` and ``search_templates.py``: the parent starts the script
again with ``--case JSON`` in a new session, samples the peak resident memory (VmHWM) of every
process of that session from /proc while it runs, and kills the whole session at a hard
wall-clock limit. The case process prints one result line (:func:`report`), including its own
``getrusage`` peaks; the figures shown are the larger of the sampled and the reported ones.
"""
from __future__ import annotations

import argparse

import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

RESULT_MARK = "@@case-result "
_KIB = 1024 * 1024 if sys.platform == "darwin" else 1024     # ru_maxrss units per MiB


@dataclass
class CaseRun:
    """What the parent saw of one case."""

    status: str                 # "ok" (a result was printed), "killed", "crash"
    result: dict | None         # the case's result line
    wall_s: float               # the whole process: start-up, reading, search, check
    main_mib: float | None      # peak resident memory of the case's main process
    workers_mib: float | None   # of its largest worker process (None: no workers seen)
    detail: str = ""            # the last line of stderr of a crash


# -- in the parent -------------------------------------------------------------------------

def run_case(argv: list[str], kill_after: float, poll_s: float = 0.25) -> CaseRun:
    """Run ``argv`` (a script with ``--case``) and wait for it, at most ``kill_after`` s."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    out: list[str] = []
    err: list[str] = []
    readers = [threading.Thread(target=lambda s=s, b=b: b.extend(s), daemon=True)
               for s, b in ((proc.stdout, out), (proc.stderr, err))]
    for r in readers:
        r.start()
    peaks: dict[int, int] = {}          # pid -> VmHWM (KiB) of the case's session
    killed = False
    rusage_main = 0
    try:
        while True:
            _sample(proc.pid, peaks)
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                proc.returncode = os.waitstatus_to_exitcode(status)
                rusage_main = usage.ru_maxrss * 1024 // _KIB
                break
            if time.monotonic() - start > kill_after:
                killed = True
                _kill_session(proc.pid)
                _, status, usage = os.wait4(proc.pid, 0)
                proc.returncode = os.waitstatus_to_exitcode(status)
                rusage_main = usage.ru_maxrss * 1024 // _KIB
                break
            time.sleep(poll_s)
    except BaseException:
        _kill_session(proc.pid)
        raise
    finally:
        _kill_session(proc.pid, leader_too=False)       # workers left behind, if any
    wall = time.monotonic() - start
    for r in readers:
        r.join(timeout=5)
    result = None
    for line in out:
        if line.startswith(RESULT_MARK):
            result = json.loads(line[len(RESULT_MARK):])
    # without a result line, getrusage of the ended process (its own peak, or a reaped
    # worker's if larger) stands in for its report
    main = max(peaks.get(proc.pid, 0), result["self_maxrss_kib"] if result else rusage_main)
    workers = max([v for p, v in peaks.items() if p != proc.pid]
                  + [(result or {}).get("children_maxrss_kib", 0)], default=0)
    status = "killed" if killed else ("ok" if result is not None else "crash")
    detail = ""
    if status == "crash":
        lines = [line.strip() for line in err if line.strip()]
        detail = lines[-1] if lines else f"exit status {proc.returncode}, no output"
    return CaseRun(status, result, wall, main / 1024 if main else None,
                   workers / 1024 if workers else None, detail)


def _session_pids(sid: int) -> list[int]:
    """The processes of session ``sid`` (Linux /proc; empty elsewhere)."""
    pids = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return pids
    for name in entries:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 3 and fields[3] == str(sid):
            pids.append(int(name))
    return pids


def _sample(sid: int, peaks: dict[int, int]) -> None:
    for pid in _session_pids(sid):
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        peaks[pid] = max(peaks.get(pid, 0), int(line.split()[1]))
                        break
        except (OSError, ValueError, IndexError):
            continue


def _kill_session(sid: int, leader_too: bool = True) -> None:
    """SIGKILL the processes of the case's session (started by us), by id."""
    if leader_too:
        try:
            os.killpg(sid, signal.SIGKILL)
        except OSError:
            pass
    for pid in _session_pids(sid):
        if pid != sid or leader_too:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


# -- in the case's process -----------------------------------------------------------------

def search(spec, case: dict):
    """The one call that runs a case's search: the pipeline of ``mapper search``
    (feasibility check, search), EDP unless the case names an objective."""
    from mapper import api
    return api.search(spec, objective=case.get("objective", "edp"),
                      algorithm=case.get("algorithm", "optimal"), jobs=case["jobs"],
                      time_limit=case["time_limit"], seed=case["seed"])


def run_one(case: dict) -> None:
    """In the case's own process: load ``case["files"]``, search, check, print the result
    line."""
    from mapper import api
    files = case["files"]
    spec = api.load(files, need_mapping=False)
    t0 = time.monotonic()
    result = search(spec, case)
    report(describe(spec, result, time.monotonic() - t0, files))


def add_case_options(ap: argparse.ArgumentParser, jobs: int = 2) -> None:
    """The options every case of a benchmark takes."""
    ap.add_argument("--time-limit", type=float, default=60.0, help="per case, seconds")
    ap.add_argument("--kill-margin", type=float, default=30.0,
                    help="kill a case still running this long after its time limit")
    ap.add_argument("--jobs", type=int, default=jobs)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--case", help=argparse.SUPPRESS)


def describe(spec, result, wall_s: float, files: list, **load_options) -> dict:
    """A search outcome (``mapper.api.search``) as a JSON-able record, with whether ``mapper model`` accepts the
    mapping: no constraint broken and valid in the model, for the returned mapping and for
    the Timeloop mapping YAML that ``mapper search`` writes, read back as ``mapper model``
    reads it (``files``: the arch and problem files the case was loaded from, ``load_options``
    the rest of what it was loaded with: ``overrides``, ``ert``, as :func:`mapper.api.load`
    takes them)."""
    from mapper import api
    from mapper.model import Model
    from mapper.spec.constraints import check_mapping
    from mapper.spec.timeloop_writer import dump_yaml, mapping_to_timeloop

    st = result.stats
    record = {"proven": bool(result.proven_optimal), "stopped_by": str(result.stopped_by),
              "evaluated": int(st.evaluated) if st else 0, "search_wall_s": wall_s, "edp": None,
              "energy_pJ": None, "cycles": None, "accepted": None, "rejected_because": ""}
    best = result.best
    if best is None:
        return record
    record.update(edp=float(best.edp), energy_pJ=float(best.energy_pJ), cycles=int(best.cycles))
    reasons = [str(v) for v in check_mapping(best.mapping, spec.arch, spec.workload,
                                             spec.constraints)]
    ev = Model(spec.arch, spec.workload, spec.tables).evaluate_mapping(best.mapping)
    reasons += [str(v) for v in ev.violations] if not ev.valid else []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mapping.yaml"
        path.write_text(dump_yaml({"mapping": mapping_to_timeloop(best.mapping, spec.arch,
                                                                  spec.workload)}))
        again = api.load([*files, path], **load_options)
        reasons += [f"read back: {v}" for v in api.check(again)]
        ev2 = api.evaluate(again)
        if not ev2.valid:
            reasons += [f"read back: {v}" for v in ev2.violations] or ["read back: invalid"]
        elif abs(ev2.edp - best.edp) > 1e-9 * abs(best.edp):
            reasons.append(f"read back: EDP {ev2.edp:.6g} instead of {best.edp:.6g}")
    record.update(accepted=not reasons, rejected_because="; ".join(reasons))
    return record


def report(record: dict) -> None:
    """Print the case's result line, with its peak memory: its own, and that of its workers
    once they have ended (joblib's worker pool is shut down first, when there is one)."""
    try:
        from joblib.externals.loky import reusable_executor
        executor = getattr(reusable_executor, "_executor", None)
        if executor is not None:
            executor.shutdown(wait=True)
    except Exception:       # noqa: BLE001 - best effort: /proc sampling covers the workers
        pass
    record["self_maxrss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 // _KIB
    record["children_maxrss_kib"] = (resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
                                     * 1024 // _KIB)
    print(RESULT_MARK + json.dumps(record), flush=True)


def fmt(value, spec: str = ".4g", missing: str = "-") -> str:
    return missing if value is None else format(value, spec)


def yes_no(value: bool | None, no: str = "no") -> str:
    return "-" if value is None else ("yes" if value else no)
