"""How fast the CP-SAT tiling model answers on the Eyeriss-like reference arch.

    python benchmarks/prune_eyeriss.py [--count-limit 20000] [--workers 1]

Per reference case (arch + problem + the arch's constraints): the time to build the model,
to decide feasibility, to check the reference mapping, to find every loop slot's exact
factor domain, and to count valid tilings up to a limit (keep sets of the reference
mapping). Then the time to explain an infeasible variant (weights_spad shrunk to 12 words
with R=3, C=8 forced there).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT / "tests" / "data" / "timeloop"        # reference data (not test code)
CASES = sorted(p for p in (DATA / "cases").iterdir() if (p / "case.yaml").is_file())

from mapper import api  # noqa: E402
from mapper.prune import TilingModel  # noqa: E402


def load_case(d: Path) -> api.Spec:
    """A reference case's arch, problem and mapping (case.yaml names the first two)."""
    case = yaml.safe_load((d / "case.yaml").read_text())
    return api.load([DATA / "archs" / f"{case['arch']}.yaml",
                     DATA / "problems" / f"{case['problem']}.yaml", d / "map.yaml"])


def eyeriss_variant(tmp: Path, depths: dict[str, int], factors: dict[int, str]) -> TilingModel:
    """The Eyeriss-like arch with some depths and constraint targets changed, on
    resnet18_conv3x3_7."""
    a = yaml.safe_load((DATA / "archs" / "eyeriss_like.yaml").read_text())
    for node in a["architecture"]["subtree"][0]["local"]:
        if node["name"].split("[")[0] in depths:
            node["attributes"]["depth"] = depths[node["name"].split("[")[0]]
    for i, text in factors.items():
        a["architecture_constraints"]["targets"][i]["factors"] = text
    (tmp / "arch.yaml").write_text(yaml.safe_dump(a))
    spec = api.load([tmp / "arch.yaml", DATA / "problems" / "resnet18_conv3x3_7.yaml"],
                    need_mapping=False)
    return TilingModel(spec.arch, spec.workload, spec.constraints)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count-limit", type=int, default=20000)
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()
    print(f"{'case':58s} {'build':>7s} {'feasible':>9s} {'admits':>7s} {'domains':>8s} "
          f"{'count':>16s}")
    for d in CASES:
        ref = load_case(d)
        keep = [lm.keep for lm in ref.mapping.levels]
        t0 = time.perf_counter()
        tm = TilingModel(ref.arch, ref.workload, ref.constraints, keep, workers=args.workers)
        t1 = time.perf_counter()
        ok = tm.feasible()
        t2 = time.perf_counter()
        admitted = tm.admits(ref.mapping)
        t3 = time.perf_counter()
        tm.slot_domains()
        t3b = time.perf_counter()
        n = tm.count(limit=args.count_limit)
        t4 = time.perf_counter()
        more = "+" if n >= args.count_limit else " "
        print(f"{d.name[:58]:58s} {t1 - t0:6.3f}s {t2 - t1:8.3f}s {t3 - t2:6.3f}s "
              f"{t3b - t3:7.2f}s {n:>7d}{more} {t4 - t3b:6.2f}s"
              + ("" if ok and admitted else "  UNEXPECTED"))
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        tm = eyeriss_variant(Path(tmp), depths={"weights_spad": 6},
                             factors={12: "N=1,M=1,P=1,Q=1,S=1,R=3,C=8"})
        t1 = time.perf_counter()
        feasible = tm.feasible()
        t2 = time.perf_counter()
        lines = tm.explain_infeasible()
        t3 = time.perf_counter()
    print(f"\ninfeasible variant: build (with YAML reading) {t1 - t0:.3f}s, feasible={feasible} "
          f"in {t2 - t1:.3f}s, explanation in {t3 - t2:.3f}s:")
    for line in lines:
        print("  " + line)


if __name__ == "__main__":
    main()
