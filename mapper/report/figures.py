"""The figures of ``mapper report`` and of a sweep's ``index.html``, as matplotlib Figures (the
Python API returns them; :mod:`mapper.report.page` embeds them as PNG).

Each takes a :class:`~mapper.report.results.ResultDir` (``mapper.api.load_result``):

- :func:`energy_breakdown_figure`: energy per inference by level and data space (Sze et al.,
  §V), the outermost level (DRAM, off-chip) among them;
- :func:`mac_vs_data_movement_figure`: per layer, MAC energy vs data movement (on chip and
  DRAM), the split of the paper's eq. (7);
- :func:`roofline_figure`: every layer at (MACs per DRAM byte, MACs/cycle) under the arch's
  compute roof (PEs) and the off-chip bandwidth roofs of :mod:`mapper.report.roofline` (the
  arch's, the user's, else the one the run needed), each labelled with its source;
- :func:`utilization_figure`: eq. (3) per layer, active PEs / PEs and the utilization of the
  active PEs, and their product;
- :func:`eyexam_waterfall_figure`: the bound after each Eyexam step (``eyexam.json``);
- sweeps: :func:`energy_latency_figure` (the 2-D Pareto front of energy and latency as a
  step line, the sweep's multi-axis Pareto designs ringed apart, cost as colour),
  :func:`sweep_energy_breakdown_figure` and :func:`pe_scaling_figure` (§VII).

matplotlib is an optional extra (``pip install 'dnn-mapper[report]'``); it is imported when a
figure is drawn, through the object-oriented API (``Figure``), never pyplot's global state.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Sequence

from ..spec.errors import SpecError
from .pareto import axes_text, clocked, staircase
from .results import Kind, ResultDir
from .roofline import (BandwidthRoof, RoofSource, arch_roof, bandwidth_roofs, needed_roof,
                       user_roof)

#: energy units for the axes: (pJ per unit, name), largest first
_UNITS = ((1e12, "J"), (1e9, "mJ"), (1e6, "uJ"), (1e3, "nJ"), (1, "pJ"))


def require_matplotlib():
    """matplotlib's Figure class, or bad input saying how to install it."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise SpecError("mapper report and its figures need matplotlib: pip install "
                        "'dnn-mapper[report]' (or pip install matplotlib)") from None
    return Figure


def _figure(width: float = 7.0, height: float = 3.6):
    fig = require_matplotlib()(figsize=(width, height), dpi=100, layout="constrained")
    return fig, fig.add_subplot()


def _unit(pJ_max: float) -> tuple[float, str]:
    for scale, name in _UNITS:
        if pJ_max >= scale:
            return scale, name
    return 1.0, "pJ"


def _mapped(result: ResultDir):
    return [row for row in result.layers if row.metrics is not None]


def _label(names: list[str], ax, rotate: bool = True) -> None:
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=60 if rotate and len(names) > 3 else 0,
                       ha="right" if rotate and len(names) > 3 else "center", fontsize=8)


# -- one run (a layer or a network) ------------------------------------------------------------

def energy_breakdown_figure(result: ResultDir):
    """Energy per inference by level (bars), each split by data space, leakage and the rest
    (networks); a sweep: by level per design."""
    if result.kind is Kind.SWEEP:
        return sweep_energy_breakdown_figure(result)
    t = result.totals
    batch = t["batch"]
    levels = list(t["energy_by_level"])
    leak = t.get("leak_energy_by_level") or {}
    parts: dict[str, list[float]] = {}
    for i, name in enumerate(levels):
        by_ds = t["energy_by_dataspace"].get(name, {})
        rest = t["energy_by_level"][name] - sum(by_ds.values()) - leak.get(name, 0.0)
        label_pJ = ({"MAC (compute)": t["energy_by_level"][name] - leak.get(name, 0.0)}
                    if name not in t["energy_by_dataspace"] else dict(by_ds))
        label_pJ["leakage"] = leak.get(name, 0.0)
        if name in t["energy_by_dataspace"] and abs(rest) > 1e-6 * t["energy_by_level"][name]:
            label_pJ["network / other"] = rest
        for label, pJ in label_pJ.items():
            parts.setdefault(label, [0.0] * len(levels))[i] = pJ / batch
    scale, unit = _unit(max(t["energy_by_level"].values(), default=1.0) / batch)
    fig, ax = _figure()
    bottom = [0.0] * len(levels)
    for label, values in parts.items():
        if not any(values):
            continue
        ax.bar(range(len(levels)), [v / scale for v in values],
               bottom=[b / scale for b in bottom], label=label)
        bottom = [b + v for b, v in zip(bottom, values)]
    _label(levels, ax, rotate=False)
    ax.set_ylabel(f"energy per inference ({unit})")
    ax.set_title(f"Energy per inference by level and data space (batch {batch}); "
                 f"{t.get('dram_level', 'DRAM')} is off-chip", fontsize=9)
    ax.legend(fontsize=8)
    return fig


