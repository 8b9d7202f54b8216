"""Storage energy, leakage and area from depth, width, ports and node: hand-checked against the
cited tables (energy/tables/aladdin_40nm.yaml, sram_cacti7.csv) and node scaling against the
scaling source's own table."""
from __future__ import annotations

import math

import pytest

from energy import Component
from energy.components import normalize
from energy.scaling import NODES_NM, area_scale, energy_scale

from .helpers import builtins, choose, value

# Aladdin (harvard-acc/ALADDIN common/power_func.h, 40 nm, 1 ns): register bit
REG_E, REG_LEAK_UW, REG_A = 8.999495e-03, 7.395312e-05 * 1e3, 5.981433
# hwcomponents-library AladdinComparator (40 nm, 32 bits) / 32: one select leg per stored bit
SEL_E, SEL_LEAK_UW, SEL_A = 0.02947 / 32, 2.51e-5 * 1e3 / 32, 71 / 32
T40 = {"technology": "40nm"}


@pytest.mark.parametrize("depth,width", [(64, 8), (192, 16), (12, 16), (2048, 8), (128, 24)])
def test_register_file_is_its_flipflops_and_select_legs(depth, width):
    reg = builtins()
    legs = width * (depth - 1)
    for action in ("read", "write", "update"):
        c = choose(reg, "regfile", action, depth=depth, width=width, **T40)
        assert c.value == pytest.approx(width * REG_E + legs * SEL_E, rel=1e-12)
        assert c.estimator == "register file = flip-flops + select network"
    assert value(reg, "regfile", None, depth=depth, width=width, **T40) == pytest.approx(
        depth * width * REG_A + legs * SEL_A, rel=1e-12)
    # static power x 1 ns per cycle: uW x 1e-9 s = 1e-3 pJ
    leak = choose(reg, "regfile", "leak", depth=depth, width=width, global_cycle_seconds=1e-9,
                  **T40)
    assert leak.value == pytest.approx((depth * width * REG_LEAK_UW + legs * SEL_LEAK_UW) * 1e-3,
                                       rel=1e-12)


def test_hand_checked_64x8_register_file():
    # 8 x 0.008999495 + 8 x 63 x 0.02947 / 32 = 0.0719960 + 0.4641525 pJ;
    # 512 x 5.981433 + 504 x 71 / 32 = 3062.4937 + 1118.25 um^2
    reg = builtins()
    assert value(reg, "regfile", "read", depth=64, width=8, **T40) == pytest.approx(0.5361485)
    assert value(reg, "regfile", None, depth=64, width=8, **T40) == pytest.approx(4180.7437)


def test_a_register_is_a_one_entry_register_file_of_flipflops():
    reg = builtins()
    c = choose(reg, "aladdin_register", "read", depth=1, width=16, **T40)
    assert c.value == pytest.approx(16 * REG_E) and "select leg" not in c.estimate.note
    assert value(reg, "aladdin_register", None, depth=1, width=16, **T40) == pytest.approx(
        16 * REG_A)


def test_register_file_energy_grows_with_capacity_and_scales_with_node():
    reg = builtins()
    small = value(reg, "smartbuffer_RF", "read", depth=16, width=16, **T40)
    large = value(reg, "smartbuffer_RF", "read", depth=256, width=16, **T40)
    assert large > 10 * small
    at45 = choose(reg, "smartbuffer_RF", "read", depth=16, width=16, technology="45nm")
    assert at45.value == pytest.approx(small * energy_scale(40, 45)[0], rel=1e-12)
    assert "Stillmaker & Baas" in at45.estimate.note
    assert "address generators are not modelled" in at45.estimate.note


