"""Timeloop v0.4 architecture (``nodes`` of ``!Container`` / ``!Component`` ...) -> Arch.

Timeloop itself reads only the v0.3 tree; v0.4 is turned into it by timeloopfe
(``timeloopfe/common/version_transpilers/v4_to_v3.py``). We read v0.4 with the same rules,
so that a v0.4 file reads to the Arch that Timeloop ran:

* Nodes are walked in order, depth first; ``!Hierarchical`` lists are flattened in place.
* ``spatial: {meshX, meshY}`` on a node is a fan-out: the mesh of every later node is
  multiplied by it. Each node with a fan-out also gets a ``dummy_storage`` level named
  ``inter_<node>_spatial`` just above the fan-out (at the mesh before it), which carries
  the node's ``constraints.spatial``; a ``!Component`` with a fan-out sits below its dummy.
* A ``!Container``'s attributes are inherited by every later component (a component's own
  attributes win); a component's instances are meshX * meshY.
* ``!Parallel`` children are read as a chain in the order listed (the first is outermost),
  exactly as timeloopfe hands them to Timeloop: e.g. Eyeriss' ifmap/weights/psum
  scratchpads become three nested levels, each keeping one data space. A container or a
  fan-out inside ``!Parallel`` is an error there and here.
* Components with ``enabled: false`` and ``!Nothing`` are skipped; network components are
  not levels (explicit networks are not modelled).

Inline ``constraints`` are collected raw into ``Arch.constraints`` as
``(level name, constraints mapping, Where)`` (the Where names file and YAML path; its
``.path`` is the path string); a dummy level's entry holds the ``spatial``
constraints of its node. timeloopfe also makes a dummy level keep nothing and take only
unit temporal factors; the level's ``is_dummy`` says so to the constraint reader.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from .arch import Arch
from .errors import Where, as_int, as_list, as_mapping, as_str
from .expr import evaluate
from .timeloop_arch import NOT_A_LEVEL, Leaf, build_arch, check_kind

_BRANCHES = ("Hierarchical", "Parallel", "Pipelined")
_LEAVES = ("Component", "Container", "Nothing")
_NODE_KEYS = {"name", "class", "subclass", "attributes", "spatial", "constraints", "enabled",
              "required_actions", "area_share", "sparse_optimizations", "networks", "_tag"}
_DUMMY_ATTRIBUTES = {"width": 1, "depth": 1, "datawidth": 1, "technology": -1}
_NOT_MODELLED = {"required_actions": "actions are derived from the model",
                 "area_share": "area sharing is not modelled",
                 "sparse_optimizations": "sparsity is not modelled; dense is assumed",
                 "networks": "explicit networks are not modelled"}


@dataclass
class _Walk:
    """State carried along the depth-first walk."""

    mesh_x: int = 1
    mesh_y: int = 1
    inherited: dict = field(default_factory=dict)     # attributes of the containers so far
    leaves: list[Leaf] = field(default_factory=list)
    constraints: list[tuple[str, dict, Where]] = field(default_factory=list)
    name: str = "top_level"
    aliases: dict = field(default_factory=dict)
    top_attributes: dict = field(default_factory=dict)
    first: bool = True


def read_arch_v04(value: Any, where: Where, variables: dict | None = None,
                  check_layout: bool = True) -> Arch:
    arch = as_mapping(value, where)
    if "nodes" not in arch:
        where.fail("missing required key 'nodes' (v0.4 form) or 'subtree' (v0.3 form)")
    for key in arch:
        if key not in ("nodes", "version"):
            (where / key).ignore("not a key of a v0.4 architecture")
    walk = _Walk(inherited=dict(variables or {}), top_attributes=dict(variables or {}))
    _nodes(arch["nodes"], where / "nodes", walk, in_parallel=False)
    if len(walk.leaves) < 2:
        where.fail("an architecture needs at least one storage level and a compute level")
    built = build_arch(walk.name, walk.leaves, walk.top_attributes, check_layout)
    return dataclasses.replace(built, constraints=tuple(walk.constraints),
                               aliases=dict(walk.aliases))


def _nodes(value: Any, where: Where, walk: _Walk, in_parallel: bool) -> None:
    for i, node in enumerate(as_list(value, where)):
        _node(node, where / i, walk, in_parallel)


def _node(value: Any, where: Where, walk: _Walk, in_parallel: bool) -> None:
    node = as_mapping(value, where)
    tag = node.get("_tag")
    if tag in _BRANCHES:
        _branch(node, tag, where, walk, in_parallel)
        return
    if tag not in _LEAVES:
        found = f"!{tag}" if tag else "an untagged node"
        where.fail(f"expected a node tagged !Component, !Container, !Parallel, !Hierarchical "
                   f"or !Nothing, got {found}")
    if tag == "Nothing":
        return
    for key in node:
        if key not in _NODE_KEYS:
            (where / key).ignore("not a key of a v0.4 node")
    name = as_str(node.get("name"), where / "name")
    if node.get("enabled", True) is not True:
        where.ignore("disabled (enabled: false): skipped, as timeloopfe does")
        return
    for key, why in _NOT_MODELLED.items():
        if node.get(key):
            (where / key).ignore(why)
    attributes = as_mapping(node.get("attributes", {}) or {}, where / "attributes")
    constraints = as_mapping(node.get("constraints", {}) or {}, where / "constraints")
    fan_x, fan_y = _spatial(node.get("spatial", {}) or {}, where / "spatial",
                            {**walk.inherited, **attributes})
    fans_out = fan_x * fan_y != 1
    is_container = tag == "Container"
    if in_parallel and (is_container or fans_out):
        where.fail(f"{'a container' if is_container else 'a component with a fan-out'} "
                   f"inside !Parallel: timeloopfe cannot chain it; move it above the "
                   f"!Parallel")
    if is_container:
        walk.inherited.update(attributes)
        if walk.first:
            walk.name = f"{name}_top_level"
            walk.top_attributes = {**walk.top_attributes, **attributes}
    walk.first = False
    if fans_out:   # the dummy level above the fan-out carries its spatial constraints
        dummy = f"inter_{name}_spatial"
        if is_container:    # a mapping or constraint targeting the container means the dummy
            walk.aliases[name] = dummy
        walk.leaves.append(_leaf(dummy, "dummy_storage", dict(_DUMMY_ATTRIBUTES), where, walk))
        if "spatial" in constraints:
            walk.constraints.append((dummy, {"spatial": constraints["spatial"]},
                                     where / "constraints"))
        walk.mesh_x, walk.mesh_y = walk.mesh_x * fan_x, walk.mesh_y * fan_y
        constraints = {k: v for k, v in constraints.items() if k != "spatial"}
    if is_container:
        for key in constraints:
            (where / "constraints" / key).ignore(
                "a container's constraints other than a fan-out's spatial ones have no "
                "level to apply to (timeloopfe drops them)")
        return
    _component(node, name, attributes, constraints, where, walk)


def _branch(node: dict, tag: str, where: Where, walk: _Walk, in_parallel: bool) -> None:
    """``!Hierarchical`` / ``!Parallel`` / ``!Pipelined``: their nodes, in order, in place."""
    if "nodes" not in node:
        where.fail(f"missing required key 'nodes' (the children of this !{tag})")
    for key in node:
        if key not in ("nodes", "_tag"):
            (where / key).ignore(f"not a key of a !{tag}")
    if tag != "Hierarchical":
        where.ignore(f"!{tag}: its nodes are read as a chain in the order listed, "
                     f"as timeloopfe does")
    _nodes(node["nodes"], where / "nodes", walk, in_parallel or tag == "Parallel")


def _component(node: dict, name: str, attributes: dict, constraints: dict, where: Where,
               walk: _Walk) -> None:
    cls = as_str(node.get("class"), where / "class")
    kind = check_kind(cls, where / "class")
    if kind in NOT_A_LEVEL:
        where.ignore(NOT_A_LEVEL[kind])
        return
    for key in ("meshX", "meshY"):
        if key in attributes:
            (where / "attributes" / key).ignore("in v0.4 the mesh follows from the spatial "
                                                "fan-outs above; this attribute is replaced")
    attributes = {k: v for k, v in attributes.items() if k not in ("meshX", "meshY")}
    if node.get("subclass"):
        attributes.setdefault("subclass", node["subclass"])
    walk.leaves.append(_leaf(name, cls, attributes, where, walk))
    if constraints:
        walk.constraints.append((name, dict(constraints), where / "constraints"))


def _leaf(name: str, cls: str, attributes: dict, where: Where, walk: _Walk) -> Leaf:
    attrs = {**walk.inherited, **attributes, "meshX": walk.mesh_x, "meshY": walk.mesh_y}
    return Leaf(name, cls, walk.mesh_x * walk.mesh_y, attrs, where)


def _spatial(value: Any, where: Where, names: dict) -> tuple[int, int]:
    spatial = as_mapping(value, where)
    for key in spatial:   # a misspelled mesh would silently drop a fan-out
        if key not in ("meshX", "meshY"):
            hint = {"meshx": "meshX", "meshy": "meshY"}.get(str(key).lower())
            (where / key).fail(f"unknown key {key!r}" + (f" (did you mean {hint!r}? names are "
                                                          f"case-sensitive)" if hint else "")
                               + "; expected meshX and/or meshY")
    x = as_int(evaluate(spatial.get("meshX", 1), names, where / "meshX"), where / "meshX",
               minimum=1)
    y = as_int(evaluate(spatial.get("meshY", 1), names, where / "meshY"), where / "meshY",
               minimum=1)
    return x, y
