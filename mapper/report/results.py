"""Reading a result directory back for ``mapper report``: the outputs of ``mapper model`` /
``mapper search`` (stats.json with its ``metrics`` and ``setup`` blocks, map.txt), of
``mapper network`` (network.json, maps/, mappings/) and of ``mapper sweep`` (results.csv,
breakdown.csv, sweep.json), with ``eyexam.json`` where ``mapper eyexam`` wrote one.

Every kind is read into one :class:`ResultDir` whose ``totals`` and layer ``metrics`` use the
names of :class:`mapper.report.metrics.LayerMetrics`, so that the page and the figures read one
vocabulary. A directory that is none of these, or that an older version wrote (without the
blocks this version reads), is a :class:`~mapper.spec.errors.SpecError` naming what is missing.
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from ..spec.errors import SpecError

EYEXAM_FILE = "eyexam.json"
#: a sweep's tables beside its page: the results, the Pareto front, and energy per inference
#: by level and data space of every run (long format, mapper.sweep.tables.breakdown_of)
SWEEP_TABLES = ("results.csv", "pareto.csv")
SWEEP_BREAKDOWN_FILE = "breakdown.csv"
#: what a sweep was run with that its tables do not say: ``{"pareto_axes": [column, ...],
#: "pareto_axes_asked": [...], "pareto_notes": [sentence, ...]}``, the axes of its ``pareto``
#: column (``mapper sweep --pareto``; ``cycles`` for ``latency_s`` when a design has no clock)
#: and why they differ from those asked
SWEEP_SETTINGS_FILE = "sweep.json"

#: what a layer's ``metrics`` block must hold for the page (this version's LayerMetrics names)
LAYER_KEYS = ("batch", "macs", "cycles", "latency_s", "inferences_per_s", "macs_per_cycle",
              "energy_pJ", "energy_per_inference_pJ", "pJ_per_mac", "mac_energy_pJ",
              "data_movement_energy_pJ", "dram_level", "dram_energy_per_inference_pJ",
              "power_W", "leakage_power_W", "pes", "active_pe_fraction",
              "active_pe_utilization", "utilization", "dram_bytes_per_inference",
              "dram_bytes_per_cycle", "dram_GB_per_s", "dram_peak_bytes_per_cycle",
              "onchip_storage_bytes", "area_mm2", "energy_by_level", "energy_by_dataspace")
#: the sweep table's columns the page needs (mapper.sweep.tables)
SWEEP_KEYS = ("design", "network", "batch", "status", "energy_per_inference_pJ", "latency_s",
              "cycles", "pes", "onchip_storage_bytes", "utilization")


class Kind(Enum):
    LAYER = "layer"          # mapper model / mapper search
    NETWORK = "network"      # mapper network
    SWEEP = "sweep"          # mapper sweep


@dataclass
class LayerRow:
    """One layer of the run: its metric set (None when it has no mapping) and its mapping as
    text (map.txt, else the mapping YAML), with the file it came from."""
    name: str
    repeat: int
    status: str
    metrics: dict[str, Any] | None
    mapping_text: str | None
    mapping_file: str | None


@dataclass
class ResultDir:
    path: Path
    kind: Kind
    title: str
    setup: dict[str, Any]                 # modelled; arch; technology; clock; energy source
    totals: dict[str, Any]                # LayerMetrics names; a network's sums over layers
    layers: list[LayerRow] = field(default_factory=list)
    sweep_rows: list[dict[str, Any]] = field(default_factory=list)
    sweep_columns: list[str] = field(default_factory=list)
    #: a sweep's energy per inference by (level, data space); None: the sweep wrote none
    sweep_breakdown: list[dict[str, Any]] | None = None
    sweep_files: list[str] = field(default_factory=list)     # the tables the page links
    #: the columns a sweep's ``pareto`` column is the front over; None: not recorded
    sweep_pareto_axes: list[str] | None = None
    #: why those axes differ from the ones asked (no clock), runs without a value on one
    sweep_pareto_notes: list[str] = field(default_factory=list)
    eyexam: list[dict[str, Any]] = field(default_factory=list)   # one record per layer
    notes: list[str] = field(default_factory=list)                # what the page leaves out


def load_result(path: str | Path) -> ResultDir:
    """Read the result directory ``path`` (see the module's docstring)."""
    d = Path(path)
    if not d.is_dir():
        raise SpecError(f"{d}: not a directory; expected the output directory of mapper "
                        f"model, search, network or sweep")
    if (d / "results.csv").is_file():
        result = _sweep(d)
    elif (d / "network.json").is_file():
        result = _network(d)
    elif (d / "stats.json").is_file():
        result = _layer(d)
    else:
        raise SpecError(f"{d}: not a result directory of mapper: expected stats.json (mapper "
                        f"model / search), network.json (mapper network) or results.csv "
                        f"(mapper sweep), found none")
    result.eyexam = _eyexam(d)
    return result


def _json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SpecError(f"{path}: cannot be read as JSON ({e})") from None
    if not isinstance(data, dict):
        raise SpecError(f"{path}: expected a JSON object")
    return data


def _need(data: dict, keys, path: Path, block: str, how: str) -> None:
    missing = [k for k in keys if k not in data]
    if missing:
        raise SpecError(f"{path}: {block} lacks {', '.join(repr(k) for k in missing)}: written "
                        f"by an older version of mapper (or not by mapper); {how}")


def _text(path: Path) -> str | None:
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError):
        return None


