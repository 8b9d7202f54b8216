"""Accelergy compound components spread over several component files: merged, each class
placed at its file, and the components of the arch priced from their subcomponents."""
import pytest

from energy.scaling import energy_scale
from mapper import api
from mapper.spec import SpecError
from mapper.spec.components import read_compound_classes
from mapper.spec.loader import Inputs
from tests.exercises import DESIGNS, TUTORIAL, needs_exercises

TA = TUTORIAL / "timeloop+accelergy"
TO_45NM = energy_scale(40, 45)[0]         # Stillmaker & Baas, Aladdin's 40 nm -> 45 nm
ADD_32 = 0.2104162                         # Aladdin's 32-bit adder, pJ (power_func.h ADD_1ns)
ARCH = """architecture:
  version: 0.4
  nodes:
  - !Container {name: sys, attributes: {technology: 45nm}}
  - !Component {name: DRAM, class: DRAM, attributes: {type: LPDDR4, width: 64, datawidth: 8}}
  - !Component {name: reg, class: SRAM, subclass: register,
                attributes: {depth: 1, width: 8, datawidth: 8}}
  - !Component {name: mac, class: intmac, attributes: {multiplier_width: 8, adder_width: 16}}
"""
REGISTER = """components:
  version: 0.4
  classes:
  - name: register
    attributes: {}
    subcomponents: []
    actions:
    - {name: read, subcomponents: []}
    - {name: write, subcomponents: []}
"""
INTMAC = """components:
  classes:
  - name: intmac
    attributes: {multiplier_width: must_specify, adder_width: must_specify}
    subcomponents:
    - {name: adder, class: aladdin_adder, attributes: {width: adder_width}}
    - {name: multiplier, class: aladdin_multiplier, attributes: {width: multiplier_width}}
    actions:
    - name: compute
      subcomponents:
      - {name: adder, actions: [{name: add}]}
      - {name: multiplier, actions: [{name: multiply, action_share: 2}]}
"""


def files(tmp_path, **texts):
    out = []
    for name, text in texts.items():
        (tmp_path / f"{name}.yaml").write_text(text)
        out.append(tmp_path / f"{name}.yaml")
    return out


def test_classes_from_several_files_price_the_arch(tmp_path):
    spec = api.load(files(tmp_path, arch=ARCH, register=REGISTER, intmac=INTMAC),
                    need_mapping=False, need_workload=False)
    assert [c.name for c in spec.compound_classes] == ["register", "intmac"]
    assert spec.compound_classes[0].origin.endswith("register.yaml: components.classes[0]")
    # a free register (read/write with no parts; update := write)
    assert spec.tables.energy("reg", "read") == 0 and spec.tables.energy("reg", "update") == 0
    # the aladdin_multiplier is Aladdin's 32-bit multiplier (12.68341 pJ at 40 nm) x 8/32, x2
    # by its action_share, and the aladdin_adder its 32-bit adder (0.2104162 pJ) x 16/32, both
    # scaled to 45 nm
    assert spec.tables.energy("mac", "compute") == pytest.approx(
        (ADD_32 * 16 / 32 + 2 * 12.68341 * 8 / 32) * TO_45NM)
    rec = spec.energy_report.get("mac", "compute")
    assert rec.estimator == "compound components" and "intmac.yaml" in rec.note


def test_a_class_defined_twice_differently_names_both_files(tmp_path):
    other = INTMAC.replace("action_share: 2", "action_share: 3")
    with pytest.raises(SpecError) as info:
        api.load(files(tmp_path, arch=ARCH, a=INTMAC, b=other), need_mapping=False,
                 need_workload=False)
    e = info.value
    assert e.file.endswith("b.yaml") and e.path == "components.classes[0]"
    assert "defined twice" in e.message and "a.yaml" in e.message


def test_the_same_class_in_two_files_is_one(tmp_path):
    spec = api.load(files(tmp_path, arch=ARCH, a=INTMAC, b=INTMAC, r=REGISTER),
                    need_mapping=False, need_workload=False)
    assert [c.name for c in spec.compound_classes] == ["intmac", "register"]


@pytest.mark.parametrize("change, path, phrase", [
    ("- {name: adder, actions: [{name: add}]}", "components.classes[0].actions[0]"
     ".subcomponents[0].name", "no subcomponent named 'adder'"),
    ("{name: multiply, action_share: 2}", "components.classes[0].actions[0]"
     ".subcomponents[1].actions[0]", "not action_share and repeat"),
])
def test_malformed_classes_name_the_field(tmp_path, change, path, phrase):
    text = INTMAC.replace("{name: adder, class", "{name: add, class") if "adder" in change \
        else INTMAC.replace(change, "{name: multiply, action_share: 2, repeat: 2}")
    inputs = Inputs()
    inputs.add_file(files(tmp_path, c=text)[0])
    with pytest.raises(SpecError) as info:
        read_compound_classes(inputs)
    assert info.value.path == path and phrase in info.value.message


@needs_exercises
@pytest.mark.parametrize("mac, iw, ps, compute", [
    # the adder, an aladdin_adder of 16 b, and the multiplier, an aladdin_adder that gives no
    # width (width_a is not read, as in Accelergy): 32 b; Aladdin's 0.21 pJ at 32 b and 40 nm,
    # scaled to 45 nm (Accelergy's ERT: 0.315 without the node scaling)
    ("intmac", 8, 16, ADD_32 * (16 + 32) / 32 * TO_45NM),
    ("fpmac", 32, 32, 0.9 + 3.7),       # fpadder + fpmultiplier of exponent 8 + mantissa 24
])
def test_timeloop_accelergy_exercise_macs_from_their_subcomponents(mac, iw, ps, compute):
    comp = sorted((TA / "arch" / "components").glob("*.yaml"))
    spec = api.load([TA / "arch" / "arch.yaml", *comp, TA / "prob" / "prob.yaml"],
                    need_mapping=False, overrides={"mac_class": mac, "psum_datawidth": ps,
                                                   "input_weight_datawidth": iw})
    assert {c.name for c in spec.compound_classes} == {
        "intmac", "fpmac", "regfile", "smartbuffer_RF", "smartbuffer_SRAM"}
    assert spec.tables.energy("mac", "compute") == pytest.approx(compute)
    glb = spec.energy_report.get("shared_glb", "read")
    assert glb.estimator == "compound components" and "smartbuffer_SRAM.yaml" in glb.note
    # psum_spad (16 deep, max(ps, 16) wide) is a smartbuffer_RF over a 64 x 32 storage, its
    # read scaled by width/memory_width x (depth/memory_depth)^0.78; the storage is a regfile
    # whose own definition (per-bit registers and comparators) no table prices, so the most
    # accurate primitive estimate of a regfile answers for that part (the flip-flop model)
    rec = spec.energy_report.get("psum_spad", "read")
    assert rec.estimator == "compound components"
    width = max(ps, 16)
    scale = width / max(32, width) * 0.25 ** 0.78
    assert f"{scale:g} x storage.read" in rec.note and "register file" in rec.note


@needs_exercises
def test_a_class_only_a_compound_defines_loads():
    """sparse_tensor_core_like's SMEM is a smartbuffer_metadata, defined in
    _components/smartbuffer_metadata.yaml only."""
    out = DESIGNS / "sparse_tensor_core_like" / "ref_outputs" / "default_problem"
    spec = api.load([out / "parsed-processed-input.yaml", out / "timeloop-mapper.map.yaml"])
    rec = spec.energy_report.get("SMEM", "read")
    assert rec.estimator == "compound components" and rec.value > 0
