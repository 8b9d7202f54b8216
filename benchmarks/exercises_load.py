"""Which of the public Timeloop/Accelergy exercises load, passed the way their own scripts pass
them; prints a table and "N of M exercise sets load".

    PYTHONPATH=$PWD python benchmarks/exercises_load.py [--root DIR] [--only TEXT] [--verbose]

The exercises (Accelergy-Project/timeloop-accelergy-exercises, MIT licence) are looked for in
``../shared/exercises/timeloop-accelergy-exercises`` next to the checkout, or ``--root``. A set
is one run of an exercise's script, given to the ``mapper`` command a user would type:

- ``tutorial``: ``01_accelergy_timeloop_2020_ispass/timeloop/run_example.py``, exercises 00-06
  (13 runs: ``timeloop-model`` -> ``mapper model``, ``timeloop-mapper`` -> ``mapper search``),
  the files of each run as its ``Specification.from_yaml_files`` call lists them;
- ``tutorial+accelergy``: ``timeloop+accelergy/run_example.py`` (intmac and fpmac), its
  ``jinja_parse_data`` given as ``--set``;
- ``accelergy``: the Accelergy-only exercises 01, 03 and 04 (``accelergy input/``: every YAML
  file of ``input/``) as ``mapper energy``; exercise 02 prices Accelergy action counts with a
  given ERT, which no ``mapper`` command does, so it is not a set here;
- ``dse-2024``: ``02_interface_and_design_space_exploration_2024``'s notebooks: the five input
  files, ``top.yaml.jinja``, and the same with the notebook's two ``jinja_parse_data`` runs;
- ``example``: ``example_designs/run_example_designs.py``: ``top.yaml.jinja2`` with
  ``--set architecture=NAME`` for every design (the sparse ones included);
- ``processed``: every reference output's ``parsed-processed-input.yaml`` (what timeloopfe
  hands Timeloop) with its ``timeloop-*.map.yaml``, as ``mapper model``.

"Loads" means the inputs are read as ``mapper`` reads them for that command (arch, problem,
mapping or constraints and mapper settings, energy tables): ``api.load`` and, for search runs,
the search settings. It does not run the model or the search. A set that fails shows the error
a user sees; an exception that is not an input error is shown as ``TRACEBACK``.
"""
from __future__ import annotations

import argparse
import glob
import re
import signal
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ROOT = REPO.parent / "shared" / "exercises" / "timeloop-accelergy-exercises"
TIME_LIMIT_S = 60


@dataclass(frozen=True)
class ExerciseSet:
    group: str
    name: str
    command: str                      # "model" | "search" | "energy"
    files: tuple[Path, ...]
    values: dict = field(default_factory=dict, hash=False)     # --set NAME=VALUE
    sparse: bool = False

    def command_line(self, root: Path) -> str:
        def rel(p: Path) -> str:
            try:
                return str(p.relative_to(root))
            except ValueError:
                return str(p)
        sets = "".join(f" --set {k}={v}" for k, v in self.values.items())
        return f"mapper {self.command} {' '.join(rel(f) for f in self.files)}{sets}"


def _files(base: Path, *patterns: str) -> tuple[Path, ...]:
    """Each pattern's matches in sorted order (a glob as timeloopfe expands it)."""
    out: list[Path] = []
    for pattern in patterns:
        found = sorted(glob.glob(str(base / pattern)))
        if not found:
            raise FileNotFoundError(f"no file matches {base / pattern}")
        out += [Path(f) for f in found]
    return tuple(out)


