"""The HTML page of ``mapper report`` and of a sweep's ``index.html``: one self-contained file
(figures embedded as base64 PNG), rendered from the Jinja2 template shipped in
``mapper/report/templates/``.

The page gives the metric set of Sze et al. section by section (§III accuracy, §IV throughput
and latency, §V energy and power, §VI utilization, §VII cost) and the test set-up, then the
figures (:mod:`mapper.report.figures`) and the per-layer (or per-design) table.
"""
from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..spec.errors import SpecError
from .figures import caption, report_figures, require_matplotlib
from .metrics import si
from .outputs import write_files
from .pareto import axes_text, directions_text
from .results import EYEXAM_FILE, Kind, ResultDir, load_result, sweep_result
from .roofline import BandwidthRoof, user_roof

TEMPLATE = "report.html.j2"
#: where a user records the accuracy the model does not give (shown on the page)
ACCURACY_FILE = "accuracy.json"
#: sweep table columns left off the page (in results.csv)
_LONG_COLUMNS = ("energy_by_level_pJ", "leak_energy_by_level_pJ", "area_missing", "template")


@dataclass(frozen=True)
class Metric:
    """One line of the page's metric set: the paper's section, name, value and a note."""
    section: str
    name: str
    value: str
    note: str = ""


def figure_png(fig) -> bytes:
    """A matplotlib Figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _energy(pJ: float | None) -> str:
    return si(None if pJ is None else pJ * 1e-12, "J")


def headline(result: ResultDir, accuracy: dict | None = None,
             user: BandwidthRoof | None = None) -> list[Metric]:
    """The metric set of a run (a layer or a network), section by section; ``user``: the
    off-chip bandwidth the user gave for the roofline."""
    t, s = result.totals, result.setup
    clocked = t.get("latency_s") is not None
    no_clock = "" if clocked else f"no clock: {s.get('clock', {}).get('source', '')}"
    acc = (", ".join(f"{k}: {v}" for k, v in accuracy.items()) if accuracy else
           "not modelled")
    out = [Metric("§III Accuracy", "accuracy", acc,
                  "from " + ACCURACY_FILE if accuracy else
                  f"the model counts work and data movement, not accuracy: record the "
                  f"network's measured accuracy in {result.path / ACCURACY_FILE} "
                  f"(e.g. {{\"top-1\": \"69.8% ImageNet, 8-bit\"}}) and it is shown here")]
    S = "§IV Throughput and latency"
    out += [Metric(S, "batch size", str(t["batch"]), "inferences per run"),
            Metric(S, "latency", f"{si(t['latency_s'], 's')} ({t['cycles']:,} cycles)"
                   if clocked else f"{t['cycles']:,} cycles", no_clock),
            Metric(S, "throughput", (f"{si(t['inferences_per_s'], 'inferences/s')}" if clocked
                                     else "-") + f"; {t['macs_per_cycle']:.4g} MACs/cycle",
                   no_clock or f"{si(t.get('macs_per_s'), 'MAC/s')}")]
    S = "§V Energy and power"
    out += [Metric(S, "energy per inference", _energy(t["energy_per_inference_pJ"]),
                   f"{t['pJ_per_mac']:.4g} pJ/MAC (dynamic + leakage)"),
            Metric(S, f"{t['dram_level']} (off-chip) energy per inference",
                   _energy(t["dram_energy_per_inference_pJ"]),
                   _pct(t["dram_energy_per_inference_pJ"] / t["energy_per_inference_pJ"])
                   + " of the energy" if t["energy_per_inference_pJ"] else ""),
            Metric(S, f"{t['dram_level']} bytes per inference",
                   si(t["dram_bytes_per_inference"], "B"), ""),
            Metric(S, "MAC vs data movement (eq. 7)",
                   f"{_energy(t['mac_energy_pJ'] / t['batch'])} vs "
                   f"{_energy(t['data_movement_energy_pJ'] / t['batch'])} per inference", ""),
            Metric(S, "power", si(t["power_W"], "W") if clocked else "-",
                   f"leakage {si(t['leakage_power_W'], 'W')} of it" if clocked else no_clock)]
    S = "§VI Utilization"
    out += [Metric(S, "utilization (eq. 3)",
                   f"{t['utilization']:.3f} = {t['active_pe_fraction']:.3f} x "
                   f"{t['active_pe_utilization'] or 0:.3f}",
                   "active PEs / PEs x utilization of the active PEs"
                   + (" (cycle-weighted over layers)" if result.kind is Kind.NETWORK else ""))]
    S = "§VII Cost"
    bw = (f"{t['dram_GB_per_s']:.4g} GB/s" if t.get("dram_GB_per_s") is not None
          else f"{t['dram_bytes_per_cycle']:.4g} B/cycle")
    peak = t.get("dram_peak_bytes_per_cycle")
    out += [Metric(S, "PEs", str(t["pes"]), ""),
            Metric(S, "on-chip storage", si(t["onchip_storage_bytes"], "B"), ""),
            Metric(S, "area", "-" if not t.get("area_mm2") else f"{t['area_mm2']:.4g} mm^2",
                   f"no area known for {', '.join(t['area_missing'])}"
                   if t.get("area_missing") else ""),
            Metric(S, "off-chip bandwidth needed", bw,
                   f"at the achieved throughput; the arch gives {peak:g} B/cycle" if peak
                   else "at the achieved throughput; the arch sets no DRAM bandwidth"
                   + (f" (the roofline draws {user.bytes_per_cycle:.4g} B/cycle from "
                      f"{user.detail})" if user else ""))]
    S = "Test set-up"
    clock = s.get("clock") or {}
    out += [Metric(S, "method", s.get("modelled", ""), ""),
            Metric(S, "architecture", str(s.get("arch")), ""),
            Metric(S, "technology node", s.get("technology") or "not given",
                   "" if s.get("technology") else "the arch has no technology attribute"),
            Metric(S, "clock", "-" if clock.get("cycle_s") is None else
                   f"{1e-6 / clock['cycle_s']:g} MHz", clock.get("source", "")),
            Metric(S, "energy and area sources", str(s.get("energy_source") or "-"), "")]
    if s.get("objective"):
        out.append(Metric(S, "search", f"objective {s['objective']}, algorithm "
                          f"{s.get('algorithm')}", "per layer"))
    return out


def _layer_rows(result: ResultDir) -> list[dict[str, Any]]:
    rows = []
    for r in result.layers:
        m = r.metrics
        row = {"name": r.name, "repeat": r.repeat, "status": r.status,
               "mapping": r.mapping_text, "mapping_file": r.mapping_file}
        if m is not None:
            row.update(macs=si(m["macs"], ""), cycles=f"{m['cycles']:,}",
                       latency=si(m["latency_s"], "s"),
                       energy=_energy(m["energy_per_inference_pJ"]),
                       dram=si(m["dram_bytes_per_inference"], "B"),
                       macs_per_cycle=f"{m['macs_per_cycle']:.4g}",
                       active=f"{m['active_pe_fraction']:.3f}",
                       active_util=f"{m['active_pe_utilization']:.3f}",
                       util=f"{m['utilization']:.3f}")
        rows.append(row)
    return rows


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else ""
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _accuracy(d: Path) -> dict | None:
    try:
        data = json.loads((d / ACCURACY_FILE).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _environment():
    import jinja2
    return jinja2.Environment(loader=jinja2.PackageLoader("mapper.report", "templates"),
                              autoescape=jinja2.select_autoescape(["html", "j2"]),
                              undefined=jinja2.StrictUndefined)


def render_page(result: ResultDir, figures: dict[str, bytes] | None = None,
                figure_note: str = "", dram_bandwidth_GBps: float | None = None) -> str:
    """The page of ``result``; ``figures``: PNG bytes by stem (drawn here when None);
    ``dram_bandwidth_GBps``: the user's off-chip bandwidth for the roofline."""
    if figures is None:
        figures = {stem: figure_png(fig) for stem, fig
                   in report_figures(result, dram_bandwidth_GBps).items()}
    figs = [{"stem": stem, "caption": caption(stem), "src": data_uri(png)}
            for stem, png in figures.items() if stem != "eyexam_waterfall"]
    eyexam = figures.get("eyexam_waterfall")
    context = {
        "title": result.title, "kind": result.kind.value, "notes": result.notes,
        "figures": figs, "figure_note": figure_note,
        "eyexam": None if eyexam is None else {"src": data_uri(eyexam),
                                               "caption": caption("eyexam_waterfall")},
        "eyexam_how": f"No {EYEXAM_FILE} in {result.path}: run mapper eyexam with -o "
                      f"{result.path} (the same arch and layer or network) to add the seven "
                      f"performance bounds of Eyexam and their waterfall to this page.",
    }
    if result.kind is Kind.SWEEP:
        cols = [c for c in result.sweep_columns if c not in _LONG_COLUMNS]
        context.update(metrics=[], layers=[], sweep_columns=cols,
                       sweep_files=result.sweep_files,
                       sweep_rows=[[_cell(r.get(c)) for c in cols] for r in result.sweep_rows],
                       sweep_summary=f"{result.totals['ok']} of {result.totals['designs']} "
                                     f"runs ok; the pareto column marks the Pareto front of "
                                     f"each network, batch and energy tables over "
                                     f"{axes_text(result.sweep_pareto_axes)} "
                                     f"({directions_text(result.sweep_pareto_axes)})"
                                     + "".join(f"; {n}" for n in result.sweep_pareto_notes))
    else:
        user = user_roof(dram_bandwidth_GBps, (result.setup.get("clock") or {}).get("cycle_s"))
        context.update(metrics=headline(result, _accuracy(result.path), user),
                       layers=_layer_rows(result), sweep_columns=[], sweep_rows=[],
                       sweep_files=[],
                       sweep_summary="")
    return _environment().get_template(TEMPLATE).render(**context)


