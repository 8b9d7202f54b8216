"""``--objective`` and objectives in files: one parser of the text form
(``search.objective.parse_objective_text``); what does not parse is a usage error (exit 2) that
names the option, or the file and key, and says what was expected, never a traceback."""
from __future__ import annotations

from pathlib import Path

import pytest

from mapper.cli import main
from mapper.mapsearch import parse_objective
from mapper.mapsearch.objective import parse_objective_text

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "eyeriss_like"


@pytest.mark.parametrize("text, says", [
    ("energy:1,delay", "got the item 'delay' (no weight"),
    ("energy:", "got the item 'energy:'"),
    (":1", "got the item ':1'"),
    ("energy:1:2", "got the item 'energy:1:2'"),
    ("energy:x", "weight of energy to be a finite number >= 0, got 'x'"),
    ("energy:-1", "weight of energy to be a finite number >= 0, got '-1'"),
    ("energy:nan", "finite number >= 0, got 'nan'"),
    ("energy:0,delay:0", "expected at least one weight > 0"),
    ("delay:1,cycles:2", "metric delay appears twice"),
    ("power", "unknown metric 'power'; expected one of energy, delay, edp"),
    ("energy:1,power:2", "unknown metric 'power'"),
    ("", "expected a metric (energy, delay, edp, last_level_accesses, ramped_delay)"),
    (" , ", "expected a metric"),
])
@pytest.mark.parametrize("command", ["search", "network"])
def test_objectives_that_do_not_parse_are_usage_errors(tmp_path, capsys, text, says, command):
    args = ([str(EXAMPLE / "arch.yaml"), str(EXAMPLE / "problem.yaml")] if command == "search"
            else ["eyeriss_like", "resnet18"])
    with pytest.raises(SystemExit) as exit_:
        main([command, *args, "--objective", text, "-o", str(tmp_path)])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "argument --objective: " in err and says in err and "Traceback" not in err
    assert not (tmp_path / "mapping.yaml").exists()


@pytest.mark.parametrize("text, metrics, weights", [
    ("edp", ("edp",), None),
    ("energy, cycles", ("energy", "delay"), None),
    ("energy:1,delay:0.5", ("energy", "delay"), (1.0, 0.5)),
    (" Energy : 2 , last-level-accesses:0 ", ("energy", "last_level_accesses"), (2.0, 0.0)),
    ("edp,", ("edp",), None),
])
def test_the_text_form_of_an_objective(text, metrics, weights):
    obj = parse_objective_text(text)
    assert (obj.metrics, obj.weights) == (metrics, weights)
    assert parse_objective(text) == obj                      # files' strings: the same parser


def test_an_objective_in_a_settings_file_names_the_file_and_key(tmp_path, capsys):
    settings = tmp_path / "mapper.yaml"
    settings.write_text("mapper:\n  optimization-metrics: 'energy:1,delay'\n")
    code = main(["search", str(EXAMPLE / "arch.yaml"), str(EXAMPLE / "problem.yaml"), str(settings),
                 "-o", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert f"{settings}: mapper.optimization-metrics: expected a metric" in err


@pytest.mark.parametrize("value, says", [
    ({"energy": -1}, "weight to be a finite number >= 0, got -1"),
    ({"energy": float("inf")}, "finite number >= 0, got inf"),
    ({"energy": "x"}, "finite number >= 0, got 'x'"),
    ({"energy": 0, "delay": 0}, "expected at least one weight > 0"),
    ({}, "expected a metric"),
    ([], "expected a metric"),
])
def test_objectives_of_files_in_their_other_forms(value, says):
    from mapper.spec.errors import SpecError, Where
    with pytest.raises(SpecError, match="^settings.yaml: objective") as e:
        parse_objective(value, Where("settings.yaml", "objective"))
    assert says in str(e.value)
