"""What the user sees of an Eyexam: the step table (text), ``eyexam.json`` and the roofline
figure (matplotlib, an optional dependency: ``pip install mapper[report]``)."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Sequence

from ..report.figures import draw_roofs
from ..report.roofline import arch_roof, bandwidth_roofs, needed_roof, user_roof
from ..spec.errors import SpecError
from .steps import EyexamResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def format_table(r: EyexamResult) -> str:
    """The steps with their bound (MACs/cycle), the loss against the previous step (x) and
    the reason; then how steps 6 and 7 are known optimal and step 7's ramps."""
    lines = [f"Eyexam of {r.layer} on {r.arch}: {r.macs:,} MACs, {r.pes} PEs",
             f"{'step':<4} {'constraint':<24} {'MACs/cycle':>14} {'loss':>8}  reason",
             "-" * 100]
    for s in r.steps:
        mark = "" if s.proven else " (not proven)"
        lines.append(f"{s.step:<4} {s.name:<24} {s.macs_per_cycle:>14,.2f} "
                     f"{s.loss:>7.4g}x  {s.reason}{mark}")
    lines.append("")
    lines.append(f"step 6: {r.cycles:,} cycles (average bandwidth model), {r.proof.value}")
    ramp = sum(x.cycles for x in r.ramp)
    lines.append(f"step 7: {r.ramped.total:,} cycles = {r.ramped.best.cycles:,} + {ramp:,} of "
                 "ramp-up/ramp-down"
                 + (" (" + ", ".join(f"{x.level} {x.fill_cycles}+{x.drain_cycles}"
                                     for x in r.ramp if x.cycles) + ")" if ramp else "")
                 + f", {r.ramped.proof.value}")
    for s in r.steps[1:5]:
        lines.append(f"step {s.step} attained by: {s.mapping}")
    return "\n".join(lines) + "\n"


def format_network_table(results: Sequence[EyexamResult], counts: Sequence[int]) -> str:
    """One row per distinct layer: the seven bounds (MACs/cycle)."""
    head = f"{'layer':<28} {'x':>3} " + " ".join(f"{'step ' + str(i):>11}" for i in range(1, 8))
    lines = [head, "-" * len(head)]
    for r, n in zip(results, counts):
        lines.append(f"{r.layer[:28]:<28} {n:>3} "
                     + " ".join(f"{s.macs_per_cycle:>11,.1f}" for s in r.steps))
    return "\n".join(lines) + "\n"


def to_json_text(value) -> str:
    return json.dumps(value.to_json(), indent=1) + "\n"


def pyplot():
    """matplotlib's pyplot on a file backend, or a clear error if it is not installed."""
    try:
        import matplotlib
    except ImportError:
        raise SpecError("the Eyexam figure needs matplotlib: pip install 'mapper[report]' "
                        "(or pip install matplotlib)") from None
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    return plt


def roofline_figure(r: EyexamResult, dram_bandwidth_GBps: float | None = None) -> "Figure":
    """The steps on a roofline (Sze et al., Fig. 6): operational intensity (MACs per
    off-chip byte) against MACs/cycle, one point per step, under the compute roof (the PE
    count) and the bandwidth roofs of :func:`mapper.report.roofline.bandwidth_roofs`: the
    arch's, the user's ``dram_bandwidth_GBps`` (with the arch's clock; step 6 and 7 do not
    change), else the bandwidth step 6's mapping needed."""
    plt = pyplot()
    six = r.steps[5]
    needed = ([(f"{r.layer}, step 6", six.macs_per_cycle / six.operational_intensity)]
              if six.operational_intensity else [])
    roofs = bandwidth_roofs(arch_roof(r.offchip_bytes_per_cycle),
                            user_roof(dram_bandwidth_GBps, r.cycle_s), needed_roof(needed))
    fig, ax = plt.subplots(figsize=(9.5, 4.5))
    xs = [s.operational_intensity for s in r.steps]
    draw_roofs(ax, r.pes, roofs, [x for x in xs if x])
    at: dict[tuple[float, float], list[int]] = {}
    for s, x in zip(r.steps, xs):
        if x is None:
            continue
        ax.scatter([x], [s.macs_per_cycle], zorder=3,
                   label=f"{s.step} {s.name}: {s.macs_per_cycle:,.4g}")
        at.setdefault((x, s.macs_per_cycle), []).append(s.step)
    for (x, y), steps in at.items():         # coinciding steps share one label
        ax.annotate(", ".join(map(str, steps)), (x, y), textcoords="offset points",
                    xytext=(6, 4), fontsize=8)
    for a, b in zip(r.steps, r.steps[1:]):
        if a.operational_intensity and b.operational_intensity:
            ax.annotate("", (b.operational_intensity, b.macs_per_cycle),
                        (a.operational_intensity, a.macs_per_cycle),
                        arrowprops={"arrowstyle": "->", "color": "tab:blue", "lw": 0.8})
    ax.set_xlabel("operational intensity (MACs per off-chip byte)")
    ax.set_ylabel("performance (MACs/cycle)")
    ax.set_title(f"Eyexam: {r.layer} on {r.arch}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def figure_png(r: EyexamResult, dram_bandwidth_GBps: float | None = None) -> bytes:
    """The roofline figure as PNG bytes (written with the run's other outputs)."""
    import io
    fig = roofline_figure(r, dram_bandwidth_GBps)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    pyplot().close(fig)
    return buf.getvalue()