# Stillmaker & Baas (2017) area scaling between their nodes, as tabulated from the paper (2
# significant digits) in Accelergy's hwcomponents (scaling/techscaling.py, AREA_SCALING[X][Y]:
# from node X to node Y); rows and columns 130, 90, 65, 45, 32, 20, 16, 14, 10, 7 nm.
PAPER_AREA = [
    [1, 0.44, 0.23, 0.16, 0.072, 0.033, 0.03, 0.027, 0.016, 0.0092],
    [2.3, 1, 0.53, 0.35, 0.16, 0.075, 0.067, 0.061, 0.036, 0.021],
    [4.3, 1.9, 1, 0.66, 0.31, 0.14, 0.13, 0.12, 0.068, 0.039],
    [6.4, 2.8, 1.5, 1, 0.46, 0.21, 0.19, 0.17, 0.1, 0.059],
    [14, 6.1, 3.3, 2.2, 1, 0.46, 0.41, 0.38, 0.22, 0.13],
    [30, 13, 7.1, 4.7, 2.2, 1, 0.89, 0.82, 0.48, 0.28],
    [34, 15, 7.9, 5.3, 2.4, 1.1, 1, 0.91, 0.54, 0.31],
    [37, 16, 8.7, 5.8, 2.7, 1.2, 1.1, 1, 0.59, 0.34],
    [63, 28, 15, 9.8, 4.5, 2.1, 1.9, 1.7, 1, 0.58],
    [110, 48, 25, 17, 7.8, 3.6, 3.2, 2.9, 1.7, 1],
]


def test_area_scaling_reproduces_the_papers_table_between_every_pair_of_nodes():
    # our factors are ratios of the 45 nm row; the paper's other rows agree to its rounding
    # (2 significant digits: within 6%)
    for i, a in enumerate(NODES_NM):
        for j, b in enumerate(NODES_NM):
            assert area_scale(a, b)[0] == pytest.approx(PAPER_AREA[i][j], rel=0.06), (a, b)


def test_energy_scaling_is_the_papers_polynomial_ratio():
    # 45 -> 32 nm at 0.8 V: (0.9559 V^2 - 0.7823 V + 0.471) / (1.103 V^2 - 0.362 V + 0.2767)
    v = 0.8
    expected = (0.9559 * v * v - 0.7823 * v + 0.471) / (1.103 * v * v - 0.362 * v + 0.2767)
    assert energy_scale(45, 32)[0] == pytest.approx(expected, rel=1e-12)
    # Accelergy's own 45 and 32 nm runs of the same register files scale by the same factor
    # (eyeriss_like weights_spad 192x16: 1.976602 pJ at 32 nm, 3.005554 pJ at 45 nm)
    assert 1.976602 / 3.005554 == pytest.approx(expected, rel=0.01)
    assert math.isclose(energy_scale(32, 45)[0] * expected, 1.0)


# CACTI 7 rows of energy/tables/sram_cacti7.csv (45 nm, 64-bit accesses, one read-write port):
# capacity bytes, banks -> read pJ, write pJ, leakage uW, area um^2
CACTI_45 = {(131072, 1): (32.2859, 26.065, 30.018, 429589),
            (262144, 1): (44.7157, 38.4949, 60.0359, 872095),
            (131072, 32): (27.7923, 28.5989, 41.8205, 530830)}
T45 = {"technology": "45nm", "width": 64, "global_cycle_seconds": 1e-9}