def report_html(result_dir: str | Path, dram_bandwidth_GBps: float | None = None) -> str:
    """The page of a result directory (``mapper report``); ``dram_bandwidth_GBps``: an
    off-chip bandwidth to draw on the roofline (``--dram-bandwidth``; the arch's clock turns it
    into bytes/cycle)."""
    result = load_result(result_dir)
    require_matplotlib()
    return render_page(result, dram_bandwidth_GBps=dram_bandwidth_GBps)


def write_report(result_dir: str | Path, output: str | Path,
                 dram_bandwidth_GBps: float | None = None) -> Path:
    """Write the page of ``result_dir`` to ``output`` (atomically)."""
    html = report_html(result_dir, dram_bandwidth_GBps)
    out = Path(output)
    return write_files(out.parent, {out.name: html})[0]


def sweep_page_files(outdir: str | Path, rows: list[dict], columns: list[str],
                     breakdown: list[dict] | None = None,
                     pareto_axes: list[str] | None = None,
                     pareto_notes: list[str] | None = None) -> dict[str, str | bytes]:
    """A sweep's figures (``figures/<stem>.png``) and ``index.html`` (the table, links to the
    tables beside it and the same figures, embedded), from its table's rows, its energy
    breakdown and the axes of its ``pareto`` column with their notes; without matplotlib, the
    page with the table and a sentence saying how to get the figures."""
    result = sweep_result(Path(outdir), rows, columns, breakdown, pareto_axes, pareto_notes)
    try:
        require_matplotlib()
    except SpecError as e:                  # optional: the sweep's tables need no figures
        return {"index.html": render_page(result, {}, figure_note=str(e))}
    pngs = {stem: figure_png(fig) for stem, fig in report_figures(result).items()}
    return {**{f"figures/{stem}.png": png for stem, png in pngs.items()},
            "index.html": render_page(result, pngs)}