def exercise_sets(root: Path = DEFAULT_ROOT) -> list[ExerciseSet]:
    """Every set, in a fixed order."""
    ws = root / "workspace"
    tut = ws / "tutorial_exercises"
    sets: list[ExerciseSet] = []

    tl = tut / "01_accelergy_timeloop_2020_ispass" / "timeloop"
    model_runs = [
        ("00", "00-model-conv1d-1level", "map/*.yaml"),
        ("01_ws", "01-model-conv1d-2level", "map/conv1d-2level-ws.map.yaml"),
        ("01_os", "01-model-conv1d-2level", "map/conv1d-2level-os.map.yaml"),
        ("02_os", "02-model-conv1d+oc-2level", "map/conv1d+oc-2level-os.map.yaml"),
        ("02_os_tiled", "02-model-conv1d+oc-2level", "map/conv1d+oc-2level-os-tiled.map.yaml"),
        ("03_no_bypass", "03-model-conv1d+oc-3level", "map/conv1d+oc-3level.map.yaml"),
        ("03_bypass", "03-model-conv1d+oc-3level", "map/conv1d+oc-3level-bypass.map.yaml"),
        ("04_cp", "04-model-conv1d+oc-3levelspatial",
         "map/conv1d+oc+ic-3levelspatial-cp-ws.map.yaml"),
        ("04_kp", "04-model-conv1d+oc-3levelspatial",
         "map/conv1d+oc+ic-3levelspatial-kp-ws.map.yaml"),
    ]
    for name, folder, mapping in model_runs:
        sets.append(ExerciseSet("tutorial", name, "model",
                                _files(tl / folder, "arch/*.yaml", mapping, "prob/*.yaml")))
    for name, constraints in (("05_baked", "conv1d+oc-3level-1mapping"),
                              ("05_bypass", "conv1d+oc-3level-freebypass"),
                              ("05_null", "null")):
        sets.append(ExerciseSet("tutorial", name, "search", _files(
            tl / "05-mapper-conv1d+oc-3level", "arch/*.yaml",
            f"constraints/{constraints}.constraints.yaml", "prob/*.yaml", "mapper/*.yaml")))
    sets.append(ExerciseSet("tutorial", "06", "search", _files(
        tl / "06-mapper-convlayer-eyeriss", "arch/*.yaml", "arch/components/*.yaml",
        "prob/*.yaml", "mapper/*.yaml")))

    ta = tut / "01_accelergy_timeloop_2020_ispass" / "timeloop+accelergy"
    for mac, iw, ps in (("intmac", 8, 16), ("fpmac", 32, 32)):
        sets.append(ExerciseSet("tutorial+accelergy", mac, "search", _files(
            ta, "arch/arch.yaml", "arch/components/*.yaml", "prob/*.yaml", "mapper/*.yaml"),
            {"mac_class": mac, "input_weight_datawidth": iw, "psum_datawidth": ps}))

    acc = tut / "01_accelergy_timeloop_2020_ispass" / "accelergy"
    for folder in ("01_primitive_architecture_ERT", "03_compound_architecture",
                   "04_eyeriss_like"):
        inp = acc / folder / "input"
        files = tuple(sorted(p for p in inp.rglob("*.yaml")))
        sets.append(ExerciseSet("accelergy", folder[:2], "energy", files))

    dse = tut / "02_interface_and_design_space_exploration_2024"
    sets.append(ExerciseSet("dse-2024", "files", "search", _files(
        dse, "inputs/arch.yaml", "inputs/components.yaml", "inputs/mapper.yaml",
        "inputs/problem.yaml", "inputs/variables.yaml")))
    top = dse / "top.yaml.jinja"
    sets.append(ExerciseSet("dse-2024", "top", "search", (top,)))
    sets.append(ExerciseSet("dse-2024", "datawidth_jinja=16", "search", (top,),
                            {"datawidth_jinja": 16}))
    sets.append(ExerciseSet("dse-2024", "reg_enabled=False", "search", (top,),
                            {"reg_enabled": False}))

    designs = ws / "example_designs" / "example_designs"
    for arch in sorted(p.parent for p in designs.rglob("arch.yaml")):
        if "version: 0.4" not in (arch / "arch.yaml").read_text():
            continue                # as run_example_designs.py picks its targets
        target = arch.relative_to(designs).as_posix()
        sets.append(ExerciseSet("example", target, "search",
                                (designs / "top.yaml.jinja2",), {"architecture": target},
                                sparse="sparse" in target))

    for processed in sorted(ws.rglob("parsed-processed-input.yaml")):
        out = processed.parent
        run = next(a for a in (out, *out.parents) if a.name in ("outputs", "ref_outputs", "ref-output",
                                                        "output"))
        if run.name in ("outputs", "output") and any(
                (run.parent / r).is_dir() for r in ("ref_outputs", "ref-output")):
            continue                # a user's own run next to the reference: a copy of it
        maps = sorted(out.glob("timeloop-*.map.yaml"))
        name = out.relative_to(ws).as_posix()
        for long in ("example_designs/example_designs/", "tutorial_exercises/",
                     "01_accelergy_timeloop_2020_ispass/"):
            name = name.replace(long, "")
        sets.append(ExerciseSet("processed", name, "model", (processed, *maps),
                                sparse="sparse" in name))
    return sets


