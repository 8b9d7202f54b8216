"""Architecture templates: the bundled ones reproduce the reference archs, each expresses its
dataflow, and every one maps every layer kind of problems/."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from mapper import api
from mapper.network.layer_shapes import batched_matmul, conv, linear
from mapper.spec import read_arch
from mapper.spec.einsum import read_einsum
from mapper.spec.errors import Where
from mapper.spec.loader import load_yaml
from mapper.spec.timeloop_constraints import build_constraints, read_constraints
from mapper.inputs.templates import TEMPLATE_DIR, load_template, parameters, template_names

from .helpers import outermost_mapping, run

DATA = Path(__file__).resolve().parents[1] / "data" / "timeloop"
REFERENCE = {"eyeriss_like": "eyeriss_like", "weight_stationary": "simple_weight_stationary",
             "output_stationary": "simple_output_stationary"}
CASES = {"eyeriss_like": "eyeriss_like__resnet18_conv3x3_7__mapper_default",
         "weight_stationary": "simple_weight_stationary__resnet18_conv3x3_7__mapper_default"}
PROBLEM = DATA / "problems" / "resnet18_conv3x3_7.yaml"
#: every template names these parameters (sweeps change them by name)
COMMON = {"pe_rows", "pe_cols", "glb_kb", "word_bits", "technology", "dram_type", "clock_mhz"}


def reference_arch(template: str):
    path = DATA / "archs" / f"{REFERENCE[template]}.yaml"
    return read_arch(load_yaml(path), Where(str(path)))


def test_bundled_templates():
    assert set(template_names()) >= {"eyeriss_like", "simba_like", "systolic_ws",
                                     "output_stationary", "weight_stationary", "nvdla_like"}


@pytest.mark.parametrize("name", template_names())
def test_header_parameters_and_estimated_energy(name):
    text = (TEMPLATE_DIR / f"{name}.yaml").read_text()
    assert text.startswith(f"# {name}: ")
    header = text[: text.index("\narch:")]
    for section in ("Models:", "Numbers", "Dataflow"):
        assert section in header, f"{name}: header says nothing under {section!r}"
    assert COMMON <= set(parameters(name))
    arch = load_template(name)
    assert arch.name == name and arch.constraints
    clock = arch.attributes["global_cycle_seconds"]
    assert clock == pytest.approx(1 / (parameters(name)["clock_mhz"] * 1e6))
    spec = api.load([name], need_mapping=False, need_workload=False)
    assert spec.energy_source == "ERT estimated; ART estimated"
    assert all(e >= 0 for actions in spec.tables.energy_pJ.values() for e in actions.values())


@pytest.mark.parametrize("name", template_names())
def test_every_on_chip_component_has_an_area_and_a_static_power(name):
    """Area > 0 and leak > 0 for every storage and compute component (DRAM is off-chip: no
    area, no leakage, as Accelergy's DRAM model; dummy levels are not components)."""
    spec = api.load([name], need_mapping=False, need_workload=False)
    arch = spec.arch
    for comp in (*arch.storage, arch.compute):
        if getattr(comp, "is_dummy", False) or comp.component_class == "DRAM":
            continue
        assert spec.tables.area(comp.name) > 0, (name, comp.name)
        assert spec.tables.energy(comp.name, "leak") > 0, (name, comp.name)
    assert spec.tables.area(arch.storage[-1].name) == 0


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_defaults_reproduce_the_reference_arch(name):
    arch, ref = load_template(name), reference_arch(name)
    assert arch.storage == ref.storage and arch.compute == ref.compute
    assert arch.name == name != ref.name        # ours is named after the template


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_inline_constraints_equal_the_reference_architecture_constraints(name):
    ref_path = DATA / "archs" / f"{REFERENCE[name]}.yaml"
    spec = api.load([ref_path, PROBLEM], need_mapping=False)
    wl, dims = spec.workload, spec.workload.dims
    ours = build_constraints([], load_template(name), wl)
    theirs = read_constraints(spec.inputs, spec.arch, wl)
    for a, b in zip(ours.levels, theirs.levels):
        assert (a.level, a.keep, a.bypass) == (b.level, b.keep, b.bypass)
        for kind in ("temporal", "spatial"):
            na, nb = getattr(a, kind), getattr(b, kind)
            assert [na.factor_range(d, wl.bounds[d]) for d in dims] == \
                [nb.factor_range(d, wl.bounds[d]) for d in dims], (a.level, kind)
            assert na.split == nb.split
            if not spec.arch.storage[spec.arch.level_index(a.level)].is_dummy:
                assert (na.order and na.order.inner) == (nb.order and nb.order.inner)


def _counts(ev) -> dict:
    """Everything of stats.json but the energies (ours are estimated, the reference's given)."""
    def strip(d):
        if isinstance(d, dict):
            return {k: strip(v) for k, v in d.items() if "energy" not in k and "area" not in k}
        return d
    return strip(ev.to_json())


@pytest.mark.parametrize("name", sorted(CASES))
def test_reference_mapping_counts_equal_on_the_template(name):
    case = DATA / "cases" / CASES[name]
    ref = api.load([DATA / "archs" / f"{REFERENCE[name]}.yaml", PROBLEM, case / "map.yaml"])
    ours = api.load([name, PROBLEM, case / "map.yaml"])
    assert api.check(ours) == [] == api.check(ref)
    a, b = api.evaluate(ours), api.evaluate(ref)
    assert a.valid and b.valid
    assert _counts(a) == _counts(b)
    stats = (case / "timeloop.stats.txt").read_text()
    assert re.search(rf"Cycles: {a.cycles}\b", stats)


LAYERS = [conv("conv3x3_s2", 64, 128, 3, 3, 28, 28, stride=(2, 2)),
          conv("depthwise", 32, 32, 3, 3, 56, 56, groups=32),
          linear("fc", 4096, 1000), linear("tokens", 768, 3072, rows=16, n=2),
          batched_matmul("scores", 16, 64, 16, 12)]


@pytest.mark.parametrize("name", template_names())
@pytest.mark.parametrize("layer", LAYERS, ids=lambda p: p["name"])
def test_every_template_maps_every_layer_kind(name, layer):
    arch, wl = load_template(name), read_einsum(layer, Where("layer"))
    broken, ev = run(arch, wl, outermost_mapping(arch, wl))
    assert broken == [] and ev.valid and ev.computes == wl.macs


#: each template's own dataflow, on conv3x3_s2 (C=64, M=128): spatial factors per level
DATAFLOW = {
    "systolic_ws": {"unified_buffer": ({"M": 32}, {}), "accumulator": ({}, {"C": 32})},
    "simba_like": {"global_buffer": ({"M": 4}, {"C": 4}), "pe_input_buffer": ({"M": 8}, {}),
                   "pe_accu_buffer": ({"C": 8}, {})},
    "nvdla_like": {"cbuf": ({"M": 16}, {}), "accumulator": ({}, {"C": 64})},
    # the exercises' split puts only N on X (see the templates' headers)
    "weight_stationary": {"inter_PE_spatial": ({}, {"M": 16})},
    "output_stationary": {"inter_PE_spatial": ({}, {"C": 16})},
    "eyeriss_like": {"inter_PE_column_spatial": ({"Q": 7, "M": 2}, {}),
                     "inter_PE_spatial": ({}, {"S": 3, "C": 4})},
}
#: and a spatial choice each one's constraints forbid
FORBIDDEN = {
    "systolic_ws": {"unified_buffer": ({"P": 2}, {})},
    "simba_like": {"pe_accu_buffer": ({"M": 8}, {})},
    "nvdla_like": {"accumulator": ({}, {"P": 7})},
    "weight_stationary": {"inter_PE_spatial": ({}, {"P": 14})},
    "output_stationary": {"inter_PE_spatial": ({}, {"R": 3})},
    "eyeriss_like": {"inter_PE_spatial": ({}, {"P": 2})},
}


@pytest.mark.parametrize("name", template_names())
def test_dataflow_mapping_fills_the_array_and_others_break_constraints(name):
    arch, wl = load_template(name), read_einsum(LAYERS[0], Where("layer"))
    broken, ev = run(arch, wl, outermost_mapping(arch, wl, DATAFLOW[name]))
    assert broken == [] and ev.valid, (broken, ev.violations)
    used = 1
    for x, y in DATAFLOW[name].values():
        for f in (*x.values(), *y.values()):
            used *= f
    assert ev.compute.utilized_instances == used
    broken, _ = run(arch, wl, outermost_mapping(arch, wl, FORBIDDEN[name]))
    assert broken, f"{name}: expected its constraints to forbid {FORBIDDEN[name]}"


def test_templates_are_plain_yaml():
    for name in template_names():
        assert yaml.safe_load((TEMPLATE_DIR / f"{name}.yaml").read_text())["arch"]["levels"]