def mac_vs_data_movement_figure(result: ResultDir):
    """Per layer (x repeat), energy per inference of the MACs vs data movement on chip and
    to/from the outermost level: the terms of eq. (7)."""
    rows = _mapped(result)
    names = [r.name for r in rows]
    per = [(r.repeat / r.metrics["batch"]) for r in rows]
    mac = [r.metrics["mac_energy_pJ"] * k for r, k in zip(rows, per)]
    dram = [r.metrics["dram_energy_per_inference_pJ"] * r.repeat for r in rows]
    onchip = [r.metrics["data_movement_energy_pJ"] * k - d for r, k, d in zip(rows, per, dram)]
    scale, unit = _unit(max((a + b + c for a, b, c in zip(mac, onchip, dram)), default=1.0))
    fig, ax = _figure(max(5.0, 0.35 * len(rows) + 3), 3.6)
    x = range(len(rows))
    ax.bar(x, [v / scale for v in mac], label="MACs")
    ax.bar(x, [v / scale for v in onchip], bottom=[v / scale for v in mac],
           label="data movement on chip")
    ax.bar(x, [v / scale for v in dram], bottom=[(a + b) / scale for a, b in zip(mac, onchip)],
           label=f"data movement, {result.totals.get('dram_level', 'DRAM')} (off-chip)")
    _label(names, ax)
    ax.set_ylabel(f"energy per inference ({unit})")
    ax.set_title("MAC vs data movement energy per layer (eq. 7; x repeat)", fontsize=9)
    ax.legend(fontsize=8)
    return fig


def roofline_figure(result: ResultDir, dram_bandwidth_GBps: float | None = None):
    """Each layer at (MACs per DRAM byte, achieved MACs/cycle) under the compute roof (PEs)
    and the off-chip bandwidth roofs of :func:`mapper.report.roofline.bandwidth_roofs`: the
    arch's, the user's ``dram_bandwidth_GBps`` (converted with the run's clock; the model's
    cycles are not changed), else the bandwidth the run needed, each labelled with its
    source."""
    if result.kind is Kind.SWEEP:
        raise _no_sweep_roofline(result)
    rows = _mapped(result)
    t = result.totals
    pes = t["pes"]
    roofs = bandwidth_roofs(
        arch_roof(t.get("dram_peak_bytes_per_cycle"), t.get("dram_level", "DRAM")),
        user_roof(dram_bandwidth_GBps, (result.setup.get("clock") or {}).get("cycle_s")),
        needed_roof([(r.name, r.metrics["dram_bytes_per_cycle"]) for r in rows]))
    fig, ax = _figure(6.0, 4.0)
    xs = [r.metrics["macs"] / (r.metrics["dram_bytes_per_inference"] * r.metrics["batch"])
          if r.metrics["dram_bytes_per_inference"] else math.nan for r in rows]
    ys = [r.metrics["macs_per_cycle"] for r in rows]
    draw_roofs(ax, pes, roofs, [x for x in xs if math.isfinite(x)])
    ax.scatter(xs, ys, zorder=3, s=18, color="tab:red", label="layers (best mapping)")
    for x, y, r in zip(xs, ys, rows):
        if math.isfinite(x) and len(rows) <= 8:         # more would overlap: see the table
            ax.annotate(r.name, (x, y), fontsize=6, xytext=(3, 2), textcoords="offset points")
    shown = [y for y in ys if y > 0] or [pes]
    ax.set_ylim(min(min(shown), pes) / 4, pes * 2)
    ax.set_xlabel("operational intensity (MACs per DRAM byte)")
    ax.set_ylabel("MACs/cycle")
    ax.set_title("Roofline of every layer", fontsize=9)
    ax.legend(fontsize=6, loc="upper left")
    return fig