class _TimeLimit(Exception):
    pass


def _alarm(signum, frame):
    raise _TimeLimit()


def load_set(s: ExerciseSet, time_limit_s: float = TIME_LIMIT_S) -> tuple[str, str, list[str]]:
    """("loads" | "fails" | "TRACEBACK" | "TIME LIMIT", message, notes) for one set."""
    from mapper import api
    from mapper.spec.errors import SpecError
    try:
        from energy import EstimationError, TableError
        expected: tuple[type, ...] = (SpecError, EstimationError, TableError)
    except ImportError:             # pragma: no cover
        expected = (SpecError,)
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, time_limit_s)
    try:
        spec = api.load([str(f) for f in s.files], overrides=s.values or None,
                        need_mapping=s.command == "model",
                        need_workload=s.command != "energy",
                        check_layout=s.command != "energy")
        if s.command == "search":
            api.search_settings(spec)
        notes = list(spec.notes.lines())
        return "loads", "", notes
    except _TimeLimit:
        return "TIME LIMIT", f"still loading after {time_limit_s:g} s", []
    except expected as e:
        return "fails", str(e), []
    except Exception as e:          # what a user would see as a traceback
        tb = traceback.extract_tb(e.__traceback__)[-1]
        return "TRACEBACK", f"{type(e).__name__}: {e} ({Path(tb.filename).name}:{tb.lineno})", []
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--root", type=Path, default=DEFAULT_ROOT,
                   help="the exercises' checkout (default: %(default)s)")
    p.add_argument("--only", default="", help="only sets whose group/name contains this")
    p.add_argument("--verbose", "-v", action="store_true",
                   help="whole error messages, the command line and the notes of each set")
    args = p.parse_args(argv)
    if not args.root.is_dir():
        print(f"no exercises at {args.root} (give --root)", file=sys.stderr)
        return 2
    sets = [s for s in exercise_sets(args.root) if args.only in f"{s.group}/{s.name}"]
    rows, loaded = [], 0
    by_group: dict[str, list[int]] = {}
    for s in sets:
        t0 = time.perf_counter()
        status, message, notes = load_set(s)
        dt = time.perf_counter() - t0
        loaded += status == "loads"
        g = by_group.setdefault(s.group, [0, 0])
        g[0] += status == "loads"
        g[1] += 1
        message = message.replace(f"{args.root / 'workspace'}/", "")
        first = message.strip().splitlines()[0] if message.strip() else ""
        first = re.sub(r"[^\s:]*/([^/\s:]+):", r"\1:", first)     # the file's name only
        shown = message if args.verbose else (first[:150] + ("..." if len(first) > 150 else ""))
        rows.append((s.group, s.name + (" (sparse)" if s.sparse else ""), s.command, status,
                     f"{dt:.1f}s", shown))
        if args.verbose:
            print(f"# {s.command_line(args.root)}")
            for n in notes:
                print(f"#   note: {n}")
    widths = [max(len(r[i]) for r in rows) for i in range(5)] if rows else []
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r[:5], widths)) + "  " + r[5])
    print()
    for group, (ok, n) in by_group.items():
        print(f"{group:<20} {ok} of {n} load")
    print(f"{loaded} of {len(sets)} exercise sets load")
    return 0


if __name__ == "__main__":
    sys.exit(main())
