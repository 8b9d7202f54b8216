"""The smaller forms of the public exercises that used to stop them at the door, each on the
exercise that has it (and a hand-made case where that is clearer)."""
import pytest

from mapper import api
from tests.exercises import TUTORIAL, needs_exercises

TL = TUTORIAL / "timeloop"


def files(folder: str, *patterns: str):
    out = []
    for p in patterns:
        found = sorted((TL / folder).glob(p))
        assert found, p
        out += found
    return out


@needs_exercises
def test_dram_without_a_type_is_accelergys_lpddr4():
    """03-model-conv1d+oc-3level's MainMemory names no DRAM type; Accelergy prices it as
    LPDDR4 (the reference ERT: 2048 pJ for 256 bits), and the run says so."""
    spec = api.load(files("03-model-conv1d+oc-3level", "arch/*.yaml",
                          "map/conv1d+oc-3level.map.yaml", "prob/*.yaml"))
    ref = (TL / "03-model-conv1d+oc-3level" / "ref-output" / "no-bypass"
           / "timeloop-model.ERT.yaml").read_text()
    assert "energy: 2048.0" in ref
    assert spec.tables.energy("MainMemory", "read") == 2048.0
    assert any("MainMemory: a DRAM without a type is LPDDR4" in w
               for w in spec.energy_warnings)