def _layer(d: Path) -> ResultDir:
    path = d / "stats.json"
    stats = _json(path)
    again = "run mapper model (or mapper search) again to write them"
    _need(stats, ("metrics", "setup"), path, "stats.json", again)
    _need(stats["metrics"], LAYER_KEYS, path, "its 'metrics' block", again)
    setup = stats["setup"]
    name = setup.get("layer", "layer")
    map_txt = _text(d / "map.txt")
    notes = [] if map_txt is not None else [f"{d / 'map.txt'} is missing: the mapping is "
                                            f"not shown"]
    row = LayerRow(name, 1, "mapped", stats["metrics"], map_txt,
                   "map.txt" if map_txt is not None else None)
    kind = "search" if "search" in stats else "model"
    return ResultDir(d, Kind.LAYER, f"{name} on {setup.get('arch', '?')} (mapper {kind})",
                     setup, dict(stats["metrics"]), [row], notes=notes)


#: network.json's total names -> LayerMetrics names
_NETWORK_TOTALS = {"throughput_inferences_per_s": "inferences_per_s",
                   "throughput_macs_per_s": "macs_per_s",
                   "offchip_bytes_per_inference": "dram_bytes_per_inference",
                   "latency_cycles": "cycles"}


def _network(d: Path) -> ResultDir:
    path = d / "network.json"
    s = _json(path)
    again = "run mapper network again to write them"
    _need(s, ("metrics", "layers", "clock", "technology", "energy_by_level",
              "energy_by_dataspace", "mapped_macs", "energy_pJ", "batch"), path,
          "network.json", again)
    m = s["metrics"]
    _need(m, ("active_pe_fraction", "active_pe_utilization", "mac_energy_pJ",
              "data_movement_energy_pJ", "dram_GB_per_s", "dram_peak_bytes_per_cycle"), path,
          "its 'metrics' block", again)
    totals = {_NETWORK_TOTALS.get(k, k): v for k, v in m.items()}
    totals.update(batch=s["batch"], macs=s["mapped_macs"], energy_pJ=s["energy_pJ"],
                  leak_energy_pJ=s.get("leak_energy_pJ"), edp_J_cycles=s.get("edp_J_cycles"),
                  energy_by_level=s["energy_by_level"],
                  energy_by_dataspace=s["energy_by_dataspace"],
                  leak_energy_by_level=s.get("leak_energy_by_level", {}))
    layers, notes = [], []
    for rec in s["layers"]:
        if "cycles" in rec:
            _need(rec, LAYER_KEYS, path, f"layer {rec.get('name')!r}", again)
        text, shown = None, None
        for key in ("map", "mapping"):             # map.txt, else the mapping YAML
            if rec.get(key) and (text := _text(d / rec[key])) is not None:
                shown = rec[key]
                break
        if "cycles" in rec and text is None:
            notes.append(f"layer {rec['name']}: neither {rec.get('map')} nor "
                         f"{rec.get('mapping')} is in {d}: its mapping is not shown")
        layers.append(LayerRow(rec["name"], rec.get("repeat", 1), rec.get("status", "?"),
                               dict(rec) if "cycles" in rec else None, text, shown))
    if not s.get("complete", True):
        notes.append(f"incomplete: totals leave out {', '.join(s.get('unmapped', []))} "
                     f"(no mapping)")
    setup = {"modelled": "analytical model (Timeloop's rules), not measured on silicon",
             "arch": s.get("arch"), "layer": s.get("network"), "technology": s["technology"],
             "clock": s["clock"], "energy_source": s.get("energy_source"),
             "objective": s.get("objective"), "algorithm": s.get("algorithm")}
    return ResultDir(d, Kind.NETWORK, f"{s.get('network')} on {s.get('arch')}, batch "
                     f"{s['batch']} (mapper network)", setup, totals, layers, notes=notes)


def _number(text: str) -> Any:
    if text == "":
        return None
    if text in ("true", "false"):
        return text == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _csv(path: Path) -> tuple[list[dict], list[str]]:
    try:
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            return ([{k: _number(v) for k, v in r.items()} for r in reader],
                    list(reader.fieldnames or []))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise SpecError(f"{path}: cannot be read as CSV ({e})") from None


