"""Hostile input, as found by fuzzing (each once gave a traceback or a hang): each is now one
clear error naming the file and the field and what was expected, within seconds, exit 2."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from mapper.cli import main

DATA = Path(__file__).parent / "data" / "spec"
ARCH = DATA / "eyeriss_like.v04.yaml"
PROBLEM = DATA / "resnet18_conv3x3_7.yaml"
MAP = DATA / "eyeriss_like__resnet18_conv3x3_7.map.yaml"


def run(capsys, *argv: str, status: int = 2, seconds: float = 10) -> str:
    t0 = time.perf_counter()
    got = main([str(a) for a in argv])
    elapsed = time.perf_counter() - t0
    err = capsys.readouterr().err
    assert got == status, err
    assert "Traceback" not in err and "internal error" not in err, err
    assert elapsed < seconds, f"{elapsed:.1f} s"
    return err


def arch_with(tmp_path, **attributes) -> Path:
    text = ARCH.read_text().replace("attributes: {depth: 16384, width: 64,",
                                    "attributes: {" + "".join(f"{k}: '{v}', " for k, v in
                                                              attributes.items()) + "width: 64,")
    assert text != ARCH.read_text()
    path = tmp_path / "arch.yaml"
    path.write_text(text)
    return path


def test_yaml_nested_5000_deep(tmp_path, capsys):
    path = tmp_path / "deep.yaml"
    path.write_text("problem: " + "[" * 5000 + "]" * 5000 + "\n")
    err = run(capsys, "model", ARCH, path, MAP, "-o", tmp_path / "o")
    assert f"{path}: nested too deeply" in err


def test_an_attribute_expression_of_30000_terms(tmp_path, capsys):
    arch = arch_with(tmp_path, depth="+".join(["1"] * 30000))
    err = run(capsys, "model", arch, PROBLEM, MAP, "-o", tmp_path / "o")
    assert "architecture.nodes[2].attributes.depth" in err and "limited to 2,000" in err


def test_an_exponent_bomb_in_an_attribute(tmp_path, capsys):
    arch = arch_with(tmp_path, depth="(((9**64)**64)**64)**64")
    err = run(capsys, "model", arch, PROBLEM, MAP, "-o", tmp_path / "o", seconds=5)
    assert f"{arch}: architecture.nodes[2].attributes.depth" in err
    assert "exponent too large" in err


def test_a_stride_of_2_to_the_63(tmp_path, capsys):
    problem = tmp_path / "p.yaml"
    problem.write_text(PROBLEM.read_text().replace("Wstride: 1", "Wstride: 9223372036854775808"))
    err = run(capsys, "model", ARCH, problem, MAP, "-o", tmp_path / "o")
    assert f"{problem}: problem.instance.Wstride: expected an integer <= 2,147,483,647" in err


def test_bounds_whose_product_overflows(tmp_path, capsys):
    problem = tmp_path / "p.yaml"
    problem.write_text(PROBLEM.read_text().replace("C: 512", "C: 2000000000").replace(
        "M: 512", "M: 2000000000"))
    err = run(capsys, "model", ARCH, problem, MAP, "-o", tmp_path / "o")
    assert f"{problem}: problem: the loop bounds multiply to" in err and "2^53" in err


def test_a_binary_file_in_an_energy_tables_folder(tmp_path, capsys):
    tables = tmp_path / "tables"
    tables.mkdir()
    (tables / "sram.yaml").write_bytes(bytes(range(256)) * 4)
    err = run(capsys, "energy", ARCH, "--energy-tables", tables)
    assert f"{tables / 'sram.yaml'}: not a text file" in err


def test_mapper_energy_given_a_mapping_too(tmp_path, capsys):
    err = run(capsys, "energy", ARCH, MAP, status=0)
    assert f"{MAP}: ignored mapping (a mapping without a problem" in err


def test_output_options_naming_the_wrong_kind_of_path(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("keep me\n")
    err = run(capsys, "model", ARCH, PROBLEM, MAP, "-o", afile, seconds=2)
    assert f"-o {afile}: a file is there; -o names an output directory" in err
    err = run(capsys, "search", ARCH, PROBLEM, "-o", afile / "sub", seconds=2)
    assert f"{afile} is a file" in err
    err = run(capsys, "energy", ARCH, "-o", tmp_path, seconds=2)
    assert f"-o {tmp_path}: a directory; -o names the file to write" in err
    assert afile.read_text() == "keep me\n"


def test_a_24_mb_yaml_file(tmp_path, capsys):
    big = tmp_path / "big.yaml"
    with open(big, "w") as f:
        f.write("problem:\n")
        row = "  k: [" + ", ".join(["1"] * 500) + "]\n"
        for _ in range(24 * 2**20 // len(row)):
            f.write(row)
    err = run(capsys, "model", ARCH, big, MAP, "-o", tmp_path / "o", seconds=3)
    assert f"{big}: the file is 24.0 MiB; input files are limited to 2 MiB" in err


def test_an_exponent_bomb_in_a_template(tmp_path, capsys):
    path = tmp_path / "t.yaml.jinja2"
    path.write_text("problem:\n  instance: {C: {{ (((9 ** 64) ** 64) ** 64) ** 64 }}}\n")
    err = run(capsys, "model", ARCH, path, MAP, "-o", tmp_path / "o", seconds=5)
    assert "t.yaml.jinja2: Jinja2 template" in err and "exponent too large" in err


@pytest.mark.parametrize("text, phrase", [
    ("a: &a [x]\nb: &b [*a, *a]\nc: [*b, *b]\nproblem: *b\n", "expected a mapping"),
    ("problem: !!python/object:os.system echo\n", "invalid YAML"),
])
def test_unsafe_or_unexpected_yaml(tmp_path, capsys, text, phrase):
    path = tmp_path / "p.yaml"
    path.write_text(text)
    err = run(capsys, "model", ARCH, path, MAP, "-o", tmp_path / "o")
    assert str(path) in err and phrase in err


def test_a_bug_is_one_line_not_a_traceback(monkeypatch, capsys):
    from mapper import api

    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")
    monkeypatch.setattr(api, "load", broken)
    assert main(["energy", str(ARCH)]) == 3
    err = capsys.readouterr().err
    assert err.startswith("internal error: ZeroDivisionError: division by zero")
    assert "Traceback" not in err and "MAPPER_DEBUG=1" in err
    monkeypatch.setenv("MAPPER_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        main(["energy", str(ARCH)])
