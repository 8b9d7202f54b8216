"""Our energy per action and area against Accelergy's, per reference arch and exercise design.

    python benchmarks/energy_vs_accelergy.py [--shared DIR] [--only SUBSTRING] [--all-rows]

For every design that comes with an Accelergy ERT/ART, the design's components are estimated by
the `energy` package alone (the ERT/ART removed: what `mapper energy ARCH` prints for them) and
compared action by action:

- the reference archs of Timeloop's outputs (`DIR/reference/timeloop/archs/*.yaml`, with the
  ERT/ART embedded);
- the exercise designs (`DIR/exercises/timeloop-accelergy-exercises/workspace/**`): each output
  directory with a `*ERT.yaml`, its `*ART.yaml` and timeloopfe's `parsed-processed-input.yaml`
  (the arch as Timeloop and Accelergy read it). A design whose components, reference numbers
  and our numbers equal an earlier one's is listed as a duplicate and not counted again; a
  component counts once among the distinct components on the same terms (the same component
  priced through another design's compound classes is another estimate, and counts).

Each design's Accelergy compound classes (``compound_components`` of the processed input) are
priced from their subcomponents, as ``mapper energy`` prices them (``energy.compound``), with
every action the class defines (Sparseloop's metadata stores' ``metadata_read``...), as
``mapper energy`` lists them.

Per component it prints our value, Accelergy's, and ours / Accelergy's for read, write,
compute and area (the numbers the issue asks to agree within 0.67-1.5x) and, for Sparseloop's
metadata stores where the reference ERT lists them, metadata_read and metadata_write; then
update (the write, in Accelergy's tables as in ours), leak (static energy per cycle) and
metadata_update for information. `*` marks a ratio outside 0.67-1.5x; `-` a number
we do not estimate; `ref 0` a number Accelergy gives as zero where we do not. Every one of our
numbers comes from the estimator named in the last column (`mapper energy` says which table
row, interpolation and scaling); every reference number from the file named in the design's
header. The summary counts the ratios within range, over all designs and over distinct
components, and lists the worst.
"""
from __future__ import annotations

import argparse
import math
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from energy import Component, EstimationError, Registry, estimate_tables  # noqa: E402
from energy.ert import read_art, read_ert  # noqa: E402
from mapper.inputs.energy_tables import compound_registry  # noqa: E402
from mapper.spec.components import read_compound_classes  # noqa: E402
from mapper.spec.loader import Inputs  # noqa: E402
from mapper.spec.readers import read_arch  # noqa: E402
from mapper.spec.errors import SpecError  # noqa: E402

LOW, HIGH = 0.67, 1.5
COMPARED = ("read", "write", "compute", "area", "metadata_read", "metadata_write")
#: shown, not counted: update (Accelergy's is the write, as ours), leak (energy per cycle) and
#: the metadata update (Sparseloop's metadata store: its write, as for data)
INFO = ("update", "leak", "metadata_update")
#: Accelergy action names that are ours under another name
ALIASES = {"mac_random": "compute", "random_read": "read", "random_fill": "write"}


@dataclass
class Case:
    label: str
    arch: dict                 # the architecture mapping (v0.3 subtree or v0.4 nodes)
    energy: dict[str, dict[str, float]]
    area: dict[str, float]
    source: str                # where the reference numbers are
    #: the design's Accelergy compound classes (energy.compound), priced from their parts
    compound_classes: tuple = ()


@dataclass
class Row:
    component: str
    cls: str
    size: str
    ours: dict[str, float | None] = field(default_factory=dict)
    ref: dict[str, float] = field(default_factory=dict)
    estimator: str = ""
    error: str = ""


def default_shared() -> Path:
    return ROOT.parent / "shared"


