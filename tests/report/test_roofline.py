"""The roofline's roofs: hand-checked bytes/cycle of the arch's, the user's (GB/s with the
clock) and the run's needed bandwidth, which roofs a figure draws, and the line data of the
report's and Eyexam's roofline figures (not pixels)."""
from __future__ import annotations

import json
import math
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from mapper.report.metrics import dram_peak_bytes_per_cycle
from mapper.report.results import Kind, LayerRow, ResultDir
from mapper.report.roofline import (BandwidthRoof, RoofSource, arch_roof, bandwidth_roofs,
                                    needed_roof, user_roof)
from mapper.spec.errors import SpecError
from tests.model.builders import arch, level


# -- the roofs, by hand --------------------------------------------------------------------

def test_a_user_bandwidth_in_GB_per_s_becomes_bytes_per_cycle_with_the_clock():
    # 25.6 GB/s at 1 GHz: 25.6e9 B/s x 1e-9 s/cycle = 25.6 B/cycle
    roof = user_roof(25.6, 1e-9)
    assert roof.source is RoofSource.USER and roof.bytes_per_cycle == pytest.approx(25.6)
    # at 200 MHz a cycle is 5 ns: 25.6e9 x 5e-9 = 128 B/cycle
    assert user_roof(25.6, 5e-9).bytes_per_cycle == pytest.approx(128.0)
    # the roofline at intensity x: min(PEs, 25.6 x); with 168 PEs the ridge is 168 / 25.6
    # = 6.5625 MACs/byte: x = 2 gives 51.2, x = 6.5625 gives 168, x = 10 stays at 168
    assert roof.macs_per_cycle(2.0, 168) == pytest.approx(51.2)
    assert roof.macs_per_cycle(6.5625, 168) == pytest.approx(168.0)
    assert roof.macs_per_cycle(10.0, 168) == 168
    assert "25.6 GB/s at 1000 MHz" in roof.label and "from the user" in roof.label


@pytest.mark.parametrize("GBps, cycle_s, words", [
    (25.6, None, "needs a clock"), (0.0, 1e-9, "positive number"),
    (-1.0, 1e-9, "positive number"), (math.inf, 1e-9, "positive number"),
    ("25", 1e-9, "positive number")])
def test_a_user_bandwidth_that_cannot_be_drawn_is_bad_input(GBps, cycle_s, words):
    with pytest.raises(SpecError, match=words) as e:
        user_roof(GBps, cycle_s)
    assert "--dram-bandwidth" in str(e.value)


def test_the_arch_roof_is_the_dram_levels_bandwidth():
    # 8-bit words: shared_bandwidth 4 words/cycle = 4 B/cycle; without it, read 3 + write 2
    # words/cycle = 5 B/cycle; none set: no roof (Timeloop: unlimited)
    def dram(**kw):
        return arch(level("DRAM", **kw), level("buf", depth=64))
    assert dram_peak_bytes_per_cycle(dram(shared_bandwidth=4.0)) == 4.0
    assert dram_peak_bytes_per_cycle(dram(read_bandwidth=3.0, write_bandwidth=2.0)) == 5.0
    assert dram_peak_bytes_per_cycle(dram()) is None
    roof = arch_roof(5.0)
    assert roof.source is RoofSource.ARCH and "shared_bandwidth" in roof.label
    assert arch_roof(None) is None


def test_the_needed_roof_is_the_most_any_layer_moved():
    roof = needed_roof([("a", 5.0), ("b", 2.0), ("c", 0.0), ("d", math.nan)])
    assert roof.bytes_per_cycle == 5.0 and roof.source is RoofSource.NEEDED
    assert "not a hardware roof" in roof.label and ": a" in roof.label
    assert needed_roof([("c", 0.0)]) is None and needed_roof([]) is None


def test_which_roofs_a_figure_draws():
    a = BandwidthRoof(8.0, RoofSource.ARCH, "")
    u = BandwidthRoof(25.6, RoofSource.USER, "")
    n = BandwidthRoof(5.0, RoofSource.NEEDED, "")
    assert bandwidth_roofs(a, u, n) == (a, u)       # both given: the model used the arch's
    assert bandwidth_roofs(a, None, n) == (a,)
    assert bandwidth_roofs(None, u, n) == (u,)
    assert bandwidth_roofs(None, None, n) == (n,)   # the run's, only when none is given
    assert bandwidth_roofs(None, None, None) == ()