def _no_sweep_roofline(result: ResultDir) -> SpecError:
    return SpecError(f"{result.path}: a sweep has no roofline (each design's own mapper "
                     f"network run has one), so an off-chip bandwidth for it does not apply")


#: how each bandwidth roof is drawn, by where it came from
_ROOF_STYLE = {RoofSource.ARCH: {"color": "black", "ls": "-"},
               RoofSource.USER: {"color": "tab:blue", "ls": "--"},
               RoofSource.NEEDED: {"color": "tab:orange", "ls": ":"}}


def draw_roofs(ax, pes: float, roofs: Sequence[BandwidthRoof],
               intensities: Sequence[float]) -> tuple[float, float]:
    """Draw the compute roof (``pes`` MACs/cycle) and each bandwidth roof (bytes/cycle x
    intensity, up to its ridge point where it meets the compute roof) on log-log axes over
    the range of ``intensities`` and the ridge points; returns that range. Each line is
    labelled with its source (:attr:`BandwidthRoof.label`)."""
    from matplotlib.ticker import NullFormatter
    ridges = [pes / r.bytes_per_cycle for r in roofs]
    known = [x for x in (*intensities, *ridges) if x and math.isfinite(x) and x > 0] or [1.0]
    lo, hi = min(known) / 4, max(known) * 4
    ax.plot([lo, hi], [pes, pes], color="grey", lw=1.5, label=f"compute roof: {pes:g} PEs "
            f"(arch)")
    for roof, ridge in zip(roofs, ridges):
        x = [lo, min(ridge, hi)]
        ax.plot(x, [roof.macs_per_cycle(v, pes) for v in x], lw=1.5, label=roof.label,
                **_ROOF_STYLE[roof.source])
    if not roofs:
        ax.plot([], [], " ", label="no bandwidth roof: no layer moved off-chip data")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ax.xaxis.set_minor_formatter(NullFormatter())     # decades only: minor labels overlap
    return lo, hi


def utilization_figure(result: ResultDir):
    """Eq. (3) per layer: active PEs / PEs, utilization of the active PEs, their product."""
    rows = _mapped(result)
    fig, ax = _figure(max(5.0, 0.45 * len(rows) + 3), 3.6)
    w = 0.27
    for k, (key, label) in enumerate((("active_pe_fraction", "active PEs / PEs"),
                                      ("active_pe_utilization", "utilization of active PEs"),
                                      ("utilization", "utilization (product)"))):
        ax.bar([i + (k - 1) * w for i in range(len(rows))],
               [r.metrics[key] for r in rows], width=w, label=label)
    _label([r.name for r in rows], ax)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("fraction")
    ax.set_title("Utilization per layer (eq. 3)", fontsize=9)
    ax.legend(fontsize=7)
    return fig


def eyexam_waterfall_figure(records: list[dict[str, Any]], most: int = 3):
    """The Eyexam bound after each step (``eyexam.json`` of ``mapper eyexam``), MACs/cycle,
    for the ``most`` layers that lose the most between the first step and the last."""
    def loss(rec):
        b = [s["bound_macs_per_cycle"] for s in rec["steps"]]
        return (b[0] / b[-1]) if b and b[-1] else math.inf
    chosen = sorted(records, key=loss, reverse=True)[:most]
    fig, ax = _figure()
    w = 0.8 / max(1, len(chosen))
    for k, rec in enumerate(chosen):
        steps = rec["steps"]
        ax.bar([s.get("step", i + 1) + (k - (len(chosen) - 1) / 2) * w
                for i, s in enumerate(steps)],
               [s["bound_macs_per_cycle"] for s in steps], width=w,
               label=str(rec.get("layer", f"layer {k + 1}")))
    names = [s.get("name", str(s.get("step"))) for s in (chosen[0]["steps"] if chosen else [])]
    ax.set_xticks([s.get("step", i + 1) for i, s in
                   enumerate(chosen[0]["steps"] if chosen else [])])
    ax.set_xticklabels(names, rotation=30, ha="right", fontsize=7)
    ax.set_yscale("log")
    ax.set_ylabel("bound (MACs/cycle)")
    ax.set_title("Eyexam: the performance bound after each step", fontsize=9)
    ax.legend(fontsize=7)
    return fig


