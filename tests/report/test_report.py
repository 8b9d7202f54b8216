"""mapper report: the page of a mapper model, network and sweep output directory holds every
metric of Sze et al. and its figures; bad directories give one message; the page opens in a
real browser (headless Chromium) with every image loaded."""
from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")       # the 'test' extra installs it

from mapper import api                                           # noqa: E402
from mapper.cli import main                                      # noqa: E402
from mapper.report.page import sweep_page_files                  # noqa: E402

from ..network.helpers import QUICK, write_network               # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "eyeriss_like"
#: each line of the metric set the page must show (§III-§VII and the set-up), in order
METRIC_NAMES = ["accuracy", "batch size", "latency", "throughput", "energy per inference",
                "DRAM (off-chip) energy per inference", "DRAM bytes per inference",
                "MAC vs data movement (eq. 7)", "power", "utilization (eq. 3)", "PEs",
                "on-chip storage", "area", "off-chip bandwidth needed", "method",
                "architecture", "technology node", "clock", "energy and area sources"]


def metric_names(html: str) -> list[str]:
    return re.findall(r'<tr class="metric"><td>[^<]*</td><td>([^<]*)</td>', html)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("model") / "out"
    assert main(["model", str(EXAMPLE / "arch.yaml"), str(EXAMPLE / "problem.yaml"),
                 str(EXAMPLE / "map.yaml"), "-o", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def network_dir(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("network")
    net = write_network(tmp / "net.yaml", ["conv1x1_128_256_14_s2", "fc_512_1000"])
    out = tmp / "out"
    assert main(["network", "eyeriss_like", str(net), "--search-size", str(QUICK),
                 "--no-cache", "--report", "-o", str(out)]) == 0
    return out


def images(html: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([^"]+)"',
                                                    html)]


def test_layer_page_holds_every_metric_with_the_values_of_stats_json(model_dir, tmp_path,
                                                                     capsys):
    assert main(["report", str(model_dir), "-o", str(tmp_path / "r.html")]) == 0
    html = (tmp_path / "r.html").read_text()
    assert metric_names(html) == METRIC_NAMES
    m = json.loads((model_dir / "stats.json").read_text())["metrics"]
    # the example: 1,251,040 cycles at 1 GHz = 1.251 ms; 115,605,504 MACs / 1,251,040 cycles
    # = 92.41 MACs/cycle; utilization 0.550 = 112/168 active PEs (0.667) x 0.825
    assert m["cycles"] == 1251040 and m["macs"] == 115605504
    assert "1.251 ms (1,251,040 cycles)" in html and "92.41 MACs/cycle" in html
    assert "0.550 = 0.667 x 0.825" in html
    assert f"{m['dram_GB_per_s']:.4g} GB/s" in html and "not modelled" in html
    pngs = images(html)
    assert len(pngs) == 4 and all(p.startswith(b"\x89PNG\r\n\x1a\n") for p in pngs)
    assert "<details><summary>map.txt</summary>" in html
    assert "No eyexam.json in" in html                  # and how to get it


def test_network_report_is_written_beside_the_outputs(network_dir):
    html = (network_dir / "report.html").read_text()
    s = json.loads((network_dir / "network.json").read_text())
    assert (network_dir / "maps" / "l0.txt").is_file()
    assert "small on eyeriss_like, batch 1" in html and "cycle-weighted" in html
    for rec in s["layers"]:
        assert f"<summary>{rec['map']}</summary>" in html
        assert (network_dir / rec["map"]).read_text().splitlines()[0] in html
    assert len(images(html)) == 4
    assert metric_names(html) == METRIC_NAMES + ["search"]      # objective and algorithm


def test_the_api_figures_are_matplotlib_figures(network_dir):
    from matplotlib.figure import Figure
    result = api.load_result(network_dir)
    for draw in (api.energy_breakdown_figure, api.mac_vs_data_movement_figure,
                 api.roofline_figure, api.utilization_figure):
        assert isinstance(draw(result), Figure)
    assert set(api.report_figures(result)) == {"energy_breakdown", "mac_vs_data_movement",
                                               "roofline", "utilization"}


def test_eyexam_json_adds_the_waterfall(network_dir, tmp_path):
    d = tmp_path / "net"
    shutil.copytree(network_dir, d)
    steps = [{"step": i, "name": n, "bound_macs_per_cycle": b, "loss": 0, "reason": ""}
             for i, (n, b) in enumerate([("shape", 1e6), ("dataflow", 4096), ("PEs", 168),
                                         ("array", 140), ("storage", 140), ("bandwidth", 96),
                                         ("ramp", 90)], 1)]
    (d / "eyexam.json").write_text(json.dumps({"layer": "l0", "macs": 6422528,
                                               "steps": steps}))
    html = api.report_html(d)
    assert 'id="fig-eyexam_waterfall"' in html and "No eyexam.json" not in html
    assert len(images(html)) == 5


def sweep_rows() -> list[dict]:
    """Three designs by hand: the second dominates nothing, the others are on the front."""
    base = {"template": "eyeriss_like", "energy_tables": "", "network": "net", "batch": 1,
            "status": "ok", "reason": "", "leak_energy_by_level_pJ": "", "area_missing": ""}
    return [{**base, "design": f"eyeriss_like[pe_rows={p}]", "pe_rows": p, "pes": 14 * p,
             "energy_per_inference_pJ": e, "latency_s": t, "cycles": int(t * 1e9),
             "inferences_per_s": 1 / t, "macs": 10 ** 8, "utilization": 0.5,
             "onchip_storage_bytes": 1000 * p, "area_mm2": 0.1 * p, "pareto": f,
             "energy_by_level_pJ": f"mac={e * 0.1};DRAM={e * 0.9}"}
            for p, e, t, f in ((4, 5e8, 2e-3, True), (8, 6e8, 2e-3, False),
                               (12, 4e8, 1e-3, True))]


def test_sweep_page_and_figures(tmp_path):
    rows = sweep_rows()
    cols = ["design", "template", "pe_rows", "energy_tables", "network", "batch", "status",
            "reason", "energy_per_inference_pJ", "latency_s", "cycles", "inferences_per_s",
            "utilization", "onchip_storage_bytes", "pes", "area_mm2", "area_missing", "macs",
            "energy_by_level_pJ", "leak_energy_by_level_pJ", "pareto"]
    files = sweep_page_files(tmp_path, rows, cols)
    assert set(files) == {"figures/energy_vs_latency.png", "figures/energy_by_level.png",
                          "figures/pe_scaling.png", "index.html"}
    assert all(files[f].startswith(b"\x89PNG") for f in files if f.endswith(".png"))
    html = files["index.html"]
    assert len(images(html)) == 3 and "eyeriss_like[pe_rows=12]" in html
    assert "3 of 3 runs ok" in html and "this sweep wrote no breakdown.csv" in html
    # mapper report SWEEP_DIR renders the same page from results.csv
    from mapper.sweep.tables import format_csv
    (tmp_path / "results.csv").write_text(format_csv(rows, cols))
    assert main(["report", str(tmp_path)]) == 0
    again = (tmp_path / "report.html").read_text()
    assert re.sub(r"base64,[^\"]+", "", again) == re.sub(r"base64,[^\"]+", "", html)


@pytest.mark.parametrize("make, message", [
    (lambda d: None, "not a result directory of mapper: expected stats.json"),
    (lambda d: (d / "stats.json").write_text('{"cycles": 1}'),
     "stats.json lacks 'metrics', 'setup': written by an older version"),
    (lambda d: (d / "stats.json").write_text("{not json"), "cannot be read as JSON"),
    (lambda d: (d / "network.json").write_text('{"layers": []}'),
     "network.json lacks 'metrics'"),
    (lambda d: (d / "results.csv").write_text("design,network\nx,y\n"),
     "no column 'batch', 'status'"),
])
def test_bad_directories_say_what_is_missing(tmp_path, capsys, make, message):
    d = tmp_path / "r"
    d.mkdir()
    make(d)
    assert main(["report", str(d)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and str(d) in err
    assert not (d / "report.html").exists()


def test_not_a_directory_and_bad_eyexam(tmp_path, model_dir, capsys):
    assert main(["report", str(tmp_path / "nothing")]) == 2
    assert "not a directory" in capsys.readouterr().err
    d = tmp_path / "m"
    shutil.copytree(model_dir, d)
    (d / "eyexam.json").write_text('{"steps": [{"step": 1}]}')
    assert main(["report", str(d)]) == 2
    assert "eyexam.json: expected" in capsys.readouterr().err


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: appended to the page: records for each image whether it loaded (naturalWidth > 0)
CHECK = ("<script>window.addEventListener('load', () => { const d = document.createElement"
         "('div'); d.id = 'imgcheck'; d.textContent = [...document.images].map(i => "
         "(i.complete && i.naturalWidth > 0) ? 1 : 0).join(','); "
         "document.body.appendChild(d); });</script>")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs "
                    "Debian's chromium package)")
def test_the_page_opens_in_headless_chromium(network_dir, tmp_path):
    page = tmp_path / "page.html"
    page.write_text((network_dir / "report.html").read_text() + CHECK)
    dom = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
         "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120).stdout
    loaded = re.search(r'id="imgcheck">([^<]*)<', dom)
    assert loaded is not None, dom[-2000:]
    assert loaded.group(1).split(",") == ["1"] * 4         # every figure decoded and shown
    s = json.loads((network_dir / "network.json").read_text())
    assert f"{s['cycles']:,} cycles" in dom and "utilization (eq. 3)" in dom
    assert "energy per inference" in dom and "off-chip bandwidth needed" in dom


def test_a_sweep_writes_its_figures_and_index_html(tmp_path):
    from ..sweep.helpers import write_spec
    spec = write_spec(tmp_path, "[{template: eyeriss_like, grid: {pe_rows: [4, 8]}}]",
                      layers=("fc_512_1000",))
    result = api.sweep(spec, tmp_path / "out", cache_dir=None)
    out = tmp_path / "out"
    for stem in ("energy_vs_latency", "energy_by_level", "pe_scaling"):
        assert (out / "figures" / f"{stem}.png").read_bytes().startswith(b"\x89PNG")
    html = (out / "index.html").read_text()
    assert len(images(html)) == 3
    for row in result.rows:
        assert row["design"] in html
    assert main(["report", str(out)]) == 0 and (out / "report.html").is_file()
    # the axes of the pareto column are named on the page, and kept for mapper report
    default = ["energy_per_inference_pJ", "latency_s", "onchip_storage_bytes", "area_mm2"]
    assert json.loads((out / "sweep.json").read_text()) == {
        "pareto_axes": default, "pareto_axes_asked": default, "pareto_notes": []}
    assert f"over {', '.join(default)} (all minimised)" in html
    # the same sweep again over other axes: the runs from the store, the flags and page anew
    assert main(["sweep", str(spec), "-o", str(out), "--no-cache", "--pareto",
                 "energy_per_inference_pJ, pes"]) == 0
    assert json.loads((out / "sweep.json").read_text()) == {
        "pareto_axes": ["energy_per_inference_pJ", "pes"],
        "pareto_axes_asked": ["energy_per_inference_pJ", "pes"], "pareto_notes": []}
    back = api.load_result(out)
    assert back.sweep_pareto_axes == ["energy_per_inference_pJ", "pes"] and not back.notes
    legend = [t.get_text() for t in api.energy_latency_figure(back).legends[0].get_texts()]
    assert legend[-1] == ("Pareto over energy_per_inference_pJ, pes\n"
                          "(pareto column; may be dominated in energy and latency alone)")
    assert main(["report", str(out)]) == 0
    for page in ("index.html", "report.html"):
        assert "over energy_per_inference_pJ, pes (all minimised)" in (out / page).read_text()


@pytest.mark.parametrize("text, why", [
    ('{"pareto_axes": ["energy_per_inference_pJ", "speed"]}', "'speed'"),
    ('{"pareto_axes": []}', "got []"), ('{"axes": ["latency_s"]}', "got None"),
    ('{"pareto_axes": ["cycles"], "pareto_notes": "no clock"}', "'pareto_notes': expected"),
    ("[1, 2", "cannot be read as JSON")])
def test_a_bad_sweep_json_is_named(tmp_path, capsys, text, why):
    from mapper.sweep.tables import format_csv
    rows = sweep_rows()
    (tmp_path / "results.csv").write_text(format_csv(rows, list(rows[0])))
    (tmp_path / "sweep.json").write_text(text)
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'sweep.json'}" in err and why in err and "Traceback" not in err


def test_a_sweep_where_every_run_failed_still_gets_its_page(tmp_path, recwarn):
    rows = [{"design": "d1", "network": "net", "batch": 1, "status": "failed",
             "reason": "no mapping for 1 layer(s)", "energy_tables": ""}]
    files = sweep_page_files(tmp_path, rows, ["design", "network", "batch", "status",
                                               "reason"])
    assert "0 of 1 runs ok" in files["index.html"]
    assert "not in the figures: d1 / net: no mapping for 1 layer(s)" in files["index.html"]
    assert not [w for w in recwarn if "legend" in str(w.message)]
