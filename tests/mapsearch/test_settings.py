"""Timeloop's mapper settings files (the reference's own) read into search settings."""
from pathlib import Path

import pytest

from mapper.mapsearch.settings import read_mapper_settings
from mapper.spec.errors import Notes, SpecError, Where
from mapper.spec.loader import load_yaml

DATA = Path(__file__).resolve().parents[1] / "data" / "timeloop" / "mapper_settings"


def test_timeloop_default_settings():
    notes = Notes()
    path = DATA / "timeloop_default.yaml"
    s = read_mapper_settings(load_yaml(path)["mapper"], Where(str(path), "mapper", notes))
    assert s.objective.metrics == ("edp",) and s.algorithm == "random"
    assert (s.jobs, s.victory_condition, s.search_size) == (4, 100, None)
    ignored = {p.rsplit(".", 1)[-1] for _, p in notes.ignored}
    assert {"timeout", "live-status", "log-stats", "max-permutations-per-if-visit"} <= ignored


def test_unknown_setting_names_file_and_path():
    with pytest.raises(SpecError, match=r"m\.yaml: mapper\.victory_condtion: unknown mapper "
                                        r"setting 'victory_condtion'"):
        read_mapper_settings({"victory_condtion": 5}, Where("m.yaml", "mapper"))
    with pytest.raises(SpecError, match="unknown algorithm 'genetic'"):
        read_mapper_settings({"algorithm": "genetic"}, Where("m.yaml", "mapper"))


@pytest.mark.parametrize("given, ours", [("random_pruned", "hybrid"), ("random-pruned", "hybrid"),
                                         ("random", "random"), ("linear_pruned", "exhaustive"),
                                         ("linear", "exhaustive"), ("hybrid", "hybrid")])
def test_timeloop_algorithms_map_to_ours(given, ours):
    # random-pruned samples a tiling, then tries loop orders and every keep and spatial
    # choice about it: a local search about each sample (ours: hybrid), not plain sampling
    assert read_mapper_settings({"algorithm": given}, Where("m.yaml", "mapper")).algorithm == ours
