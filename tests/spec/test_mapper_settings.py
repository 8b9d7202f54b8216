"""Timeloop mapper settings as the exercises and timeloopfe's processed input spell them."""
import pytest

from mapper import api
from mapper.spec import SpecError, Where
from mapper.spec.errors import Notes
from mapper.inputs.mapper_settings import normalize_mapper_settings
from tests.exercises import DSE, TUTORIAL, needs_exercises


def test_singular_metric_nulls_and_thread_settings():
    notes = Notes()
    out = normalize_mapper_settings({"optimization_metric": ["delay", "energy"],
                                     "optimization_metrics": [], "sync_interval": None,
                                     "num_threads": 2, "search_size": None},
                                    Where("m.yaml", "mapper", notes))
    assert out == {"num_threads": 2, "optimization-metrics": ["delay", "energy"]}
    lines = "\n".join(notes.lines())
    assert "sync_interval, search_size (null: not set" in lines
    assert "optimization_metrics (empty: not set)" in lines


def test_two_different_metric_spellings_are_an_error():
    with pytest.raises(SpecError) as info:
        normalize_mapper_settings({"optimization_metrics": ["edp"],
                                   "optimization_metric": ["energy"]}, Where("m.yaml", "mapper"))
    assert info.value.path == "mapper.optimization_metric" and "given twice" in info.value.message


def test_a_bad_metric_is_reported_at_the_users_key():
    with pytest.raises(SpecError) as info:
        normalize_mapper_settings({"optimization_metric": ["speed"]}, Where("m.yaml", "mapper"))
    assert info.value.path.startswith("mapper.optimization_metric")


@needs_exercises
def test_the_2020_tutorial_mapper_settings():
    """05-mapper-conv1d+oc-3level: optimization_metric [delay, energy], linear_pruned."""
    ex = TUTORIAL / "timeloop" / "05-mapper-conv1d+oc-3level"
    spec = api.load([*sorted((ex / "arch").glob("*.yaml")),
                     ex / "constraints" / "null.constraints.yaml",
                     *sorted((ex / "prob").glob("*.yaml")),
                     *sorted((ex / "mapper").glob("*.yaml"))], need_mapping=False)
    s = api.search_settings(spec)
    assert s.objective.metrics == ("delay", "energy") and s.algorithm == "exhaustive"
    assert s.victory_condition is None and s.jobs == 1


@needs_exercises
def test_a_processed_input_can_be_searched_with_its_own_settings():
    spec = api.load([DSE / "outputs" / "parsed-processed-input.yaml"], need_mapping=False)
    s = api.search_settings(spec)
    assert s.objective.metrics == ("edp",) and s.search_size == 1000 and s.jobs == 4
    assert any("sync_interval" in line for line in spec.notes.lines())
