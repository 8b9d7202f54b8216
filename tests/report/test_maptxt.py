"""map.txt: our printer reproduces Timeloop's timeloop.map.txt byte for byte."""
from __future__ import annotations

import re

import pytest

from mapper.report.maptxt import format_map_txt, level_loops
from mapper.spec.mapping import LevelMapping

from ..constraints.refs import CASES, PROBES, load, tile_sizes


@pytest.mark.parametrize("d", CASES + PROBES, ids=lambda p: p.name)
def test_reference_map_txt(d):
    ref = load(d)
    text = format_map_txt(ref.arch, ref.workload, ref.mapping,
                          tile_sizes(ref.arch, ref.workload, ref.mapping))
    assert text == (d / "timeloop.map.txt").read_text()


@pytest.mark.parametrize("d", CASES[:1], ids=lambda p: p.name)
def test_tile_sizes_from_the_headers(d):
    """The printer prints what it is given: the header numbers of Timeloop's file suffice."""
    expected = (d / "timeloop.map.txt").read_text()
    tiles = {m[1]: {ds: int(n) for ds, n, _ in re.findall(r"(\w+):(\d+) \((\d+)\)", m[2])}
             for m in re.finditer(r"^(\S+) \[ (.*)\] $", expected, re.M)}
    ref = load(d)
    assert format_map_txt(ref.arch, ref.workload, ref.mapping, tiles) == expected


def test_dummy_loop_and_spatial_order():
    dims = ("C", "M", "Q")
    lm = LevelMapping(temporal=(1, 1, 1), temporal_order=dims, spatial=(2, 4, 3),
                      spatial_order=("Q", "C", "M"), split=2, keep=frozenset())
    # no temporal loop -> dummy over the last dimension; Y (M) printed outside X (C, then Q)
    assert level_loops(lm, dims) == ["for Q in [0:1)", "for M in [0:4) (Spatial-Y)",
                                     "for C in [0:2) (Spatial-X)", "for Q in [0:3) (Spatial-X)"]


def test_missing_tile_size_is_named():
    ref = load(CASES[0])
    tiles = tile_sizes(ref.arch, ref.workload, ref.mapping)
    del tiles["shared_glb"]["Inputs"]
    with pytest.raises(ValueError, match="Inputs at shared_glb"):
        format_map_txt(ref.arch, ref.workload, ref.mapping, tiles)