def reference_cases(shared: Path) -> list[Case]:
    cases = []
    for path in sorted((shared / "reference" / "timeloop" / "archs").glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        if "ERT" not in data:
            continue
        ert, art = read_ert(data["ERT"], str(path)), read_art(data.get("ART") or
                                                             {"tables": []}, str(path))
        cases.append(Case(f"reference/{path.stem}", data["architecture"], ert.energy_pJ,
                          ert_area(art), str(path)))
    return cases


def ert_area(art) -> dict[str, float]:
    return dict(art.area_um2)


def exercise_cases(shared: Path) -> list[Case]:
    root = shared / "exercises" / "timeloop-accelergy-exercises" / "workspace"
    cases = []
    for processed in sorted(root.rglob("parsed-processed-input.yaml")):
        d = processed.parent
        erts = sorted(d.glob("timeloop-*.ERT.yaml")) or sorted(d.glob("ERT.yaml"))
        if not erts:
            continue
        ert_path = erts[0]
        art_path = ert_path.with_name(ert_path.name.replace("ERT.yaml", "ART.yaml"))
        if d.name == "default_problem" and d.parent.name == "outputs" and \
                (d.parent.parent / "ref_outputs" / "default_problem").is_dir():
            continue                                    # a re-run next to the reference
        ert = read_ert(yaml.safe_load(ert_path.read_text()), str(ert_path))
        art = read_art(yaml.safe_load(art_path.read_text()), str(art_path)) \
            if art_path.is_file() else None
        processed_input = yaml.safe_load(processed.read_text())
        arch = processed_input["architecture"]
        label = str(d.relative_to(root))
        for noise in ("example_designs/example_designs/", "tutorial_exercises/",
                      "/ref_outputs/default_problem", "/ref-output", "/outputs"):
            label = label.replace(noise, "/" if noise.endswith("/") and noise[0] != "/" else "")
        cases.append(Case(label.strip("/"), arch, ert.energy_pJ, ert_area(art) if art else {},
                          str(ert_path.relative_to(shared)),
                          compound_classes(processed_input, str(processed))))
    return cases


def compound_classes(processed_input: dict, label: str) -> tuple:
    """The compound classes of timeloopfe's processed input (``compound_components``), read
    as ``mapper`` reads them."""
    inputs = Inputs()
    inputs.add({k: v for k, v in processed_input.items()
                if k in ("compound_components", "components")}, label)
    return read_compound_classes(inputs)


def components(arch_value: dict, label: str) -> list[Component]:
    """The arch's storage levels (outermost first) and compute level, as `mapper energy`
    hands them to the estimators; dummy levels are left out (nothing to estimate)."""
    inputs = Inputs()
    inputs.add({"architecture": arch_value}, label)
    arch = read_arch(*inputs.require("architecture", "architecture"))
    out = [Component(level.name, level.component_class, level.attributes, level.instances,
                     subclass=level.attributes.get("subclass"))
           for level in reversed(arch.storage) if not level.is_dummy]
    out.append(Component(arch.compute.name, arch.compute.component_class,
                         arch.compute.attributes, arch.compute.instances))
    return out


def describe(comp: Component) -> tuple[str, str]:
    a = {str(k).lower(): v for k, v in comp.attributes.items()}
    cls = comp.subclass or a.get("subclass") or comp.component_class
    tech = a.get("technology")
    size = []
    if a.get("depth") is not None and a.get("width") is not None:
        size.append(f"{a['depth']}x{a['width']}b")
    elif a.get("type") is not None:
        size.append(str(a["type"]))
    elif a.get("multiplier_width") is not None:
        size.append(f"{a['multiplier_width']}b mult/{a.get('adder_width', '?')}b add")
    elif a.get("datawidth") is not None or a.get("width") is not None:
        size.append(f"{a.get('datawidth') or a.get('width')}b")
    if tech not in (None, -1, "-1", "SET ME"):
        size.append(str(tech))
    return str(cls), " ".join(size)


def estimate(comp: Component, registry: Registry) -> tuple[dict[str, float | None], str, str]:
    """Our numbers for one component (per action and area), the estimators, or why none."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tables, report = estimate_tables([comp], registry=registry)
    except EstimationError as e:
        return {}, "", str(e).splitlines()[0][:150]
    ours: dict[str, float | None] = {r.action: r.value for r in report.records}
    names = sorted({r.estimator for r in report.records if r.value is not None})
    return ours, ", ".join(names), ""


def reference_of(case: Case, name: str) -> dict[str, float]:
    ref = {}
    for action, e in case.energy.get(name, {}).items():
        key = ALIASES.get(action, action)
        if key in (*COMPARED, *INFO):
            ref[key] = max(e, ref.get(key, 0.0))
    if name in case.area:
        ref["area"] = case.area[name]
    return ref


def identity(row: Row) -> tuple:
    """What makes two rows the same comparison: the component, Accelergy's numbers and ours."""
    ours = sorted((a, None if v is None else float(f"{v:.6g}")) for a, v in row.ours.items()
                  if a in row.ref)
    return row.cls, row.size, sorted(row.ref.items()), ours, row.error


def ratio(ours: float | None, ref: float) -> tuple[float | None, str]:
    """(ours / reference, how to show it); None where there is nothing to compare."""
    if ours is None:
        return None, "-"
    if ref == 0:
        return (1.0, "=0") if ours == 0 else (None, "ref 0")
    r = ours / ref
    return r, f"{r:.2f}" + ("" if LOW <= r <= HIGH else "*")


def fmt(x: float | None) -> str:
    if x is None:
        return "-"
    if x == 0:
        return "0"
    return f"{x:.4g}"


@dataclass
class Tally:
    within: int = 0
    outside: int = 0
    missing: int = 0                 # we give no number
    zero: int = 0                    # Accelergy gives 0 where we do not
    ratios: list[tuple[float, str]] = field(default_factory=list)
    off: list[str] = field(default_factory=list)

    def add(self, r: float | None, shown: str, what: str) -> None:
        if r is None:
            if shown == "ref 0":
                self.zero += 1
            else:
                self.missing += 1
            self.off.append(f"{what}: {shown}")
        elif LOW <= r <= HIGH:
            self.within += 1
            self.ratios.append((r, what))
        else:
            self.outside += 1
            self.ratios.append((r, what))
            self.off.append(f"{what}: {shown}")

    @property
    def total(self) -> int:
        return self.within + self.outside + self.missing + self.zero


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=default_shared(),
                    help="the shared directory with reference/ and exercises/ (default: %(default)s)")
    ap.add_argument("--only", help="only designs whose label contains this")
    args = ap.parse_args()
    if not args.shared.is_dir():
        ap.error(f"--shared {args.shared}: no such directory")
    cases = reference_cases(args.shared) + exercise_cases(args.shared)
    if args.only:
        cases = [c for c in cases if args.only in c.label]
    everything, distinct, leak = Tally(), Tally(), Tally()
    groups: dict[bool, Tally] = {}
    seen_designs: dict[str, str] = {}
    seen_components: set[str] = set()
    for case in cases:
        try:
            comps = components(case.arch, case.label)
        except SpecError as e:
            print(f"\n== {case.label}  (reference: {case.source})\n  arch not read: "
                  f"{str(e).splitlines()[0]}")
            continue
        registry, _ = compound_registry(case.compound_classes, entry_points=False)
        rows = []
        for comp in comps:
            cls, size = describe(comp)
            ref = reference_of(case, comp.name)
            ours, est, err = estimate(comp, registry)
            rows.append(Row(comp.name, cls, size, ours, ref, est, err))
        key = repr([identity(r) for r in rows])
        if key in seen_designs:
            print(f"\n== {case.label}: same components, reference numbers and estimates as "
                  f"{seen_designs[key]} (not counted again)")
            continue
        seen_designs[key] = case.label
        print(f"\n== {case.label}  (reference: {case.source})")
        head = f"  {'component':22s} {'class':18s} {'size':22s}"
        print(head + "".join(f" {a:>20s}" for a in (*COMPARED, *INFO)) + "  ours from")
        for row in rows:
            cells = []
            comp_key = repr(identity(row))
            new = comp_key not in seen_components
            seen_components.add(comp_key)
            for action in (*COMPARED, *INFO):
                if action not in row.ref:
                    cells.append("")
                    continue
                mine = None if row.error else row.ours.get(action)
                r, shown = ratio(mine, row.ref[action])
                cells.append(f"{fmt(mine)}/{fmt(row.ref[action])} {shown}")
                what = f"{case.label}: {row.component}.{action}"
                if action == "leak":
                    leak.add(r, shown, what)
                elif action not in INFO:
                    everything.add(r, shown, what)
                    group = groups.setdefault(case.label.split("/")[0] == "reference", Tally())
                    group.add(r, shown, what)
                    if new:
                        distinct.add(r, shown, what)
            print(f"  {row.component:22s} {row.cls:18s} {row.size:22s}"
                  + "".join(f" {c:>20s}" for c in cells)
                  + "  " + (row.estimator or f"not estimated: {row.error}"))
    print("\nours/Accelergy's within 0.67-1.5x (read, write, compute, area):")
    for name, t in (("reference archs", groups.get(True, Tally())),
                    ("exercise designs", groups.get(False, Tally())),
                    ("all designs", everything), ("distinct components", distinct)):
        lo = min(t.ratios, default=(math.nan, ""))
        hi = max(t.ratios, default=(math.nan, ""))
        print(f"  {name:20s} {t.within} of {t.total} within; {t.outside} outside; "
              f"{t.missing} not estimated; {t.zero} zero in Accelergy's only; worst low "
              f"{lo[0]:.2f} ({lo[1]}), worst high {hi[0]:.2f} ({hi[1]})")
    print(f"  {'leak (information)':20s} {leak.within} of {leak.total} within; "
          f"{leak.outside} outside; {leak.missing} not estimated; {leak.zero} zero in "
          f"Accelergy's only")
    print("\nout of range, distinct components:")
    for line in distinct.off:
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
