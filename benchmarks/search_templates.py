"""The proven-optimal search on every bundled template and every distinct layer of ResNet-50
and BERT-base.

    python benchmarks/search_templates.py [--templates eyeriss_like,simba_like,...]
                                          [--networks resnet50,bert_base] [--layers NAME,...]
                                          [--time-limit 60] [--kill-margin 30] [--jobs 2]
                                          [--seed 0] [--json results.json]

Each case (template x distinct layer) runs `--algorithm optimal --jobs N` in a fresh process:
the search stops at --time-limit with its best so far (not proven), and a case still running
--kill-margin seconds later is killed. One row per case as it ends: the best EDP (J x
cycles), the search's wall time, whether the result is proven optimal, the peak memory of the
largest worker and of the main process (MiB), whether `mapper model`'s check accepts the
mapping, and the status (ok, stopped by the time limit, no mapping found, killed, crash). Then
per template: cases, proven, median and worst wall time, worst memory. --layers takes layer
names (`conv1`, in any network) or NETWORK/LAYER; networks are bundled names or files.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from case_runner import add_case_options, fmt, run_case, run_one, yes_no  # noqa: E402

NETWORKS = ("resnet50", "bert_base")


def distinct_layers(networks: list[str], only: list[str], tmp: Path) -> list[tuple[str, Path]]:
    """("network/layer", problem file) for each distinct layer of each network (each layer's
    resolved Einsum and bounds, written as a problem file `mapper search` reads)."""
    from mapper.network import load_network
    from mapper.spec.einsum import format_einsum
    from mapper.spec.timeloop_writer import dump_yaml
    out = []
    for name in networks:
        net = load_network(name)
        for d in net.distinct():
            label = f"{net.name}/{d.name}"
            if only and d.name not in only and label not in only:
                continue
            wl = d.workload
            path = tmp / f"{len(out):03d}.yaml"
            path.write_text(dump_yaml({"problem": {
                "name": d.name, "einsum": format_einsum(wl),
                "bounds": {dim: int(wl.bounds[dim]) for dim in wl.dims}}}))
            out.append((label, path))
    return out


def summarize(rows: list[dict]) -> dict:
    walls = [r["wall_s"] for r in rows]
    mems = [m for r in rows for m in (r["worker_mib"], r["main_mib"]) if m is not None]
    return {"cases": len(rows), "proven": sum(bool(r["proven"]) for r in rows),
            "median_wall_s": statistics.median(walls) if walls else None,
            "worst_wall_s": max(walls, default=None), "worst_mib": max(mems, default=None),
            "killed": sum(r["status"] == "killed" for r in rows),
            "crashed": sum(r["status"] == "crash" for r in rows),
            "not_accepted": sum(r["accepted"] is False for r in rows)}


def main() -> None:
    from mapper.inputs.templates import template_names
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--templates", default=",".join(template_names()),
                    help="comma-separated template names (default: all bundled)")
    ap.add_argument("--networks", default=",".join(NETWORKS))
    ap.add_argument("--layers", default="", help="comma-separated layer names (default: all)")
    ap.add_argument("--json", metavar="FILE", help="also write the results here")
    add_case_options(ap)
    args = ap.parse_args()
    if args.case:
        run_one(json.loads(args.case))
        return
    templates = [t for t in args.templates.split(",") if t]
    unknown = [t for t in templates if t not in template_names() and not Path(t).is_file()]
    if unknown:
        ap.error(f"unknown template(s) {', '.join(unknown)}; bundled: "
                 f"{', '.join(template_names())}")
    only = [x for x in args.layers.split(",") if x]
    from mapper.spec.errors import SpecError
    with tempfile.TemporaryDirectory(prefix="search-templates-") as tmp:
        try:
            layers = distinct_layers([n for n in args.networks.split(",") if n], only, Path(tmp))
        except SpecError as e:
            ap.error(str(e))
        if not layers:
            ap.error(f"no layer of {args.networks} is named {', '.join(only)}")
        rows = run_all(args, templates, layers)
    by_template = {t: summarize([r for r in rows if r["template"] == t]) for t in templates}
    print(f"\n{'template':<20} {'cases':>5} {'proven':>6} {'median s':>8} {'worst s':>7} "
          f"{'worst MiB':>9}  other")
    for t, s in by_template.items():
        other = ", ".join(f"{s[k]} {k.replace('_', ' ')}" for k in
                          ("killed", "crashed", "not_accepted") if s[k])
        print(f"{t:<20} {s['cases']:>5} {s['proven']:>6} {fmt(s['median_wall_s'], '.1f'):>8} "
              f"{fmt(s['worst_wall_s'], '.1f'):>7} {fmt(s['worst_mib'], '.0f'):>9}  {other}")
    if args.json:
        write_json(args, rows, by_template)
        print(f"wrote {args.json}")


def run_all(args, templates: list[str], layers: list[tuple[str, Path]]) -> list[dict]:
    print(f"optimal, {args.jobs} job(s), time limit {args.time_limit:g} s per case, "
          f"{len(templates)} template(s) x {len(layers)} layer(s)")
    print(f"{'template':<20} {'layer':<32} {'EDP':>10} {'wall s':>7} {'proven':>6} "
          f"{'worker MiB':>10} {'main MiB':>8} {'model ok':>8}  status", flush=True)
    rows = []
    for template in templates:
        for label, problem in layers:
            case = {"files": [template, str(problem)], "jobs": args.jobs,
                    "time_limit": args.time_limit, "seed": args.seed}
            run = run_case([sys.executable, __file__, "--case", json.dumps(case)],
                           args.time_limit + args.kill_margin)
            r = run.result or {}
            status = run.status
            if status == "ok" and r.get("edp") is None:
                status = "no mapping"
            elif status == "ok" and r.get("stopped_by") not in (None, "finished"):
                status = f"stopped: {r['stopped_by']}"
            row = {"template": template, "layer": label, "status": status,
                   "edp": r.get("edp"), "energy_pJ": r.get("energy_pJ"),
                   "cycles": r.get("cycles"), "proven": r.get("proven"),
                   "wall_s": r.get("search_wall_s", run.wall_s), "process_wall_s": run.wall_s,
                   "evaluated": r.get("evaluated"), "worker_mib": run.workers_mib,
                   "main_mib": run.main_mib, "accepted": r.get("accepted"),
                   "rejected_because": r.get("rejected_because", ""), "detail": run.detail}
            rows.append(row)
            shown = {"killed": f"killed after {run.wall_s:.0f} s",
                     "crash": f"crash: {run.detail}"}.get(status, status)
            if row["accepted"] is False:
                shown += f"; rejected: {row['rejected_because']}"
            print(f"{template:<20} {label:<32} {fmt(row['edp']):>10} {row['wall_s']:>7.1f} "
                  f"{yes_no(row['proven']):>6} {fmt(row['worker_mib'], '.0f'):>10} "
                  f"{fmt(row['main_mib'], '.0f'):>8} {yes_no(row['accepted'], 'NO'):>8}  "
                  f"{shown}", flush=True)
            if args.json:
                write_json(args, rows, None)        # partial results survive an interrupt
    return rows


def write_json(args, rows: list[dict], by_template: dict | None) -> None:
    data = {"settings": {"algorithm": "optimal", "jobs": args.jobs,
                         "time_limit_s": args.time_limit, "kill_margin_s": args.kill_margin,
                         "seed": args.seed},
            "cases": rows, "templates": by_template}
    Path(args.json).write_text(json.dumps(data, indent=1) + "\n")


if __name__ == "__main__":
    main()
