"""Seconds per layer of ``mapper eyexam`` on the Eyeriss-like template over ResNet-18.

    python benchmarks/eyexam.py [--network resnet18] [--arch eyeriss_like] [--jobs 1]

Per distinct layer: the wall time of the whole Eyexam (steps 2-5: four CP-SAT optima; step 6:
the delay search; step 7: the ramped_delay search), the seven bounds in MACs/cycle and how
steps 6 and 7 are known optimal; then the total and the slowest layer.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mapper import api  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--arch", default="eyeriss_like")
    p.add_argument("--network", default="resnet18")
    p.add_argument("--jobs", type=int, default=1)
    args = p.parse_args()
    print(f"{'layer':<24} {'seconds':>8}  " + " ".join(f"{'step ' + str(i):>10}"
                                                       for i in range(1, 8))
          + "  step 6 proof / step 7 proof")
    start = time.monotonic()

    def row(progress) -> None:
        print(f"  ... {progress.layer} done in {progress.seconds:.1f} s", file=sys.stderr,
              flush=True)

    result = api.eyexam_network(args.arch, args.network, jobs=args.jobs, progress=row)
    for r, s in zip(result.layers, result.seconds):
        print(f"{r.layer[:24]:<24} {s:>8.1f}  "
              + " ".join(f"{x.macs_per_cycle:>10.5g}" for x in r.steps)
              + f"  {r.proof.name.lower()} / {r.ramped.proof.name.lower()}")
    total = time.monotonic() - start
    worst = max(zip(result.seconds, result.layers), key=lambda t: t[0])
    print(f"{len(result.layers)} distinct layers in {total:.1f} s ({total / len(result.layers):.1f}"
          f" s per layer on average); slowest: {worst[1].layer} {worst[0]:.1f} s")


if __name__ == "__main__":
    main()
