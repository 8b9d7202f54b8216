"""The safe evaluator of attribute expressions: what Accelergy's component files write
(conditional expressions, comparisons, log), and limits that keep hostile input from hanging
it or overflowing (each a SpecError naming the file and field, within a second)."""
import time

import pytest

from mapper.spec import SpecError, Where
from mapper.spec.expr import evaluate

W = Where("arch.yaml", "architecture.nodes[2].attributes.depth")


@pytest.mark.parametrize("text, names, value", [
    ("max(1, ceil(log2(real_depth))) if real_depth >= 1 else 1", {"real_depth": 100}, 7),
    ("max(1, ceil(log2(real_depth))) if real_depth >= 1 else 1", {"real_depth": 0}, 1),
    ("width / memory_width * (depth / 64) ** (1.56 / 2)", {"width": 16, "memory_width": 32,
                                                           "depth": 64}, 0.5),
    ("1 < a <= 3", {"a": 3}, True),
    ("a and 3", {"a": 0}, 0),
    ("not a or 5", {"a": 1}, 5),
    ("log(1)", {}, 0.0),
    ("2 ** 1000", {}, 2 ** 1000),
    ("45nm", {}, "45nm"),                       # a plain word stays a word
])
def test_values(text, names, value):
    assert evaluate(text, names, W) == value


@pytest.mark.parametrize("text, phrase", [
    ("(((9**64)**64)**64)**64", "exponent too large"),
    ("9**9**9", "exponent too large"),
    ("+".join(["1"] * 30000), "expressions are limited to 2,000"),
    ("1e308 * 10", "not a finite number"),
    ("(-8) ** (1/3)", "not a real number"),
    ("1 / 0", "division by zero"),
    ("a", "in a cycle"),
])
def test_hostile_expressions_are_errors_naming_the_field_within_a_second(text, phrase):
    t0 = time.perf_counter()
    with pytest.raises(SpecError) as info:
        evaluate(text, {"a": "b", "b": "a"}, W)
    assert time.perf_counter() - t0 < 1
    assert info.value.file == "arch.yaml" and info.value.path == W.path
    assert phrase in info.value.message