@pytest.mark.parametrize("key", sorted(CACTI_45))
def test_sram_grid_points_are_cactis_numbers(key):
    capacity, banks = key
    read, write, leak_uw, area = CACTI_45[key]
    reg = builtins()
    q = dict(T45, depth=capacity * 8 // 64, n_banks=banks)
    c = choose(reg, "smartbuffer_SRAM", "read", **q)
    assert c.value == read and c.estimator == "sram_cacti7" and c.estimate.accuracy == 80
    assert "CACTI 7" in c.estimate.citation
    assert value(reg, "SRAM", "write", **q) == write
    assert value(reg, "SRAM", None, **q) == area
    assert value(reg, "SRAM", "leak", **q) == pytest.approx(leak_uw * 1e-3)   # uW x 1 ns


def test_sram_interpolates_capacity_in_log_log_and_says_so():
    reg = builtins()
    c = choose(reg, "SRAM", "read", depth=192 * 1024 * 8 // 64, n_banks=1, **T45)   # 192 KiB
    lo, hi = CACTI_45[(131072, 1)][0], CACTI_45[(262144, 1)][0]
    t = math.log(192 / 128) / math.log(2)
    assert c.value == pytest.approx(math.exp(math.log(lo) + t * math.log(hi / lo)))
    assert "interpolated capacity_bytes=196608 between 131072 and 262144" in c.estimate.note


def test_sram_ports_and_banks_are_axes():
    reg = builtins()
    one = value(reg, "SRAM", "read", depth=16384, n_banks=1, **T45)
    assert value(reg, "SRAM", "read", depth=16384, n_banks=1, n_rw_ports=2, **T45) == 58.2323
    assert value(reg, "SRAM", "read", depth=16384, n_banks=1, n_rdwr_ports=2, **T45) == 58.2323
    assert value(reg, "SRAM", "read", depth=16384, n_banks=32, **T45) == 27.7923 < one


def test_sram_at_a_cacti_node_is_not_scaled_and_between_nodes_is():
    reg = builtins()
    q = dict(depth=512, width=128, n_banks=2)
    at32 = choose(reg, "SRAM", "read", technology="32nm", **q)
    assert at32.value == 5.30731 and "scaled" not in at32.estimate.note
    at40 = choose(reg, "SRAM", "read", technology="40nm", **q)
    # the nearest CACTI node (45 nm: 9.65335 pJ) scaled by Stillmaker & Baas, 10 points less
    assert at40.value == pytest.approx(9.65335 * energy_scale(45, 40)[0])
    assert at40.estimate.accuracy == 70 and "scaled 45 nm -> 40 nm" in at40.estimate.note


def test_sram_beyond_the_table_extrapolates_each_quantity_with_its_own_exponent():
    reg = builtins()
    q = dict(T45, depth=8 * 1024 * 1024 * 8 // 64, n_banks=1)                   # 8 MiB
    read = choose(reg, "SRAM", "read", **q)
    assert read.value == pytest.approx(188.734 * 2 ** 0.5) and read.estimate.extrapolated
    assert read.estimate.accuracy == 60
    assert value(reg, "SRAM", None, **q) == pytest.approx(1.1989e+07 * 2)       # area: 1.0
    assert value(reg, "SRAM", "leak", **q) == pytest.approx(905.627e-3 * 2)     # leakage: 1.0


def test_the_cacti_table_reproduces_accelergys_cacti_run_of_the_same_buffer():
    """Same tool, same configuration: the 2024 design-space exercise's 8 KiB buffer (512 x 128
    bits, 2 banks, 45 nm; its ERT/ART: read 9.65335, write 12.6203 pJ, 43608.4 um^2)."""
    reg = builtins()
    q = dict(depth=512, width=128, n_banks=2, technology="45nm")
    assert value(reg, "SRAM", "read", **q) == 9.65335
    assert value(reg, "SRAM", "write", **q) == 12.6203
    assert value(reg, "SRAM", None, **q) == pytest.approx(43608.4, rel=1e-5)


# --- FIFO, one-bit register, comparator (Accelergy's FIFO, aladdin_register and
# aladdin_comparator: the parts of its compound classes) --------------------------------------
# hwcomponents-library AladdinComparator (40 nm, 32 bits): 0.02947 pJ, 71 um^2, 2.51e-5 mW
CMP32_E, CMP32_A, CMP32_LEAK_UW = 0.02947, 71.0, 2.51e-5 * 1e3


def test_a_comparator_is_linear_in_its_width_between_1_and_32_bits():
    reg = builtins()
    assert value(reg, "aladdin_comparator", "compute", width=32, **T40) == CMP32_E
    # 6 bits: 6/32 of the 32-bit comparator = 0.005525625 pJ, 13.3125 um^2
    assert value(reg, "comparator", "compute", width=6, **T40) == pytest.approx(0.005525625)
    assert value(reg, "comparator", None, width=6, **T40) == pytest.approx(13.3125)
    leak = value(reg, "comparator", "leak", width=32, global_cycle_seconds=1e-9, **T40)
    assert leak == pytest.approx(CMP32_LEAK_UW * 1e-3)           # uW x 1 ns = 1e-3 pJ


def test_a_register_without_width_is_one_flipflop():
    # Accelergy's compound register files are width x depth aladdin_registers of one bit
    reg = builtins()
    norm = normalize(Component("c", "aladdin_register", dict(T40)), reg.index())
    assert (norm.attributes["width"], norm.attributes["depth"]) == (1, 1)
    assert any(n.startswith("width 1") for n in norm.notes)
    assert value(reg, "aladdin_register", "read", **T40) == pytest.approx(REG_E)
    assert value(reg, "aladdin_register", None, **T40) == pytest.approx(REG_A)


@pytest.mark.parametrize("action", ["write", "read", "push", "pop"])
def test_hand_checked_fifo_of_2_entries_of_32_bits(action):
    # an entry's 32 flip-flops + 32 x (2 - 1) select legs + a 1-bit pointer comparator:
    # 32 x 0.008999495 + 32 x 0.0009209375 + 0.0009209375
    #   = 0.28798384 + 0.02947 + 0.0009209375 = 0.3183747775 pJ
    from energy.components import ACTION_ALIASES
    reg = builtins()
    c = choose(reg, "FIFO", ACTION_ALIASES.get(action, action), depth=2, width=32, **T40)
    assert c.value == pytest.approx(0.3183747775, rel=1e-12)
    assert "pointer comparator" in c.estimate.note
    # area: 64 flip-flops + 32 select legs + the comparator:
    # 64 x 5.981433 + 32 x 2.21875 + 2.21875 = 382.811712 + 71 + 2.21875 um^2
    assert value(reg, "FIFO", None, depth=2, width=32, **T40) == pytest.approx(456.030462)


def test_fifo_pointer_comparator_has_log2_depth_bits():
    # 8 entries of 16 bits: 16 x REG_E + 16 x 7 x SEL_E + a 3-bit comparator (3 x SEL_E)
    reg = builtins()
    fifo = value(reg, "FIFO", "write", depth=8, width=16, **T40)
    assert fifo == pytest.approx(16 * REG_E + 112 * SEL_E + 3 * SEL_E, rel=1e-12)
    assert fifo - value(reg, "regfile", "write", depth=8, width=16, **T40) == pytest.approx(
        3 * SEL_E, rel=1e-9)


def test_aladdin_adder_and_multiplier_are_aladdins_units_linear_in_width():
    """Accelergy's aladdin_adder and aladdin_multiplier are Aladdin's 40 nm units
    (power_func.h ADD_1ns, MUL_1ns: 0.2104162 pJ, 277.9792 um^2; 12.68341 pJ, 6351.338 um^2
    at 32 bits), linear in width as Accelergy's library scales them; adder and intadder stay
    Horowitz's 45 nm adder (16 bits: 0.05 pJ)."""
    reg = builtins()
    assert value(reg, "aladdin_adder", "compute", width=32, **T40) == pytest.approx(0.2104162)
    assert value(reg, "aladdin_adder", "compute", width=16, **T40) == pytest.approx(0.1052081)
    assert value(reg, "aladdin_adder", None, width=16, **T40) == pytest.approx(138.9896)
    assert value(reg, "aladdin_multiplier", "compute", width=8, **T40) == pytest.approx(
        12.68341 / 4)
    assert value(reg, "aladdin_multiplier", None, width=8, **T40) == pytest.approx(6351.338 / 4)
    leak = value(reg, "aladdin_multiplier", "leak", width=32, global_cycle_seconds=1e-9, **T40)
    assert leak == pytest.approx(77.86052e-3)                    # uW x 1 ns = 1e-3 pJ
    assert value(reg, "intadder", "compute", width=16, technology="45nm") == pytest.approx(0.05)
