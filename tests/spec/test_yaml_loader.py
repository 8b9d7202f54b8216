"""YAML as Timeloop/Accelergy users write it: merge keys (``<<`` with overrides, Accelergy's
``<<<`` and ``!nomerge``), while true duplicate keys stay errors; and input that is hostile
to a YAML reader (deep nesting, huge or binary files) is refused with a clear error."""
import time

import pytest

from mapper.spec import SpecError, load_yaml
from mapper.spec.yaml_io import MAX_YAML_BYTES, parse_yaml
from tests.exercises import TUTORIAL, needs_exercises


def yaml_error(text: str) -> SpecError:
    with pytest.raises(SpecError) as info:
        parse_yaml(text, "f.yaml")
    assert info.value.file == "f.yaml"
    return info.value


def test_merge_key_with_an_override():
    data = parse_yaml("a: &w {name: write, n: 1}\nb:\n  <<: *w\n  name: update\n", "f.yaml")
    assert data["b"] == {"name": "update", "n": 1}
    assert data["a"] == {"name": "write", "n": 1}           # the anchor is left alone


def test_merge_key_of_several_mappings_the_first_wins():
    data = parse_yaml("a: &a {k1: a1, k2: a2}\nb: &b {k2: b2, k3: b3}\n"
                      "c: {<<: [*a, *b]}\n", "f.yaml")
    assert data["c"] == {"k1": "a1", "k2": "a2", "k3": "b3"}


def test_duplicate_keys_stay_errors_also_next_to_a_merge_key():
    assert "duplicate key 'k'" in yaml_error("a: &x {k: 1}\nb: {<<: *x, k: 2, k: 3}\n").message
    assert "duplicate key 'name'" in yaml_error("b:\n  name: x\n  name: y\n").message


def test_hierarchical_merge_and_nomerge():
    data = parse_yaml(
        "base: &h\n  k1: v1\n  k2: {s1: a, s2: b}\n  l: [d, e]\n  keep: [4, 5]\n"
        "m:\n  <<<: *h\n  k2: {s1: o}\n  l: [a, b]\n  keep: !nomerge [1]\n", "f.yaml")
    assert data["m"] == {"k1": "v1", "k2": {"s1": "o", "s2": "b"}, "l": ["a", "b", "d", "e"],
                         "keep": [1]}
    assert data["base"]["l"] == ["d", "e"]                  # the anchored value is unchanged


def test_two_merge_keys_in_one_mapping():
    assert "more than one merge key" in yaml_error(
        "a: &a {x: 1}\nb: {<<: *a, <<<: *a}\n").message


def test_a_merge_of_a_scalar():
    assert "'<<<' expects a mapping" in yaml_error("a: &a 3\nb: {<<<: *a}\n").message


@needs_exercises
def test_exercise_regfile_update_is_the_write_action():
    """06-mapper-convlayer-eyeriss/arch/components/regfile.yaml: ``update: <<: *write_action``
    with its own name (rejected as a duplicate key before)."""
    data = load_yaml(TUTORIAL / "timeloop" / "06-mapper-convlayer-eyeriss" / "arch"
                     / "components" / "regfile.yaml")
    actions = {a["name"]: a for a in data["compound_components"]["classes"][0]["actions"]}
    assert set(actions) == {"write", "read", "leak", "update"}
    assert actions["update"]["subcomponents"] == actions["write"]["subcomponents"]


def test_a_template_expression_read_as_yaml_says_so():
    e = yaml_error("mac:\n  class: {{mac_class}}\n")
    assert "line 2" in e.message and "--set" in e.message and "template" in e.message


def test_deep_nesting_is_an_error_not_a_recursion_error():
    t0 = time.perf_counter()
    e = yaml_error("a: " + "[" * 5000 + "]" * 5000)
    assert "nested too deeply" in e.message
    e = yaml_error("".join(" " * i + f"k{i}:\n" for i in range(1500)) + " " * 1500 + "k: 1\n")
    assert "nested too deeply" in e.message
    assert time.perf_counter() - t0 < 5


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path):
    big = tmp_path / "big.yaml"
    with open(big, "w") as f:
        f.write("problem:\n")
        line = "  # " + "x" * 1020 + "\n"
        for _ in range(MAX_YAML_BYTES // len(line) + 2):
            f.write(line)
    t0 = time.perf_counter()
    with pytest.raises(SpecError) as info:
        load_yaml(big)
    assert time.perf_counter() - t0 < 1
    assert info.value.file == str(big) and "limited to 2 MiB" in info.value.message


def test_a_binary_file(tmp_path):
    path = tmp_path / "arch.yaml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe")
    with pytest.raises(SpecError) as info:
        load_yaml(path)
    assert info.value.file == str(path) and "not a text file" in info.value.message
