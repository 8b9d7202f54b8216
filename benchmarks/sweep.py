"""Designs per minute of a design-space sweep, and what neighbour incumbents save.

    python benchmarks/sweep.py [--values 3] [--jobs 2] [--time-limit S]
                               [--layers fc_512_1000,conv1x1_64_128_28_s2]
                               [--only-with] [--keep DIR]

The sweep: eyeriss_like over ResNet-18 at batch 1, the grid pe_rows x pe_cols x glb_kb with
the first ``--values`` of [8, 12, 16] x [12, 14, 16] x [64, 128, 256] (3: 27 designs, issue
13's target: under 5 minutes on 2 cores, every layer proven optimal; 2: 8 designs, a quick
check), objective EDP, algorithm ``optimal``. ``--layers``: a network of only these ResNet-18
layers (problems/layers/resnet18.yaml), one each, for a check that takes minutes. It runs twice, the layer cache off: with
neighbour incumbents (each layer's branch and bound starts from the optima of the same layer
on the neighbouring designs already searched) and without, after an unmeasured warm-up run of
one design (worker processes started, energy tables read). Prints for each: wall time,
designs per minute, layer tasks, how many proven optimal, the summed search time and
evaluations of the layers, and per distinct layer (slowest first) the search time summed over
the designs, the worst design's and how many proved it optimal (where the time goes); then
whether the tables agree and what the incumbents saved.
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mapper.sweep import run  # noqa: E402

GRID = {"pe_rows": [8, 12, 16], "pe_cols": [12, 14, 16], "glb_kb": [64, 128, 256]}


def spec_text(values: int, network: str, time_limit: float | None) -> str:
    grid = ", ".join(f"{k}: {v[:values]}" for k, v in GRID.items())
    limit = f", time_limit: {time_limit}" if time_limit else ""
    return (f"sweep:\n  designs:\n    - template: eyeriss_like\n      grid: {{{grid}}}\n"
            f"  networks: [{network}]\n  batch: [1]\n  objective: edp\n"
            f"  search: {{algorithm: optimal, seed: 0{limit}}}\n")


def one(spec: Path, out: Path, jobs: int, neighbours: bool) -> dict:
    t0 = time.monotonic()
    result = run(spec, out, jobs=jobs, cache_dir=None, neighbours=neighbours)
    wall = time.monotonic() - t0
    db = sqlite3.connect(out / "sweep.db")
    stored = [(design, layer, json.loads(e)["search"]) for design, layer, e in db.execute(
        "SELECT design, layer, entry FROM layer_results")]
    db.close()
    searches = [s for _, _, s in stored]
    designs = len(result.spec.designs)
    return {"result": result, "wall_s": wall, "designs": designs,
            "per_min": designs / wall * 60, "layers": len(searches),
            "proven": sum(bool(s.get("proven_optimal")) for s in searches),
            "search_s": sum(s.get("wall_s", 0.0) for s in searches),
            "evaluated": sum(s.get("evaluated", 0) for s in searches),
            "with_incumbents": result.layers_with_incumbents,
            "failed": len(result.failed_designs), "by_layer": by_layer(stored)}


def by_layer(stored: list[tuple[str, str, dict]]) -> list[tuple[str, float, float, str, int, int]]:
    """Where the search time goes: per distinct layer (over the designs), the summed and the
    worst search time, the design of the worst, how many designs proved it optimal and of how
    many; the slowest layer first."""
    groups: dict[str, list[tuple[str, dict]]] = {}
    for design, layer, search in stored:
        groups.setdefault(layer, []).append((design, search))
    out = []
    for layer, recs in groups.items():
        worst = max(recs, key=lambda r: r[1].get("wall_s", 0.0))
        out.append((layer, sum(r.get("wall_s", 0.0) for _, r in recs),
                    worst[1].get("wall_s", 0.0), worst[0],
                    sum(bool(r.get("proven_optimal")) for _, r in recs), len(recs)))
    return sorted(out, key=lambda t: -t[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--values", type=int, default=3, choices=(1, 2, 3),
                    help="values per parameter: designs = values^3 (default 3: 27)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--layers", help="comma-separated ResNet-18 library layers instead of "
                    "the whole network")
    ap.add_argument("--time-limit", type=float, help="per layer (default: none)")
    ap.add_argument("--only-with", action="store_true", help="only the run with neighbour "
                    "incumbents (half the time; nothing measured of what they save)")
    ap.add_argument("--keep", metavar="DIR", help="write the runs' output directories "
                    "(sweep.db, results.csv, ...) under DIR instead of a temporary one")
    args = ap.parse_args()
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    network = "resnet18" if not args.layers else f"ResNet-18 layers {args.layers}"
    print(f"eyeriss_like x {network}, {args.values ** 3} designs, optimal, {args.jobs} jobs "
          f"on {os.cpu_count()} cores (load average {load:.1f} at the start); cache off")
    with (nullcontext(args.keep) if args.keep else
          tempfile.TemporaryDirectory(prefix="mapper-bench-sweep-")) as tmp:
        Path(tmp).mkdir(parents=True, exist_ok=True)
        spec = Path(tmp) / "sweep.yaml"
        net = "resnet18"
        if args.layers:
            net = str(Path(tmp) / "layers.yaml")
            Path(net).write_text(
                f"network:\n  name: resnet18_layers\n  library: "
                f"{ROOT / 'problems' / 'layers' / 'resnet18.yaml'}\n  layers:\n"
                + "".join(f"    - {{name: l{i}, layer: {name.strip()}}}\n"
                          for i, name in enumerate(args.layers.split(","))))
        spec.write_text(spec_text(args.values, net, args.time_limit))
        # warm-up, not measured: joblib's worker processes started and the energy tables read,
        # so that neither measured run pays for them
        warm = Path(tmp) / "warm.yaml"
        warm.write_text(spec_text(1, net, args.time_limit))
        run(warm, None, jobs=args.jobs, cache_dir=None)
        runs = {}
        for neighbours in (True,) if args.only_with else (True, False):
            r = one(spec, Path(tmp) / f"out-{neighbours}", args.jobs, neighbours)
            runs[neighbours] = r
            name = "with neighbour incumbents" if neighbours else "without"
            print(f"{name:<26}: {r['wall_s']:7.1f} s, {r['per_min']:5.2f} designs/min; "
                  f"{r['layers']} layer tasks ({r['with_incumbents']} given incumbents), "
                  f"{r['proven']} proven optimal, {r['layers'] - r['proven']} not; search "
                  f"time summed over layers {r['search_s']:.1f} s, {r['evaluated']:,} "
                  f"evaluations; {r['failed']} designs failed")
            print(f"  {'layer':<28} {'summed s':>9} {'worst s':>8}  proven  worst design")
            for layer, total, worst, design, proven, n in r["by_layer"]:
                print(f"  {layer:<28} {total:9.1f} {worst:8.1f}  {proven:>2}/{n:<3}  {design}")
        with_ = runs[True]
        if False in runs:
            without = runs[False]
            same = with_["result"].rows == without["result"].rows
            print(f"tables identical with and without: {same}")
            print(f"saved by neighbour incumbents: wall "
                  f"{without['wall_s'] - with_['wall_s']:+.1f} s "
                  f"({(1 - with_['wall_s'] / without['wall_s']) * 100:+.0f}%), summed search "
                  f"time {without['search_s'] - with_['search_s']:+.1f} s "
                  f"({(1 - with_['search_s'] / max(without['search_s'], 1e-9)) * 100:+.0f}%), "
                  f"evaluations {without['evaluated'] - with_['evaluated']:+,}")
        target = "met" if with_["wall_s"] < 300 and with_["proven"] == with_["layers"] else \
            "not met"
        if args.values == 3 and not args.layers:        # the target is the whole network
            print(f"target (27 designs, every layer proven optimal, < 5 min): {target}")
    try:
        print(f"load average at the end: {os.getloadavg()[0]:.1f} (1 min)")
    except OSError:
        pass


if __name__ == "__main__":
    main()
