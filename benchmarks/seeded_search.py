"""The proven-optimal search's own cost, with the optimum known from the start.

    python benchmarks/seeded_search.py TEMPLATE NETWORK/LAYER KEY [TEMPLATE NETWORK/LAYER KEY ...]

    python benchmarks/seeded_search.py output_stationary resnet50/layer2.0.conv2 3916.2455 \\
        simba_like bert_base/layer0.q_proj 5.5282

Each case runs the branch and bound of `--algorithm optimal` in this process, one job, to
the end, with its incumbent's key set to KEY (the optimum's EDP, J x cycles, from an earlier
run: `benchmarks/search_templates.py` prints it) and no hybrid search first. What it then
spends is what proving that optimum costs, whatever the incumbent search would have found:
the figure the bounds decide. One row per case: wall time, the mappings the order visits
evaluated, the tilings pruned, and whether a mapping at KEY was met again (it must be, when
KEY is the optimum: the bounds keep what ties the incumbent).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_templates import distinct_layers  # noqa: E402


def seeded(template: str, layer: str, key: float) -> dict:
    import mapper
    from mapper.mapsearch.branch_and_bound import BranchAndBound
    from mapper.mapsearch.objective import parse_objective
    from mapper.mapsearch.state import SearchState
    from mapper.mapspace.space import MapSpace
    from mapper.model.evaluate import Model
    network = layer.split("/", 1)[0]
    found = distinct_layers([network], [layer], Path(tempfile.mkdtemp()))
    if len(found) != 1:
        raise SystemExit(f"{layer}: no such distinct layer of {network}")
    (_, problem), = found
    spec = mapper.load([template, str(problem)], need_mapping=False)
    model = Model(spec.arch, spec.workload, spec.tables)
    space = MapSpace(spec.arch, spec.workload, spec.constraints)
    state = SearchState(model, space, parse_objective("edp"), 3600.0)
    state.bound = (key,)
    start = time.perf_counter()
    stop = BranchAndBound().run(state)
    return {"template": template, "layer": layer, "wall_s": time.perf_counter() - start,
            "stopped_by": stop.value, "evaluated": state.progress.evaluated,
            "pruned": state.progress.pruned,
            "met": state.best is not None and abs(state.best.key[0] - key) <= 1e-6 * key}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", nargs="+", help="TEMPLATE NETWORK/LAYER KEY, repeated")
    args = parser.parse_args(argv)
    if len(args.cases) % 3:
        parser.error("give each case as TEMPLATE NETWORK/LAYER KEY")
    print(f"{'template':20s} {'layer':32s} {'wall s':>7s} {'evaluated':>10s} "
          f"{'pruned':>11s} {'met':>4s} stopped by")
    for i in range(0, len(args.cases), 3):
        template, layer, key = args.cases[i: i + 3]
        r = seeded(template, layer, float(key))
        print(f"{template:20s} {layer:32s} {r['wall_s']:7.1f} {r['evaluated']:10d} "
              f"{r['pruned']:11d} {'yes' if r['met'] else 'no':>4s} {r['stopped_by']}",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
