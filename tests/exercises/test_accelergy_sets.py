"""The Accelergy-only exercises 03 (compound classes, a MAC with an output FIFO) and 04 (an
eyeriss-like design whose meshes only Accelergy accepts) priced by ``mapper energy``, each
part from the cited tables; ``mapper model`` and ``search`` still refuse 04's meshes."""
from __future__ import annotations

import pytest

from energy import Component, Registry
from energy.components import normalize
from mapper import api
from mapper.cli import main
from mapper.spec.errors import SpecError
from tests.exercises import TUTORIAL, needs_exercises

ACC = TUTORIAL / "accelergy"
EX03 = ACC / "03_compound_architecture" / "input"
EX04 = ACC / "04_eyeriss_like" / "input"


def files(folder) -> list[str]:
    return [str(p) for p in sorted(folder.rglob("*.yaml"))]


def energy_spec(folder):
    return api.load(files(folder), need_mapping=False, need_workload=False, check_layout=False)


def builtin(cls: str, action: str | None, **attrs) -> float:
    reg = Registry.default(entry_points=False)
    norm = normalize(Component("c", cls, attrs), reg.index())
    return reg.choose("c", norm.cls, action, norm.attributes).value


@needs_exercises
def test_03_mac_with_output_fifo_is_its_mac_and_a_push_and_pop_of_the_fifo():
    spec = energy_spec(EX03)
    mac = spec.energy_report.get("MAC", "compute")
    assert mac.estimator == "compound components"
    assert "output_fifo.push" in mac.note and "output_fifo.pop" in mac.note
    # mac_fifo.yaml: a 16-bit intmac, and a FIFO of fifo_depth 2 entries of datawidth x 2 = 32
    # bits, at the arch's 45 nm and 1 V; push and pop each cost one access of the FIFO
    at = {"technology": "45nm", "voltage": 1.0}
    fifo = builtin("FIFO", "write", depth=2, width=32, **at)
    assert fifo == pytest.approx(builtin("FIFO", "read", depth=2, width=32, **at))
    assert mac.value == pytest.approx(builtin("intmac", "compute", datawidth=16, **at)
                                      + 2 * fifo, rel=1e-9)
    # the FIFO's access at 40 nm, 0.8 V (the table's own node): 0.3183747775 pJ
    # (tests/energy/test_storage_models.py), node and voltage scaled here
    assert fifo > 0.3183747775
    # mac_gated (an operand is zero: nothing switches) = an idle cycle of the MAC and of the
    # FIFO, each its leak energy of a cycle (idle := leak)
    gated = spec.energy_report.get("MAC", "mac_gated")
    assert gated.value == pytest.approx(builtin("intmac", "leak", datawidth=16, **at)
                                        + builtin("FIFO", "leak", depth=2, width=32, **at),
                                        rel=1e-9)
    assert "idle := leak" in gated.note
    area = spec.energy_report.get("MAC", "area").value
    assert area == pytest.approx(builtin("intmac", None, datawidth=16, **at)
                                 + builtin("FIFO", None, depth=2, width=32, **at), rel=1e-9)


@needs_exercises
def test_04_is_priced_although_its_meshes_break_timeloops_rule():
    spec = energy_spec(EX04)
    assert any("does not divide the mesh 14x12" in line for line in spec.notes.lines())
    area = {n: spec.energy_report.get(n, "area").value
            for n in ("ifmap_spad", "psum_spad", "weights_spad")}
    # the compound smartbuffer_RF reads the component's memory_depth (12, 16, 192 entries of
    # 16 bits), not its class default (12): its storage is the register file of that size
    assert area["ifmap_spad"] < area["psum_spad"] < area["weights_spad"]
    assert area["weights_spad"] > builtin("regfile", None, depth=192, width=16,
                                          technology="45nm")
    for name in ("weights_glb", "shared_glb", "ifmap_spad", "weights_spad", "psum_spad"):
        for action in ("read", "write"):
            record = spec.energy_report.get(name, action)
            assert record.value > 0 and record.estimator, (name, action)
    assert spec.energy_report.get("mac", "compute").value > 0


@needs_exercises
@pytest.mark.parametrize("command", ["model", "search"])
def test_04_meshes_are_a_clear_error_for_the_model_and_the_search(command, capsys):
    problem = (TUTORIAL / "timeloop" / "06-mapper-convlayer-eyeriss" / "prob"
               / "VGG02_layer5.yaml")
    assert main([command, *files(EX04), str(problem)]) == 2
    err = capsys.readouterr().err
    assert "architecture.yaml" in err and "local[2]" in err
    assert "mesh 168x1 does not divide the mesh 14x12 of the level below it" in err
    assert "Traceback" not in err
    with pytest.raises(SpecError, match="give meshX/meshY"):
        api.load(files(EX04), need_mapping=False)


@needs_exercises
def test_mapper_energy_on_04_prints_every_component(capsys):
    assert main(["energy", *files(EX04)]) == 0
    out = capsys.readouterr().out
    for name in ("weights_glb", "shared_glb", "ifmap_spad", "weights_spad", "psum_spad", "mac"):
        assert name in out
