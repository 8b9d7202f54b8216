"""Our best EDP against Timeloop's mapper on the reference layers (Eyeriss-like arch, reference ERT).

    python benchmarks/search_vs_reference.py [--algorithm optimal] [--time-limit S] [--jobs 2]
                                             [--layers resnet18_conv3x3_7,...] [--seed 0]

Prints per layer our EDP / Timeloop's best EDP at any budget (search_results.json: its default
settings, 90 s and, for one layer, 300 s), our wall time, whether our result is proven
optimal, and the peak memory of the process (resource.getrusage, MiB).
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT / "tests" / "data" / "timeloop"

from mapper import api  # noqa: E402

LAYERS = ["resnet18_conv3x3_56", "resnet18_conv3x3_7", "alexnet_conv1", "vgg16_conv_3_1",
          "pointwise_1x1", "gemm_bert_ffn"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--algorithm", default="optimal")
    ap.add_argument("--time-limit", type=float, default=None)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--layers", default=",".join(LAYERS))
    args = ap.parse_args()
    reference = json.loads((DATA / "search_results.json").read_text())
    print(f"{'layer':<22} {'ours EDP':>12} {'Timeloop':>12} {'ratio':>6} {'wall s':>7} "
          f"{'proven':>6} {'evaluated':>10}")
    for layer in args.layers.split(","):
        spec = api.load([DATA / "archs" / "eyeriss_like.yaml", DATA / "problems" / f"{layer}.yaml"],
                        need_mapping=False)
        t0 = time.monotonic()
        # the one search pipeline (feasibility check, search), as `mapper search` runs it
        outcome = api.search(spec, objective="edp", algorithm=args.algorithm, jobs=args.jobs,
                             time_limit=args.time_limit, seed=args.seed)
        wall = time.monotonic() - t0
        theirs = min(r["edp_J_cycle"] for r in reference[f"eyeriss_like/{layer}"].values())
        ours = outcome.best.edp if outcome.best else float("inf")
        evaluated = outcome.stats.evaluated if outcome.stats else 0
        print(f"{layer:<22} {ours:>12.4g} {theirs:>12.4g} {ours / theirs:>6.3f} {wall:>7.1f} "
              f"{str(outcome.proven_optimal):>6} {evaluated:>10}", flush=True)
        if outcome.stopped_early:            # Ctrl-C: the layers so far are printed
            print(f"{outcome.stopped_by}", file=sys.stderr)
            break
    # the search's worker processes have ended (and been waited for): RUSAGE_CHILDREN has them
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MiB (main process), {children:.0f} MiB (largest worker)")


if __name__ == "__main__":
    main()