# -- sweeps ------------------------------------------------------------------------------------

def _ok_rows(result: ResultDir, *keys: str) -> list[dict]:
    return [r for r in result.sweep_rows if r.get("status") == "ok" and all(
        isinstance(r.get(k), (int, float)) for k in keys)]


def _cost_key(rows: list[dict]) -> str:
    """Cost as colour: area where every design has one, else on-chip storage."""
    if rows and all(isinstance(r.get("area_mm2"), (int, float)) and r["area_mm2"] > 0
                    for r in rows):
        return "area_mm2"
    return "onchip_storage_bytes"


def energy_latency_figure(result: ResultDir):
    """Energy per inference vs latency of every design, cost (area, else on-chip storage) as
    colour. Per (network, batch, energy tables) group, the true 2-D Pareto front of energy and
    latency as a step line (:mod:`mapper.report.pareto`); the designs the sweep flags Pareto
    over all its ``--pareto`` axes (the ``pareto`` column, its axes named in the legend)
    ringed apart: on other axes than these two, such a design can be dominated in energy and
    latency alone."""
    rows = _ok_rows(result, "energy_per_inference_pJ", "cycles")
    time_key = "latency_s" if clocked(rows) else "cycles"     # the rule of the pareto column
    cost = _cost_key(rows)
    fig, ax = _figure(6.5, 5.0)
    scale, unit = _unit(max((r["energy_per_inference_pJ"] for r in rows), default=1.0))

    def xy(r):
        return r[time_key], r["energy_per_inference_pJ"] / scale
    sc = ax.scatter([xy(r)[0] for r in rows], [xy(r)[1] for r in rows],
                    c=[r.get(cost) or 0 for r in rows], cmap="viridis", s=28, zorder=3,
                    label="design (colour: cost)")
    fig.colorbar(sc, ax=ax, label="area (mm^2)" if cost == "area_mm2" else
                 "on-chip storage (bytes)")
    groups = _groups(rows)
    for k, (key, group) in enumerate(groups.items()):
        xs, ys = staircase([xy(r) for r in group])
        name = "" if len(groups) == 1 else ": " + ", ".join(str(v) for v in key if v != "")
        ax.plot(xs, ys, drawstyle="steps-post", color=_FRONT_COLOURS[k % len(_FRONT_COLOURS)],
                lw=1.2, zorder=2,
                label=f"2-D Pareto front of energy and latency{name}")
    front = [r for r in rows if r.get("pareto") is True]
    if front:
        axes = result.sweep_pareto_axes
        alone = ("" if axes is not None and set(axes) == {"energy_per_inference_pJ", time_key}
                 else "; may be dominated in energy and latency alone")
        ax.scatter([xy(r)[0] for r in front], [xy(r)[1] for r in front], s=110,
                   facecolors="none", edgecolors="tab:red", lw=1.5, zorder=4,
                   label=f"Pareto over {axes_text(axes)}\n(pareto column{alone})")
    bare = sum(not isinstance(r.get("latency_s"), (int, float)) for r in rows)
    ax.set_xlabel("latency (s)" if time_key == "latency_s" else
                  "latency (cycles; no clock)" if bare == len(rows) else
                  f"latency (cycles: {bare} of {len(rows)} designs have no clock)")
    ax.set_ylabel(f"energy per inference ({unit})")
    ax.set_title("Energy vs latency of every design", fontsize=9)
    if rows:                                   # below the plot: never over a design
        fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", fontsize=7)
    return fig


#: the step lines of the fronts, one per (network, batch, energy tables); never the red of the
#: rings
_FRONT_COLOURS = ("black", "tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown")


