"""Our best EDP against Timeloop's mapper on the reference archs and layers.

    python benchmarks/search_vs_reference.py [--arch eyeriss_like|simple_weight_stationary|
                                              simple_output_stationary|all]
                                             [--layers resnet18_conv3x3_7,...]
                                             [--algorithm optimal] [--jobs 2] [--time-limit 60]
                                             [--kill-margin 30] [--seed 0]

The archs and layers are Timeloop's reference inputs (tests/data/timeloop/archs, problems).
Each (arch, layer) runs in a fresh process. Per case it prints our EDP, Timeloop's best EDP at
any budget (tests/data/timeloop/search_results.json: its default settings, 90 s and, for one
layer, 300 s; "-" where Timeloop was not run), their ratio, the search's wall time, whether our
result is proven optimal, the peak memory of the largest worker and of the main process (MiB),
and whether `mapper model`'s check accepts the mapping (no constraint broken, valid in the
model, also when read back from the mapping YAML that `mapper search` writes). A search stops
at --time-limit with its best so far; a case still running --kill-margin seconds later is
killed.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
DATA = ROOT / "tests" / "data" / "timeloop"        # reference data (not test code)

from case_runner import add_case_options, fmt, run_case, run_one, yes_no  # noqa: E402

ARCHS = ("eyeriss_like", "simple_weight_stationary", "simple_output_stationary")
LAYERS = ("resnet18_conv3x3_56", "resnet18_conv3x3_7", "alexnet_conv1", "vgg16_conv_3_1",
          "pointwise_1x1", "gemm_bert_ffn")


def timeloop_best(reference: dict, arch: str, layer: str) -> float | None:
    runs = reference.get(f"{arch}/{layer}")
    return min(r["edp_J_cycle"] for r in runs.values()) if runs else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arch", default="eyeriss_like", choices=[*ARCHS, "all"])
    ap.add_argument("--layers", default=",".join(LAYERS),
                    help=f"comma-separated, of: {', '.join(LAYERS)}")
    ap.add_argument("--algorithm", default="optimal")
    add_case_options(ap)
    args = ap.parse_args()
    if args.case:
        run_one(json.loads(args.case))
        return
    layers = [x for x in args.layers.split(",") if x]
    unknown = [x for x in layers if not (DATA / "problems" / f"{x}.yaml").is_file()]
    if unknown:
        ap.error(f"unknown layer(s) {', '.join(unknown)}; expected some of {', '.join(LAYERS)}")
    archs = ARCHS if args.arch == "all" else (args.arch,)
    reference = json.loads((DATA / "search_results.json").read_text())
    print(f"{args.algorithm}, {args.jobs} job(s), time limit {args.time_limit:g} s per case")
    print(f"{'arch':<24} {'layer':<20} {'ours EDP':>10} {'Timeloop':>10} {'ratio':>6} "
          f"{'wall s':>7} {'proven':>6} {'worker MiB':>10} {'main MiB':>8} {'model ok':>8}  "
          f"status", flush=True)
    ratios = []
    for arch in archs:
        for layer in layers:
            case = {"files": [str(DATA / "archs" / f"{arch}.yaml"),
                              str(DATA / "problems" / f"{layer}.yaml")],
                    "algorithm": args.algorithm, "jobs": args.jobs,
                    "time_limit": args.time_limit, "seed": args.seed}
            run = run_case([sys.executable, __file__, "--case", json.dumps(case)],
                           args.time_limit + args.kill_margin)
            r = run.result or {}
            ours, theirs = r.get("edp"), timeloop_best(reference, arch, layer)
            ratio = ours / theirs if ours is not None and theirs else None
            if ratio is not None:
                ratios.append(ratio)
            wall = r.get("search_wall_s", run.wall_s)
            status = {"ok": "ok" if ours is not None else "no mapping found",
                      "killed": f"killed after {run.wall_s:.0f} s",
                      "crash": f"crash: {run.detail}"}[run.status]
            if r.get("stopped_by") and r["stopped_by"] != "finished":
                status += f" (stopped: {r['stopped_by']})"
            ok = yes_no(r.get("accepted"), no="NO")
            print(f"{arch:<24} {layer:<20} {fmt(ours):>10} {fmt(theirs):>10} "
                  f"{fmt(ratio, '.3f'):>6} {wall:>7.1f} {yes_no(r.get('proven')):>6} "
                  f"{fmt(run.workers_mib, '.0f'):>10} {fmt(run.main_mib, '.0f'):>8} {ok:>8}  "
                  f"{status}" + (f"; rejected: {r['rejected_because']}"
                                 if r.get("accepted") is False else ""), flush=True)
    if ratios:
        geo = math.exp(sum(math.log(x) for x in ratios) / len(ratios))
        print(f"ours / Timeloop's best: geometric mean {geo:.3f} over {len(ratios)} case(s), "
              f"range {min(ratios):.3f}-{max(ratios):.3f}")


if __name__ == "__main__":
    main()
