"""The README's "Python API" section runs as written: its ```python blocks, in order, in one
namespace, from the repository's root (their paths are the bundled examples)."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^```python\n(.*?)^```$", re.S | re.M)


def api_section(text: str) -> str:
    start = text.index("\n## Python API\n")
    end = text.find("\n## ", start + 1)
    return text[start:] if end < 0 else text[start:end]


def python_blocks(text: str) -> list[tuple[int, str]]:
    """The python blocks of the API section with the README line each starts on."""
    section = api_section(text)
    first_line = text[:text.index(section)].count("\n") + 1
    return [(first_line + section[:m.start(1)].count("\n"), m.group(1))
            for m in FENCE.finditer(section)]


def test_the_python_api_section_has_examples():
    blocks = python_blocks((ROOT / "README.md").read_text())
    code = "\n".join(b for _, b in blocks)
    assert len(blocks) >= 3
    for call in ("api.load(", "api.evaluate(", "api.check(", "mapper.search(",
                 "mapper.run_network(", "MappingBatch"):
        assert call in code, f"the README's API section no longer shows {call}"


def test_the_python_api_examples_run_as_written(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("MAPPER_CACHE_DIR", str(tmp_path / "cache"))   # not the user's cache
    namespace: dict = {"__name__": "readme"}
    for line, code in python_blocks((ROOT / "README.md").read_text()):
        # blank lines first, so that a traceback names the README's own line numbers
        exec(compile("\n" * (line - 1) + code, str(ROOT / "README.md"), "exec"), namespace)
    out = capsys.readouterr().out
    assert "Traceback" not in out
    ev, outcome, network = namespace["ev"], namespace["outcome"], namespace["network"]
    assert ev.valid and namespace["api"].check(namespace["spec"]) == []
    assert namespace["result"].energy.shape == (3,)
    assert outcome.best is not None and outcome.stats.proven_optimal
    assert network.complete and len(network.layers) == 2