def _groups(rows: list[dict]) -> dict[tuple, list[dict]]:
    """Rows by (network, batch, energy tables): the groups a Pareto front is taken within."""
    out: dict[tuple, list[dict]] = {}
    for r in rows:
        key = (r["network"], f"batch {r['batch']}", r.get("energy_tables") or "")
        out.setdefault(key, []).append(r)
    return out


def _levels(cell: Any) -> dict[str, float]:
    """``energy_by_level_pJ`` of the sweep table: ``name=pJ;name=pJ``."""
    out = {}
    for part in str(cell or "").split(";"):
        name, _, value = part.partition("=")
        try:
            out[name] = float(value)
        except ValueError:
            continue
    return out


def _short(design: str) -> str:
    """A template design's parameters only: ``eyeriss_like[pe_rows=8]`` -> ``pe_rows=8``."""
    head, bracket, rest = str(design).partition("[")
    return rest.rstrip("]") if bracket and rest.endswith("]") else str(design)


#: hatches of the data spaces within a level's colour (the first: none), in order of appearance
_HATCHES = ("", "///", "...", "xxx", "\\\\\\", "ooo", "+++", "---")


def _run_key(r: dict) -> tuple:
    return (r.get("design"), r.get("energy_tables"), r.get("network"), r.get("batch"))


def _sweep_parts(result: ResultDir, rows: list[dict]) -> list[dict[tuple[str, str], float]]:
    """Per run, energy per inference (pJ) by (level, data space): the sweep's breakdown
    (breakdown.csv), or by level only (data space "") for a sweep that wrote none."""
    if result.sweep_breakdown is None:
        return [{(k, ""): v / r["batch"] for k, v in _levels(r.get("energy_by_level_pJ")).items()}
                for r in rows]
    by_run: dict[tuple, dict[tuple[str, str], float]] = {}
    for b in result.sweep_breakdown:
        part = by_run.setdefault(_run_key(b), {})
        key = (str(b["level"]), str(b["data_space"]))
        part[key] = part.get(key, 0.0) + b["energy_per_inference_pJ"]
    return [by_run.get(_run_key(r), {}) for r in rows]


def sweep_energy_breakdown_figure(result: ResultDir):
    """Energy per inference of each design by level and data space (Sze et al., §V): one
    stacked bar per run, a colour per level (from the MACs out), the level's data spaces (and
    its leakage) as hatches in that colour. A sweep directory without breakdown.csv: by
    level only."""
    from matplotlib.patches import Patch
    rows = _ok_rows(result, "energy_per_inference_pJ")
    parts = _sweep_parts(result, rows)
    segments: list[tuple[str, str]] = []            # (level, data space), level-major
    for p in parts:
        for seg in p:
            if seg not in segments:
                at = max((i for i, s in enumerate(segments) if s[0] == seg[0]), default=None)
                segments.insert(len(segments) if at is None else at + 1, seg)
    levels = list(dict.fromkeys(level for level, _ in segments))
    spaces = list(dict.fromkeys(ds for _, ds in segments))
    colour = {level: f"C{i % 10}" for i, level in enumerate(levels)}
    hatch = {ds: _HATCHES[i % len(_HATCHES)] for i, ds in enumerate(spaces)}
    scale, unit = _unit(max((r["energy_per_inference_pJ"] for r in rows), default=1.0))
    fig, ax = _figure(max(6.0, 0.4 * len(rows) + 4.5), 4.0)
    bottom = [0.0] * len(rows)
    for seg in segments:
        vals = [p.get(seg, 0.0) / scale for p in parts]
        ax.bar(range(len(rows)), vals, bottom=bottom, color=colour[seg[0]],
               hatch=hatch[seg[1]], edgecolor="white", linewidth=0.4)
        bottom = [b + v for b, v in zip(bottom, vals)]
    multi = len({(r["network"], r["batch"]) for r in rows}) > 1
    _label([_short(r["design"]) + (f" {r['network']}/{r['batch']}" if multi else "")
            for r in rows], ax)
    ax.set_ylabel(f"energy per inference ({unit})")
    split = result.sweep_breakdown is not None
    ax.set_title("Energy per inference by level" + (" and data space" if split else "")
                 + ", per design", fontsize=9)
    if levels:          # beside the axes (the layout makes room): level colours, hatches
        fig.legend(handles=[Patch(color=colour[lv], label=lv) for lv in reversed(levels)],
                   title="level", fontsize=7, title_fontsize=7, loc="outside right upper")
        if split:
            fig.legend(handles=[Patch(facecolor="lightgrey", edgecolor="black",
                                      hatch=hatch[ds], label=ds) for ds in spaces],
                       title="data space", fontsize=7, title_fontsize=7,
                       loc="outside right lower")
    return fig


