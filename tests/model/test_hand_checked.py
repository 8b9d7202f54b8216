"""Small cases worked out by hand from the rules of TIMELOOP_SEMANTICS.md (numbers in comments)."""
from energy import ReferenceTables
from mapper.model.evaluate import Model

from .builders import arch, conv1d, gemm, level, mapping


def stats(ev, level_name, ds):
    d = ev.levels[level_name].dataspaces[ds]
    return (d.reads_per_instance, d.fills_per_instance, d.updates_per_instance)


def test_conv1d_two_levels_filter_outer():
    # Outputs[p] += Weights[r] * Inputs[p+r], P=4, R=3; buffer loops P4, DRAM loop R3.
    wl = conv1d(P=4, R=3)
    a = arch(level("DRAM"), level("buf", depth=64))
    m = mapping(wl, dict(t={"P": 4}), dict(t={"R": 3}))
    ev = Model(a, wl).evaluate_mapping(m)
    assert ev.computes == 12 and ev.cycles == 12
    buf = ev.levels["buf"].dataspaces
    # Tiles: Weights 1, Inputs 4 (p+r over P4), Outputs 4.
    assert [buf[n].utilized_capacity for n in ("Weights", "Inputs", "Outputs")] == [1, 4, 4]
    # Weights: each R step brings a new word: 1 + 2*1 = 3 fills.
    assert stats(ev, "buf", "Weights") == (12, 3, 0)
    # Inputs: R steps slide the window by one: 4 + 2*1 = 6 fills (the whole input).
    assert stats(ev, "buf", "Inputs") == (12, 6, 0)
    # Outputs stay (R does not move them): 12 updates, reads 12 - 4 first touches, no fills.
    assert stats(ev, "buf", "Outputs") == (8, 0, 12)
    assert buf["Outputs"].partition_size == 4
    assert stats(ev, "DRAM", "Outputs") == (0, 0, 4)
    assert stats(ev, "DRAM", "Inputs") == (6, 0, 0)
    assert stats(ev, "DRAM", "Weights") == (3, 0, 0)


def test_conv1d_stationarity_lost_by_outer_loop():
    # DRAM loops R3 (inner) then P2; buffer loop P2.
    wl = conv1d(P=4, R=3)
    a = arch(level("DRAM"), level("buf", depth=64))
    m = mapping(wl, dict(t={"P": 2}), dict(t={"R": 3, "P": 2}, order="RP"))
    ev = Model(a, wl).evaluate_mapping(m)
    # Weights tile 1: R carries move it (2 per P iteration, x2), the P carry moves it back to
    # r=0 (shift -1 != +1): full tile. 1 + 2*2*1 + 1*1*1 = 6.
    assert stats(ev, "buf", "Weights") == (12, 6, 0)
    # Inputs tile 2 (W = p+r over P2): R carries slide by 1 (delta 1); the P carry shifts the
    # window by +2 (P step) -1 (R back from index 1, Timeloop's extrapolation) = +1 = s_1:
    # delta 1. 2 + 2*2*1 + 1*1*1 = 7 (one more than the 6 distinct inputs).
    assert stats(ev, "buf", "Inputs") == (12, 7, 0)
    # Outputs tile 2: R does not move it (s_1 = 0); the P carry moves it: full tile.
    # D = 2 + 0 + 1*2 = 4 = partition: no fills; 12 updates, 8 reads.
    assert stats(ev, "buf", "Outputs") == (8, 0, 12)
    assert stats(ev, "DRAM", "Outputs") == (0, 0, 4)


def test_gemm_with_spatial_fanout_multicast_and_reduction():
    # Z[m,n] += A[m,k] B[k,n], M=4 N=2 K=3; 4 PEs (RF + MAC) under one buffer, M spatial.
    wl = gemm(M=4, N=2, K=3)
    a = arch(level("DRAM"), level("buf", depth=64, mesh=(1, 1)),
             level("rf", instances=4, mesh=(4, 1), depth=8), macs=4)
    m = mapping(wl,
                dict(t={"K": 3}, keep={"A"}),                 # rf: keeps A only
                dict(s={"M": 4}, t={"N": 2}),                 # buf: M4 across the PEs
                dict())                                        # DRAM
    tables = ReferenceTables({"rf": {"read": 1.0, "write": 2.0}, "buf": {"read": 10.0, "write": 20.0},
                              "DRAM": {"read": 100.0, "write": 200.0}, "mac": {"compute": 0.5}})
    ev = Model(a, wl, tables).evaluate_mapping(m)
    assert ev.computes == 24 and ev.compute.utilized_instances == 4 and ev.cycles == 6
    rf = ev.levels["rf"].dataspaces["A"]
    # rf A tile K3; N (above) does not move A: filled once, read every MAC.
    assert (rf.utilized_capacity, rf.reads_per_instance, rf.fills_per_instance) == (3, 6, 3)
    assert rf.utilized_instances == 4 and rf.partition_size == 3
    # buf A: 4 PEs hold different rows of A (no multicast): 4 x 3 reads.
    assert stats(ev, "buf", "A") == (12, 12, 0)
    # buf B: bypassed by rf, the same B[k,n] goes to all 4 PEs (multicast): 6 reads.
    assert stats(ev, "buf", "B") == (6, 6, 0)
    # buf Z: every MAC result comes back, 4 PEs x 6 = 24 updates (different m: no spatial
    # reduction); reads = 24 - 8 first touches; tile = partition = 8: no fills.
    assert stats(ev, "buf", "Z") == (16, 0, 24)
    assert stats(ev, "DRAM", "Z") == (0, 0, 8)
    # Energy: per-instance counts x instances x per-action energy (block size 1).
    assert ev.levels["rf"].energy_pJ == (6 * 1.0 + 3 * 2.0) * 4
    assert ev.levels["buf"].energy_pJ == (12 + 6 + 16) * 10.0 + (12 + 6 + 24) * 20.0
    assert ev.levels["DRAM"].energy_pJ == (12 + 6) * 100.0 + 8 * 200.0
    assert ev.compute.energy_pJ == 24 * 0.5


def test_gemm_spatial_reduction_over_k():
    # K spatial: the 3 PEs' partial sums of the same Z element are reduced on the way up.
    wl = gemm(M=2, N=2, K=3)
    a = arch(level("DRAM"), level("buf", depth=64), level("rf", instances=3, depth=8), macs=3)
    m = mapping(wl, dict(t={"M": 2, "N": 2}, order="MN", keep={"Z"}), dict(s={"K": 3}), dict())
    ev = Model(a, wl).evaluate_mapping(m)
    rf = ev.levels["rf"].dataspaces["Z"]
    assert (rf.updates_per_instance, rf.reads_per_instance, rf.partition_size) == (4, 0, 4)
    # K does not move Z: one group, so the buffer sees one update per rf delta (G = 1).
    assert stats(ev, "buf", "Z") == (0, 0, 4)


def test_capacity_and_fanout_violations_name_the_level():
    wl = gemm(M=4, N=2, K=3)
    a = arch(level("DRAM"), level("buf", depth=4), level("rf", instances=2, mesh=(2, 1), depth=8),
             macs=2)
    m = mapping(wl, dict(t={"K": 3}, keep={"A"}), dict(s={"M": 4}, t={"N": 2}), dict())
    ev = Model(a, wl).evaluate_mapping(m)
    assert not ev.valid
    text = " | ".join(ev.violations)
    assert "buf: the kept tiles need 26 words" in text and "holds 4" in text
    assert "fan-out of 4 in X but the level has 2 children in X" in text
