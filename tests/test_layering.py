"""The package layout's rules, read from the source with ``ast`` (nothing is imported):

- no import cycle between modules of ``mapper/`` and ``energy/``;
- no module imports another module's private (underscore) name, neither as
  ``from x import _name`` nor as ``x._name`` on an imported module;
- ``energy/`` never imports ``mapper``;
- dependencies point one way, down the layers of ``docs/ARCHITECTURE.md`` (:data:`USES`).

Every import counts: at module level, inside functions (lazy imports) and under
``TYPE_CHECKING``; a lazy import is still a dependency. Importing a package counts as importing
its ``__init__`` only (``from mapper.mapsearch.pipeline import x`` depends on
``mapper.mapsearch.pipeline``), as each package's ``__init__`` only re-exports its modules.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("mapper", "energy")

#: each layer (``mapper/<layer>/``, or a root module) and the layers it may import directly; a
#: layer may import everything these reach in turn (the closure), and any module of its own
#: layer. Top to bottom: cli -> api -> sweep / eyexam -> network -> inputs -> mapsearch -> prune ->
#: mapspace -> model -> spec, with report (what the user sees of one mapping, over the model)
#: used by network and cli; every layer may use energy (a separate package that never imports mapper)
#: and mapper.version and mapper.primes (the arithmetic of bounds). mapper/__init__.py (lazy names of the API) is the api layer,
#: mapper/__main__.py the cli.
USES: dict[str, tuple[str, ...]] = {
    "cli": ("api",),
    "api": ("sweep", "eyexam", "network"),
    "eyexam": ("network",),
    "sweep": ("network",),
    "network": ("report", "inputs"),
    "report": ("model",),
    "inputs": ("mapsearch",),
    "mapsearch": ("prune",),
    "prune": ("mapspace",),
    "mapspace": ("model",),
    "model": ("spec",),
    "spec": ("version", "primes", "energy"),
    "version": (),
    "primes": (),
    "energy": (),
}

# ---------------------------------------------------------------------------------------------
# ALLOWLIST -- known violations, listed so that the test guards everything else meanwhile.
# Remove an entry when its violation is gone; an entry that no longer occurs fails
# test_allowlists_are_current, so the list cannot go stale. Empty: keep it so.
#: (importing module, imported module)
ALLOWED_EDGES: set[tuple[str, str]] = set()
#: (importing module, imported module, private name)
ALLOWED_PRIVATE: set[tuple[str, str, str]] = set()
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Import:
    source: str         # the importing module
    target: str         # the imported module
    names: tuple[str, ...]   # the names taken from it ("" for the module itself)
    line: int


def module_files(root: Path = ROOT) -> dict[str, Path]:
    """Every module of our packages under ``root``, by its dotted name."""
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _is_package(name: str, files: dict[str, Path]) -> bool:
    return files[name].name == "__init__.py"


def _resolve(module: str, node: ast.ImportFrom, files: dict[str, Path]) -> str:
    """The absolute name ``from <node.module>`` means in ``module``."""
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not _is_package(module, files):
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _internal(name: str) -> bool:
    return name.split(".")[0] in PACKAGES


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def read_imports(files: dict[str, Path]) -> tuple[list[Import], list[tuple[str, str, str, int]]]:
    """Every import between our modules, and every ``alias._name`` use of an imported module
    (module, target, name, line)."""
    imports: list[Import] = []
    private_uses: list[tuple[str, str, str, int]] = []
    for module, path in files.items():
        tree = ast.parse(path.read_text(), str(path))
        aliases: dict[str, str] = {}          # local name -> our module it stands for
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if _internal(a.name):
                        imports.append(Import(module, a.name, ("",), node.lineno))
                        if a.asname:
                            aliases[a.asname] = a.name
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(module, node, files)
                if not _internal(base):
                    continue
                names = []
                for a in node.names:
                    sub = f"{base}.{a.name}"
                    if sub in files:                      # a module: `from pkg import mod`
                        imports.append(Import(module, sub, ("",), node.lineno))
                        aliases[a.asname or a.name] = sub
                    else:
                        names.append(a.name)
                if names:
                    imports.append(Import(module, base, tuple(names), node.lineno))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in aliases and _private(node.attr)
                    and aliases[node.value.id] != module):
                private_uses.append((module, aliases[node.value.id], node.attr, node.lineno))
    return imports, private_uses


def layer_of(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "energy":
        return "energy"
    if len(parts) == 1:
        return "api"                      # mapper/__init__.py: the facade's lazy names
    if parts[1] == "__main__":
        return "cli"
    return parts[1]


def allowed_layers() -> dict[str, set[str]]:
    closure = {}
    for layer in USES:
        seen, todo = set(), list(USES[layer])
        while todo:
            below = todo.pop()
            if below not in seen:
                seen.add(below)
                todo.extend(USES[below])
        closure[layer] = seen
    return closure


def cycles(edges: set[tuple[str, str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    graph: dict[str, list[str]] = {}
    for a, b in sorted(edges):
        graph.setdefault(a, []).append(b)
        graph.setdefault(b, [])
    index, low, stack, on, found = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


class Findings:
    """What the rules find in the source under ``root``."""

    def __init__(self, root: Path = ROOT):
        self.files = module_files(root)
        self.imports, self.private_uses = read_imports(self.files)

    def edges(self) -> set[tuple[str, str]]:
        return {(i.source, i.target) for i in self.imports if i.source != i.target}

    def private(self) -> set[tuple[str, str, str]]:
        found = {(i.source, i.target, n) for i in self.imports for n in i.names
                 if _private(n) and i.source != i.target}
        return found | {(m, t, n) for m, t, n, _ in self.private_uses}

    def upward(self) -> set[tuple[str, str]]:
        allowed = allowed_layers()
        bad = set()
        for a, b in self.edges():
            la, lb = layer_of(a), layer_of(b)
            if la != lb and lb not in allowed[la]:
                bad.add((a, b))
        return bad


FINDINGS = Findings()


def test_every_module_has_a_layer():
    unknown = sorted(m for m in FINDINGS.files if layer_of(m) not in USES)
    assert not unknown, f"modules outside the known layers (add them to USES): {unknown}"


def test_the_layer_order_itself_has_no_cycle():
    layer_edges = {(a, b) for a, below in USES.items() for b in below}
    assert not cycles(layer_edges)


def test_energy_never_imports_mapper():
    bad = sorted(f"{i.source}:{i.line} imports {i.target}" for i in FINDINGS.imports
                 if i.source.split(".")[0] == "energy" and i.target.split(".")[0] == "mapper")
    assert not bad, "\n".join(bad)


def test_no_import_cycles():
    found = cycles(FINDINGS.edges() - ALLOWED_EDGES)
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_dependencies_point_down_the_layers():
    bad = FINDINGS.upward() - ALLOWED_EDGES
    lines = [f"{i.source}:{i.line} ({layer_of(i.source)}) imports {i.target} "
             f"({layer_of(i.target)})" for i in FINDINGS.imports if (i.source, i.target) in bad]
    assert not lines, "imports against the layer order:\n" + "\n".join(sorted(set(lines)))


def test_no_private_names_across_modules():
    bad = FINDINGS.private() - ALLOWED_PRIVATE
    assert not bad, "private names imported from another module:\n" + "\n".join(
        f"{m} takes {n} from {t}" for m, t, n in sorted(bad))


def test_allowlists_are_current():
    """An allowed violation that no longer occurs must leave the list."""
    edges = FINDINGS.edges()
    stale = sorted(e for e in ALLOWED_EDGES if e not in edges
                   or (e not in FINDINGS.upward() and not any(
                       e[0] in c and e[1] in c for c in cycles(edges))))
    stale += sorted(p for p in ALLOWED_PRIVATE if p not in FINDINGS.private())
    assert not stale, f"allowed violations that no longer occur: {stale}"


def test_the_rules_find_each_kind_of_violation(tmp_path):
    """The checks above are not vacuous: on a small tree with one violation of each kind they
    find exactly those."""
    sources = {
        "energy/__init__.py": "",
        "energy/tables.py": "def lookup():\n    from mapper.spec import arch\n",
        "mapper/__init__.py": "",
        "mapper/spec/__init__.py": "",
        "mapper/spec/arch.py": "_SCALE = 2\n\ndef read():\n    from ..cli import main\n",
        "mapper/model/__init__.py": "",
        "mapper/model/cost.py": ("from ..spec.arch import _SCALE\nfrom ..spec import arch\n"
                                 "x = arch._SCALE\nfrom . import nest\n"),
        "mapper/model/nest.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                "    from .cost import x\n",
        "mapper/cli/__init__.py": "main = None\n",
    }
    for name, text in sources.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    f = Findings(tmp_path)
    assert cycles(f.edges()) == [["mapper.model.cost", "mapper.model.nest"]]
    assert f.upward() == {("mapper.spec.arch", "mapper.cli"),
                          ("energy.tables", "mapper.spec.arch")}
    assert f.private() == {("mapper.model.cost", "mapper.spec.arch", "_SCALE")}
    assert {(i.source, i.target) for i in f.imports
            if i.source.startswith("energy")} == {("energy.tables", "mapper.spec.arch")}


if __name__ == "__main__":            # print what the rules find
    f = Findings()
    print("cycles:", *cycles(f.edges()), sep="\n  ")
    print("upward:", *sorted(f.upward()), sep="\n  ")
    print("private:", *sorted(f.private()), sep="\n  ")