def pe_scaling_figure(result: ResultDir):
    """How throughput and energy efficiency scale with the PE count (§VII): inferences/s (or
    MACs/cycle without a clock) and inferences per joule, per design."""
    rows = _ok_rows(result, "pes", "energy_per_inference_pJ", "cycles")
    fig = require_matplotlib()(figsize=(7.5, 3.4), dpi=100, layout="constrained")
    left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    in_seconds = bool(rows) and clocked(rows)      # one unit for all, as the pareto column
    for (net, batch), group in _by_network(rows).items():
        group.sort(key=lambda r: r["pes"])
        label = f"{net}, batch {batch}"
        left.plot([r["pes"] for r in group],
                  [r["inferences_per_s"] if in_seconds else r["macs"] / r["cycles"]
                   for r in group], "o", label=label)
        right.plot([r["pes"] for r in group],
                   [1e12 / r["energy_per_inference_pJ"] for r in group], "o", label=label)
    left.set_xlabel("PEs")
    left.set_ylabel("inferences/s" if in_seconds else "MACs/cycle (not every design has a clock)")
    left.set_title("Throughput vs PEs", fontsize=9)
    right.set_xlabel("PEs")
    right.set_ylabel("inferences per joule")
    right.set_title("Energy efficiency vs PEs", fontsize=9)
    if rows:
        left.legend(fontsize=7)
    return fig


def _by_network(rows: list[dict]) -> dict[tuple, list[dict]]:
    out: dict[tuple, list[dict]] = {}
    for r in rows:
        out.setdefault((r["network"], r["batch"]), []).append(r)
    return out


# -- what a page shows -------------------------------------------------------------------------

#: (file stem, caption, figure function) of a run (a layer or a network) and of a sweep
RUN_FIGURES: tuple[tuple[str, str, Callable], ...] = (
    ("energy_breakdown", "Energy per inference by level and data space", energy_breakdown_figure),
    ("mac_vs_data_movement", "MAC vs data movement energy per layer (eq. 7)",
     mac_vs_data_movement_figure),
    ("roofline", "Roofline of every layer", roofline_figure),
    ("utilization", "Utilization per layer (eq. 3)", utilization_figure),
)
SWEEP_FIGURES: tuple[tuple[str, str, Callable], ...] = (
    ("energy_vs_latency", "Energy vs latency, Pareto front, cost as colour",
     energy_latency_figure),
    ("energy_by_level", "Energy per inference by level and data space per design",
     sweep_energy_breakdown_figure),
    ("pe_scaling", "Throughput and energy efficiency vs PE count (§VII)", pe_scaling_figure),
)


def report_figures(result: ResultDir, dram_bandwidth_GBps: float | None = None
                   ) -> dict[str, Any]:
    """Every figure of the result's page, by file stem (``eyexam_waterfall`` when the result
    directory holds eyexam.json); ``dram_bandwidth_GBps``: the user's off-chip bandwidth for
    the roofline (:func:`roofline_figure`)."""
    if result.kind is Kind.SWEEP and dram_bandwidth_GBps is not None:
        raise _no_sweep_roofline(result)
    table = SWEEP_FIGURES if result.kind is Kind.SWEEP else RUN_FIGURES
    figs = {stem: (roofline_figure(result, dram_bandwidth_GBps) if draw is roofline_figure
                   else draw(result)) for stem, _, draw in table}
    if result.eyexam:
        figs["eyexam_waterfall"] = eyexam_waterfall_figure(result.eyexam)
    return figs


def caption(stem: str) -> str:
    for s, text, _ in (*RUN_FIGURES, *SWEEP_FIGURES):
        if s == stem:
            return text
    return "Eyexam waterfall: the bound after each step" if stem == "eyexam_waterfall" else stem