# -- the report's figure -------------------------------------------------------------------

pytest.importorskip("matplotlib")       # the 'test' extra installs it

from mapper import api                                           # noqa: E402
from mapper.cli import main                                      # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "eyeriss_like"


def two_layers(peak: float | None = None, cycle_s: float | None = 1e-9) -> ResultDir:
    """Two layers by hand on 64 PEs: a moves 500 B for 1,000 MACs in 100 cycles (2 MACs/B,
    10 MACs/cycle, 5 B/cycle); b moves 100 B for 4,000 MACs in 50 cycles (40 MACs/B, 80
    MACs/cycle, 2 B/cycle)."""
    def m(macs, bytes_, cycles):
        return {"macs": macs, "batch": 1, "dram_bytes_per_inference": bytes_,
                "macs_per_cycle": macs / cycles, "dram_bytes_per_cycle": bytes_ / cycles}
    rows = [LayerRow("a", 1, "mapped", m(1000, 500, 100), None, None),
            LayerRow("b", 1, "mapped", m(4000, 100, 50), None, None)]
    return ResultDir(Path("run"), Kind.NETWORK, "by hand", {"clock": {"cycle_s": cycle_s}},
                     {"pes": 64, "dram_level": "DRAM", "dram_peak_bytes_per_cycle": peak},
                     rows)


def lines(fig) -> dict[str, tuple[list, list]]:
    """The figure's lines by the first line of their label: (x data, y data)."""
    return {ln.get_label().split("\n")[0]: (list(ln.get_xdata()), list(ln.get_ydata()))
            for ln in fig.axes[0].get_lines()}


def test_without_a_bandwidth_the_roofline_shows_what_the_run_needed():
    got = lines(api.roofline_figure(two_layers()))
    # needed: layer a's 5 B/cycle; its ridge point meets the 64 PEs at 64 / 5 = 12.8 MACs/B
    (x, y), = [v for k, v in got.items() if k.startswith("bandwidth needed by this run")]
    assert x[-1] == pytest.approx(12.8) and y[-1] == pytest.approx(64.0)
    assert y[0] == pytest.approx(5.0 * x[0])                  # slope: 5 B/cycle
    assert y[0] / x[0] * 2 == pytest.approx(10.0)             # layer a (2 MACs/B, 10) is on it
    cx, cy = got["compute roof: 64 PEs (arch)"]
    assert cy == [64, 64] and cx[0] == x[0]
    assert not [k for k in got if "from the arch" in k or "from the user" in k]


def test_the_arch_roof_and_the_users_roof_are_drawn_and_labelled():
    got = lines(api.roofline_figure(two_layers(peak=8.0), dram_bandwidth_GBps=25.6))
    (ax_, ay), = [v for k, v in got.items() if k.startswith("bandwidth roof from the arch")]
    (ux, uy), = [v for k, v in got.items() if k.startswith("bandwidth roof from the user")]
    # arch: 8 B/cycle, ridge 64 / 8 = 8 MACs/B; user: 25.6 GB/s at 1 GHz = 25.6 B/cycle,
    # ridge 64 / 25.6 = 2.5 MACs/B
    assert ax_[-1] == pytest.approx(8.0) and ay[-1] == pytest.approx(64.0)
    assert ux[-1] == pytest.approx(2.5) and uy[-1] == pytest.approx(64.0)
    assert uy[0] == pytest.approx(25.6 * ux[0]) and ay[0] == pytest.approx(8.0 * ax_[0])
    assert not [k for k in got if k.startswith("bandwidth needed")]


