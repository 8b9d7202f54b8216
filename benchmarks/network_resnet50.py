"""Wall time of a whole-network search: ResNet-50 (batch 1) on eyeriss_like.

    python benchmarks/network_resnet50.py [--algorithm optimal] [--jobs 2] [--search-size N]
                                          [--time-limit S] [--arch eyeriss_like] [--network resnet50]

Issue 5's target is the ``optimal`` search (branch and bound, proven optimal per layer) in under
2 minutes on 2 cores; it is the default. The cache is off, so every distinct layer is searched.
Prints the wall time, then per distinct layer its count, EDP, energy, latency, search time and
whether it is proven optimal, and the totals.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mapper.network.run import run_network  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arch", default="eyeriss_like")
    ap.add_argument("--network", default="resnet50")
    ap.add_argument("--algorithm", default="optimal")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--search-size", type=int)
    ap.add_argument("--time-limit", type=float, help="per layer")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    print(f"{args.network} on {args.arch}: algorithm {args.algorithm}; {args.jobs} jobs "
          f"(layers in parallel) on a machine with {os.cpu_count()} cores; cache off")
    t0 = time.monotonic()
    result = run_network(args.arch, args.network, algorithm=args.algorithm, jobs=args.jobs,
                         search_size=args.search_size, time_limit=args.time_limit,
                         seed=args.seed, cache_dir=None)
    wall = time.monotonic() - t0
    s = result.summary()
    print(f"wall time: {wall:.1f} s for {s['distinct_layers']} distinct layers "
          f"({len(s['layers'])} layer entries, {s['macs'] / 1e9:.3f} GMACs)\n")
    print(f"{'layer':<24} {'count':>5} {'EDP J*cyc':>10} {'energy uJ':>10} {'latency us':>10} "
          f"{'util':>5} {'search s':>8} {'proven':>6} {'stopped by'}")
    for r in result.layers:
        ev = r.evaluation
        if ev is None:
            print(f"{r.name:<24} {r.layer.count:>5} {r.status}")
            continue
        lat = ev.cycles * result.cycle_s * 1e6 if result.cycle_s else float("nan")
        print(f"{r.name[:24]:<24} {r.layer.count:>5} {ev.edp:>10.4g} {ev.energy_pJ / 1e6:>10.2f} "
              f"{lat:>10.1f} {ev.utilization:>5.2f} {r.search['wall_s']:>8.1f} "
              f"{str(r.search['proven_optimal']):>6} {r.search['stopped_by']}")
    lat = s["latency_s"]
    print(f"\ntotal: EDP {s['edp_J_cycles']:.4g} J*cycle, energy {s['energy_pJ'] / 1e9:.3f} mJ "
          f"per inference ({s['metrics']['pJ_per_mac']:.3f} pJ/MAC), latency "
          + (f"{lat * 1e3:.2f} ms ({s['cycles']:,} cycles), {s['inferences_per_s']:.1f} "
             f"inferences/s" if lat else f"{s['cycles']:,} cycles (no clock)")
          + f", utilization {s['utilization']:.3f}, DRAM "
          f"{s['dram_bytes_per_inference'] / 1e6:.2f} MB per inference")
    proven = sum(bool(r.search and r.search.get("proven_optimal")) for r in result.layers)
    print(f"proven optimal: {proven} of {len(result.layers)} distinct layers")
    print(f"wall time: {wall:.1f} s" + ("" if s["complete"] else
                                         f"; INCOMPLETE: {', '.join(s['unmapped'])}"))


if __name__ == "__main__":
    main()