def _sweep(d: Path) -> ResultDir:
    path = d / SWEEP_TABLES[0]
    rows, cols = _csv(path)
    missing = [k for k in SWEEP_KEYS if k not in cols]
    if missing:
        raise SpecError(f"{path}: no column {', '.join(repr(k) for k in missing)}: written by "
                        f"an older version of mapper (or not by mapper sweep); run the sweep "
                        f"again (finished runs are reused from sweep.db)")
    breakdown = d / SWEEP_BREAKDOWN_FILE
    return sweep_result(d, rows, cols, _csv(breakdown)[0] if breakdown.is_file() else None,
                        *_pareto_settings(d / SWEEP_SETTINGS_FILE, cols))


def _pareto_settings(path: Path, columns: list[str]) -> tuple[list[str] | None, list[str]]:
    """The sweep's Pareto axes and notes from ``sweep.json``; (None, []) when an older version
    wrote none (a version before the notes wrote the axes only)."""
    if not path.is_file():
        return None, []
    settings = _json(path)
    axes = settings.get("pareto_axes") if isinstance(settings, dict) else None
    if not (isinstance(axes, list) and axes and all(isinstance(a, str) and a in columns
                                                    for a in axes)):
        raise SpecError(f"{path}: 'pareto_axes': expected a list of the columns of "
                        f"{SWEEP_TABLES[0]} the pareto column is the front over, got {axes!r}")
    notes = settings.get("pareto_notes", [])
    if not (isinstance(notes, list) and all(isinstance(n, str) for n in notes)):
        raise SpecError(f"{path}: 'pareto_notes': expected a list of sentences, got {notes!r}")
    return axes, notes


def sweep_result(d: Path, rows: list[dict], columns: list[str],
                 breakdown: list[dict] | None = None,
                 pareto_axes: list[str] | None = None,
                 pareto_notes: list[str] | None = None) -> ResultDir:
    """A sweep's table (``SweepResult.rows``, or results.csv read back), its energy breakdown
    (``SweepResult.breakdown``, or breakdown.csv; None: none) and the axes of its ``pareto``
    column with their notes (``SweepResult.pareto_axes``, ``pareto_notes``, or sweep.json;
    None: not recorded) as a result."""
    ok = [r for r in rows if r.get("status") == "ok"]
    notes = [] if breakdown is not None else [
        "energy per inference is broken down by level only: this sweep wrote no "
        f"{SWEEP_BREAKDOWN_FILE} (run it again with this version: finished runs are reused "
        "from sweep.db)"]
    if pareto_axes is None:
        notes.append(f"the axes of the pareto column are not recorded: this sweep wrote no "
                     f"{SWEEP_SETTINGS_FILE} (run it again with this version: finished runs "
                     f"are reused from sweep.db)")
    failed = [f"{r['design']} / {r['network']}: {r.get('reason')}" for r in rows
              if r.get("status") not in ("ok",)]
    notes += [f"not in the figures: {line}" for line in failed]
    nets = sorted({str(r["network"]) for r in rows})
    return ResultDir(d, Kind.SWEEP, f"sweep of {len({r['design'] for r in rows})} designs "
                     f"over {', '.join(nets)} (mapper sweep)",
                     {"modelled": "analytical model (Timeloop's rules), not measured on "
                                  "silicon"},
                     {"designs": len(rows), "ok": len(ok)}, sweep_rows=rows,
                     sweep_columns=list(columns), notes=notes, sweep_breakdown=breakdown,
                     sweep_files=[*SWEEP_TABLES, *([SWEEP_BREAKDOWN_FILE]
                                                   if breakdown is not None else [])],
                     sweep_pareto_axes=None if pareto_axes is None else list(pareto_axes),
                     sweep_pareto_notes=list(pareto_notes or []))


def _eyexam(d: Path) -> list[dict]:
    """``eyexam.json`` of ``mapper eyexam``: one layer's record ({"layer", "macs", "steps"}),
    or a list of them / {"layers": [...]} for a network; [] when there is none."""
    path = d / EYEXAM_FILE
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SpecError(f"{path}: cannot be read as JSON ({e})") from None
    records = data.get("layers", [data]) if isinstance(data, dict) else data
    for rec in records if isinstance(records, list) else [None]:
        if not (isinstance(rec, dict) and isinstance(rec.get("steps"), list) and all(
                isinstance(s, dict) and "bound_macs_per_cycle" in s for s in rec["steps"])):
            raise SpecError(f"{path}: expected {{\"layer\", \"macs\", \"steps\": [{{\"step\", "
                            f"\"name\", \"bound_macs_per_cycle\", ...}}]}} per layer")
    return records
