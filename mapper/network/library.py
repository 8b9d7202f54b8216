"""Networks: an ordered list of layers with repeat counts, kept as a producer/consumer graph.

A network file (``problems/networks/*.yaml``)::

    network:
      name: resnet18
      source: "He et al., CVPR 2016, Table 1"       # optional text
      parameters: {batch: 1}      # names usable in bounds; overridable (--set batch=8)
      batch_dim: N                # optional (default N): the dimension `batch` multiplies
      library: ../layers/resnet18.yaml   # optional: where `layer: NAME` looks
      layers:                     # execution order; a producer comes before its consumers
        - {name: conv1, layer: conv1}                      # from the library
        - {name: res2a, layer: ../layers/x.yaml#conv3x3}   # FILE#NAME, or FILE (a `problem:`)
        - {name: fc, problem: {einsum: ..., bounds: ...}, inputs: [res2a]}   # inline
        - {name: conv3_2, layer: conv3x3_256, repeat: 2}   # 2 identical layers in a chain

A layer library (``problems/layers/*.yaml``) is ``layers: {NAME: <Einsum problem>}`` (plus
optional ``source``, and ``einsums`` to hold YAML anchors). Bounds, in a library or in an
entry's ``bounds:`` overrides, may be arithmetic over the network's parameters
(``P: seq``). Each layer's ``batch_dim`` bound is multiplied by ``batch``.

``inputs`` names earlier layers (default: the previous one; ``[]``: the network input);
a ``repeat: k`` entry stands for a chain of k identical layers. Identical layers (equal
dimensions, bounds and projections, wherever they occur) form one :class:`DistinctLayer`,
searched once and counted as often as it occurs.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import networkx as nx

from ..inputs.templates import Overrides, bundled_dir
from ..spec.einsum import read_einsum
from ..spec.errors import SpecError, Where, as_int, as_list, as_mapping, as_str, check_keys
from ..spec.expr import evaluate
from ..spec.loader import load_yaml
from ..spec.workload import Workload

_NETWORK_KEYS = ("name", "source", "parameters", "batch_dim", "library", "layers")
_ENTRY_KEYS = ("name", "layer", "problem", "repeat", "inputs", "bounds")
_LIBRARY_KEYS = ("name", "source", "einsums", "layers")


@dataclass(frozen=True)
class Layer:
    """One entry of the network: a workload that occurs ``repeat`` times in a chain."""

    name: str
    workload: Workload
    repeat: int = 1
    inputs: tuple[str, ...] = ()
    #: where the layer is defined ("file#name" or "file: network.layers[3].problem")
    source: str = ""

    @property
    def macs(self) -> int:
        return self.workload.macs * self.repeat


@dataclass(frozen=True)
class DistinctLayer:
    """Layers with identical workloads: search one, count ``count`` times."""

    workload: Workload
    layers: tuple[Layer, ...]

    @property
    def name(self) -> str:
        return self.layers[0].name

    @property
    def count(self) -> int:
        return sum(layer.repeat for layer in self.layers)

    @property
    def macs(self) -> int:
        return self.workload.macs * self.count


def workload_key(workload: Workload) -> tuple:
    """What makes two workloads the same problem for a mapper (not their names)."""
    return (workload.dims, tuple(workload.bounds[d] for d in workload.dims),
            tuple((ds.name, ds.ranks, ds.read_write) for ds in workload.data_spaces))


@dataclass(frozen=True)
class Network:
    """Layers in execution order and the graph of producer -> consumer edges between them
    (nodes are layer names with the :class:`Layer` as attribute ``layer``)."""

    name: str
    layers: tuple[Layer, ...]
    graph: nx.DiGraph = field(compare=False, repr=False)
    parameters: dict[str, Any] = field(default_factory=dict)
    batch: int = 1
    file: str = ""
    source: str = ""

    @property
    def macs(self) -> int:
        """MACs of one run of the network (all repeats, the given batch)."""
        return sum(layer.macs for layer in self.layers)

    def layer(self, name: str) -> Layer:
        return self.graph.nodes[name]["layer"]

    def distinct(self) -> list[DistinctLayer]:
        """Identical layers grouped, in order of first occurrence."""
        groups: dict[tuple, list[Layer]] = {}
        for layer in self.layers:
            groups.setdefault(workload_key(layer.workload), []).append(layer)
        return [DistinctLayer(g[0].workload, tuple(g)) for g in groups.values()]


# -- reading ----------------------------------------------------------------------------------

def network_path(name_or_path: str | Path) -> Path:
    """A network file, or a bundled network named without a path (``resnet18``): the one
    resolution used by :func:`load_network` and ``mapper network``."""
    p = Path(name_or_path)
    if p.exists() or p.suffix or len(p.parts) > 1:
        return p
    found = bundled_dir("problems") / "networks" / f"{p}.yaml"
    if found.is_file():
        return found
    names = sorted(q.stem for q in found.parent.glob("*.yaml"))
    hint = difflib.get_close_matches(str(p), names, n=1)
    raise SpecError("no such file" + (f", and no bundled network of that name (did you mean "
                                      f"{hint[0]!r}?)" if hint else "")
                    + f"; bundled networks: {', '.join(names)}", str(p))


def load_network(path: str | Path,
                 overrides: Overrides | Mapping[str, Any] | None = None) -> Network:
    """Read and validate a network file, or a bundled network by name (``"resnet18"``);
    ``overrides`` sets its parameters (batch, seq...)."""
    path = network_path(path)
    return read_network(load_yaml(path), str(path), Overrides.of(overrides), path.parent)


def read_network(data: Any, file: str, overrides: Overrides | None = None,
                 base: Path | None = None) -> Network:
    where = Where(file)
    top = as_mapping(data, where)
    if "network" not in top:
        where.fail("expected a top-level key 'network' (see mapper/network/library.py)")
    for key in top:
        if key != "network":
            (where / key).fail(f"unknown top-level key {key!r}; a network file holds "
                               f"'network' only")
    where = where / "network"
    net = as_mapping(top["network"], where)
    check_keys(net, where, _NETWORK_KEYS, required=("layers",))
    params = _parameters(net, where, overrides or Overrides())
    batch_dim = as_str(net.get("batch_dim", "N"), where / "batch_dim")
    reader = _Reader(base or Path(file).parent, params, batch_dim, where)
    if net.get("library") is not None:
        reader.library = as_str(net["library"], where / "library")
        reader.library_where = where / "library"
    graph = nx.DiGraph()
    layers: list[Layer] = []
    entries = as_list(net["layers"], where / "layers")
    if not entries:
        (where / "layers").fail("expected at least one layer")
    for i, entry in enumerate(entries):
        layer = reader.entry(entry, where / "layers" / i, layers)
        graph.add_node(layer.name, layer=layer)
        for producer in layer.inputs:
            graph.add_edge(producer, layer.name)
        layers.append(layer)
    name = as_str(net.get("name", Path(file).stem), where / "name")
    source = str(net.get("source", "") or "")
    return Network(name, tuple(layers), graph, params, params["batch"], file, source)


def _parameters(net: dict, where: Where, overrides: Overrides) -> dict[str, Any]:
    pw = where / "parameters"
    params = dict(as_mapping(net.get("parameters") or {}, pw))
    params.setdefault("batch", 1)
    for name, value in overrides.values.items():
        if name not in params:
            hint = difflib.get_close_matches(name, list(params), n=1)
            pw.fail(f"unknown parameter {name!r} ({overrides.origin(name)})"
                    + (f"; did you mean {hint[0]!r}?" if hint else "")
                    + f"; parameters are: {', '.join(params)}")
        params[name] = value
    for name in list(params):
        origin = overrides.origins.get(name, "")
        value = evaluate(params[name], params, pw / name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            pw.fail(f"parameter {name} = {params[name]!r}"
                    + (f" ({origin})" if origin else "") + ": expected a number")
        params[name] = value
    try:
        params["batch"] = as_int(params["batch"], pw / "batch", minimum=1)
    except SpecError as e:
        origin = overrides.origins.get("batch")
        raise SpecError(e.message + (f" ({origin})" if origin else ""), e.file, e.path) from None
    return params


class _Reader:
    """Resolves the entries of one network file; library files are read once."""

    def __init__(self, base: Path, params: dict, batch_dim: str, where: Where):
        self.base, self.params, self.batch_dim, self.where = base, params, batch_dim, where
        self.library: str | None = None
        self.library_where = where
        self.files: dict[Path, Any] = {}

    def entry(self, entry: Any, where: Where, earlier: list[Layer]) -> Layer:
        entry = as_mapping(entry, where)
        check_keys(entry, where, _ENTRY_KEYS)
        if ("layer" in entry) == ("problem" in entry):
            where.fail("expected exactly one of 'layer' (a layer file or library name) and "
                       "'problem' (the layer inline, in our Einsum format)")
        if "problem" in entry:
            problem, pwhere, source = entry["problem"], where / "problem", \
                f"{where.file}: {(where / 'problem').path}"
        else:
            problem, pwhere, source = self.resolve(entry["layer"], where / "layer")
        default_name = problem.get("name") if isinstance(problem, dict) else None
        name = as_str(entry.get("name", default_name or f"layer{len(earlier)}"), where / "name")
        names = {layer.name for layer in earlier}
        if name in names:
            (where / "name").fail(f"layer name {name!r} is used twice; names must be unique")
        workload = self.workload(problem, pwhere, entry.get("bounds"), where / "bounds", name)
        repeat = as_int(entry.get("repeat", 1), where / "repeat", minimum=1)
        if "inputs" in entry:
            inputs = tuple(self.producer(v, where / "inputs" / j, names)
                           for j, v in enumerate(as_list(entry["inputs"] or [],
                                                         where / "inputs")))
        else:
            inputs = (earlier[-1].name,) if earlier else ()
        return Layer(name, workload, repeat, inputs, source)

    def producer(self, value: Any, where: Where, names: set[str]) -> str:
        name = as_str(value, where)
        if name not in names:
            hint = difflib.get_close_matches(name, sorted(names), n=1)
            where.fail(f"no earlier layer named {name!r}"
                       + (f" (did you mean {hint[0]!r}?)" if hint else "")
                       + "; inputs name layers listed before this one")
        return name

    def resolve(self, ref: Any, where: Where) -> tuple[Any, Where, str]:
        """``NAME`` (in the library), ``FILE#NAME`` or ``FILE`` -> (problem, its Where, source)."""
        ref = as_str(ref, where)
        file, sep, name = ref.partition("#")
        if not sep and self.library is not None and not file.endswith((".yaml", ".yml")):
            file, name = self.library, ref
            where_file = self.library_where
        else:
            where_file = where
        if sep and not name:
            where.fail(f"{ref!r}: expected FILE#NAME with a layer name after '#'")
        path = (self.base / file).resolve()
        data = self.load(path, file, where_file)
        fw = Where(str(path))
        if not name:
            top = as_mapping(data, fw)
            if "problem" not in top:
                where.fail(f"{file} holds no 'problem' (a single layer); for a library of "
                           f"layers write {file}#NAME")
            return top["problem"], fw / "problem", str(path)
        library = as_mapping(data, fw)
        check_keys(library, fw, _LIBRARY_KEYS, required=("layers",))
        layers = as_mapping(library["layers"], fw / "layers")
        if name not in layers:
            hint = difflib.get_close_matches(name, [str(k) for k in layers], n=1)
            where.fail(f"no layer {name!r} in {file}"
                       + (f" (did you mean {hint[0]!r}?)" if hint else "")
                       + f"; it has {len(layers)} layers: "
                       + ", ".join(map(str, list(layers)[:12]))
                       + (", ..." if len(layers) > 12 else ""))
        problem = layers[name]
        if isinstance(problem, dict) and "name" not in problem:
            problem = {"name": name, **problem}
        return problem, fw / "layers" / name, f"{path}#{name}"

    def load(self, path: Path, text: str, where: Where) -> Any:
        if path not in self.files:
            if not path.is_file():
                where.fail(f"layer file {text!r} not found (looked for {path})")
            self.files[path] = load_yaml(path)
        return self.files[path]

    def workload(self, problem: Any, where: Where, bounds: Any, bounds_where: Where,
                 name: str) -> Workload:
        problem = dict(as_mapping(problem, where))
        given = dict(as_mapping(problem.get("bounds") or {}, where / "bounds"))
        for dim, value in as_mapping(bounds or {}, bounds_where).items():
            if dim not in given:
                (bounds_where / dim).fail(f"the layer has no dimension {dim!r}; its "
                                          f"dimensions are {', '.join(map(str, given))}")
            given[dim] = value
        for dim, value in given.items():
            given[dim] = self.number(value, (bounds_where if bounds and dim in bounds
                                             else where / "bounds") / str(dim))
        if self.batch_dim in given:
            given[self.batch_dim] = as_int(given[self.batch_dim], where / "bounds" /
                                           self.batch_dim) * self.params["batch"]
        elif self.params["batch"] != 1:
            where.fail(f"the layer has no batch dimension {self.batch_dim!r} to multiply by "
                       f"batch = {self.params['batch']} (set batch_dim in the network)")
        problem["bounds"] = given
        problem.setdefault("name", name)
        return read_einsum(problem, where)

    def number(self, value: Any, where: Where) -> Any:
        result = evaluate(value, self.params, where)
        if isinstance(result, str):
            unknown = [w for w in _words(result) if w not in self.params]
            where.fail(f"{value!r} is not a number" + (
                f": {', '.join(map(repr, unknown))} is not a parameter of the network "
                f"({', '.join(self.params)})" if unknown else ""))
        return result


def _words(text: str) -> list[str]:
    import re
    return re.findall(r"[A-Za-z_][A-Za-z_0-9]*", text)