def test_a_user_bandwidth_needs_the_runs_clock_and_a_run_not_a_sweep():
    with pytest.raises(SpecError, match="needs a clock"):
        api.roofline_figure(two_layers(cycle_s=None), dram_bandwidth_GBps=25.6)
    sweep = ResultDir(Path("s"), Kind.SWEEP, "sweep", {}, {})
    with pytest.raises(SpecError, match="a sweep has no roofline"):
        api.report_figures(sweep, dram_bandwidth_GBps=25.6)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("model") / "out"
    assert main(["model", str(EXAMPLE / "arch.yaml"), str(EXAMPLE / "problem.yaml"),
                 str(EXAMPLE / "map.yaml"), "-o", str(out)]) == 0
    return out


def test_the_example_layer_lies_on_the_roof_it_needed(model_dir):
    m = json.loads((model_dir / "stats.json").read_text())["metrics"]
    got = lines(api.roofline_figure(api.load_result(model_dir)))
    (x, y), = [v for k, v in got.items() if k.startswith("bandwidth needed by this run")]
    # one layer: MACs/cycle = (MACs / bytes) x (bytes / cycle), so the needed roof's slope is
    # the layer's own bytes/cycle and the layer is on it
    assert y[0] / x[0] == pytest.approx(m["dram_bytes_per_cycle"])
    intensity = m["macs"] / (m["dram_bytes_per_inference"] * m["batch"])
    assert m["dram_bytes_per_cycle"] * intensity == pytest.approx(m["macs_per_cycle"])


def test_mapper_report_dram_bandwidth(model_dir, tmp_path, capsys):
    assert main(["report", str(model_dir), "-o", str(tmp_path / "r.html"),
                 "--dram-bandwidth", "25.6"]) == 0
    html = (tmp_path / "r.html").read_text()
    # the example's clock is 1 GHz: 25.6 GB/s = 25.6 B/cycle, named on the page
    assert ("draws 25.6 B/cycle from --dram-bandwidth 25.6 GB/s at 1000 MHz; not in the "
            "model&#39;s cycles") in html
    d = tmp_path / "noclock"
    shutil.copytree(model_dir, d)
    stats = json.loads((d / "stats.json").read_text())
    stats["setup"]["clock"]["cycle_s"] = None
    (d / "stats.json").write_text(json.dumps(stats))
    assert main(["report", str(d), "--dram-bandwidth", "25.6"]) == 2
    err = capsys.readouterr().err
    assert "needs a clock" in err and "Traceback" not in err
    assert not (d / "report.html").exists()
    with pytest.raises(SystemExit) as e:                      # argparse's usage error
        main(["report", str(d), "--dram-bandwidth", "fast"])
    assert e.value.code == 2 and "expected a bandwidth in GB/s" in capsys.readouterr().err


# -- Eyexam's figure -----------------------------------------------------------------------

def test_the_eyexam_roofline_draws_step_6s_needed_bandwidth_or_the_users():
    from mapper.eyexam import eyexam
    from mapper.mapsearch.settings import SearchSettings
    from tests.eyexam.cases import array_inputs
    r = eyexam(array_inputs(), SearchSettings(search_size=2000))
    assert r.offchip_bytes_per_cycle is None and r.cycle_s is None    # the test arch: neither
    six = r.steps[5]
    got = lines(api.eyexam_figure(r))
    (x, y), = [v for k, v in got.items() if k.startswith("bandwidth needed by this run")]
    # step 6 runs at bound = intensity x bytes/cycle: its bytes/cycle is the roof's slope
    assert y[0] / x[0] == pytest.approx(six.macs_per_cycle / six.operational_intensity)
    assert got[f"compute roof: {r.pes} PEs (arch)"][1] == [r.pes, r.pes]
    with pytest.raises(SpecError, match="needs a clock"):
        api.eyexam_figure(r, dram_bandwidth_GBps=1.6)
    # with a 1 GHz clock, 1.6 GB/s = 1.6 B/cycle; 16 PEs meet it at 16 / 1.6 = 10 MACs/B
    got = lines(api.eyexam_figure(replace(r, cycle_s=1e-9), dram_bandwidth_GBps=1.6))
    (x, y), = [v for k, v in got.items() if k.startswith("bandwidth roof from the user")]
    assert r.pes == 16 and x[-1] == pytest.approx(10.0) and y[-1] == pytest.approx(16.0)
    assert not [k for k in got if k.startswith("bandwidth needed")]
