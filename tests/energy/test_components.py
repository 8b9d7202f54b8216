"""Class names, aliases and attribute normalisation."""
from __future__ import annotations

import pytest

from energy import Component, EstimationError
from energy.components import class_index, explicit_energy, normalize, parse_technology

INDEX = class_index()


def norm(cls, subclass=None, **attrs):
    return normalize(Component("x", cls, attrs, subclass=subclass), INDEX)


@pytest.mark.parametrize("name,expected", [
    ("SRAM", "SRAM"), ("sram", "SRAM"), ("Smartbuffer_SRAM", "smartbuffer_SRAM"),
    ("smartbuffer_rf", "smartbuffer_RF"), ("REGFILE", "regfile"), ("intadder", "adder"),
    ("int_adder", "adder"), ("intmultiplier", "multiplier"), ("IntMAC", "intmac"),
    ("fpmac", "fpmac"), ("DRAM", "DRAM"), ("dummy_storage", "dummy_storage"), ("wire", "wire"),
])
def test_class_names_and_aliases_are_case_insensitive(name, expected):
    attrs = {"type": "LPDDR4", "width": 64} if expected == "DRAM" else {}
    assert norm(name, **attrs).cls.name == expected


def test_timeloop_storage_with_subclass():
    reg = norm("storage", subclass="aladdin_register")
    assert reg.cls.name == "register" and reg.cls.base == "regfile"
    # Accelergy's aladdin_register is one bit of one entry unless it says otherwise
    assert (reg.attributes["width"], reg.attributes["depth"]) == (1, 1)
    assert reg.attributes["capacity_bytes"] == 1 / 8
    assert norm("storage", subclass="aladdin_register", width=16).attributes["width"] == 16
    assert norm("Storage", subclass="smartbuffer_SRAM").cls.name == "smartbuffer_SRAM"
    with pytest.raises(EstimationError, match="needs a subclass"):
        norm("storage")


def test_unknown_class_names_the_component_and_lists_known_ones():
    with pytest.raises(EstimationError, match=r"component 'x'.*unknown class 'mram'.*SRAM"):
        norm("mram")


def test_width_from_block_size_and_capacity():
    a = norm("smartbuffer_SRAM", depth=16384, block_size=8, datawidth=8, technology="32nm").attributes
    assert a["width"] == 64 and a["capacity_bytes"] == 128 * 1024 and a["technology"] == 32
    b = norm("SRAM", size=1024, width=64, **{"word-bits": 16}).attributes
    assert b["datawidth"] == 16 and b["block_size"] == 4 and b["depth"] == 256


def test_dram_needs_width_and_takes_accelergys_default_type():
    with pytest.raises(EstimationError, match="missing attribute width"):
        norm("DRAM", type="LPDDR4")
    assert norm("DRAM", type="hbm2", width=64).attributes["type"] == "HBM2"
    untyped = norm("DRAM", width=64)       # Accelergy's DRAM model defaults to LPDDR4
    assert untyped.attributes["type"] == "LPDDR4"
    assert any("no DRAM type given: LPDDR4" in n for n in untyped.notes)


def test_mac_widths_default_to_datawidth():
    n = norm("intmac", datawidth=16)
    assert n.attributes["multiplier_width"] == 16 and n.attributes["adder_width"] == 16
    assert any("adder_width = datawidth" in s for s in n.notes)


@pytest.mark.parametrize("raw,nm", [("45nm", 45), (45, 45), ("45 nm", 45), (45e-9, 45),
                                    ("0.065um", 65), ("-1", None), ("SET ME", None), (None, None)])
def test_technology_parsing(raw, nm):
    assert parse_technology(raw, "here") == nm


def test_bad_attributes_are_errors():
    with pytest.raises(EstimationError, match="technology 'fast'"):
        norm("SRAM", technology="fast")
    with pytest.raises(EstimationError, match="depth='deep' is not a number"):
        norm("SRAM", depth="deep")
    with pytest.raises(EstimationError, match="not a valid energy"):
        explicit_energy({"read_energy": -1}, "c")


def test_explicit_energies_in_two_spellings():
    e = explicit_energy({"energy": {"read": 1.5, "random_fill": 2}, "update_energy": 3}, "c")
    assert e == {"read": 1.5, "write": 2.0, "update": 3.0}
