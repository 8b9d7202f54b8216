"""Timeloop's v0.3 architecture (``subtree``/``local`` with ``name[0..N-1]`` ranges) -> Arch.

This is also the form timeloopfe writes as its processed arch. The tree is flattened outer to
inner: a node's ``local`` entries, then its ``subtree``; the last leaf is the compute level.
Instance counts multiply along the tree (a ``PE[0..167]`` subtree makes 168 of each leaf).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .arch import Arch, ComputeLevel, StorageLevel
from .errors import Where, as_int, as_list, as_mapping, as_number, as_str

_RANGE = re.compile(r"^(?P<name>[^\[\]]+)\[(?P<lo>\d+)\.\.(?P<hi>\d+)\]$")

#: attribute spellings (Timeloop accepts both dashes and underscores)
_ALIASES = {
    "word-bits": "datawidth", "word_bits": "datawidth", "wordbits": "datawidth",
    "block-size": "block_size", "cluster-size": "cluster_size",
    "read-bandwidth": "read_bandwidth", "write-bandwidth": "write_bandwidth",
    "shared-bandwidth": "shared_bandwidth", "multiple-buffering": "multiple_buffering",
    "num-banks": "n_banks", "num_banks": "n_banks", "memory_depth": "depth",
    "memory_width": "width", "min-utilization": "min_utilization",
}
#: attributes that change what Timeloop v3.0.3 computes but that we do not model
_NOT_MODELLED = {
    "has_power_gating": "power gating is not modelled",
    "power_gated_at": "power gating is not modelled",
    "allow_overbooking": "overbooking is not modelled",
    "network_read": "explicit networks are not modelled (legacy network, 0 energy)",
    "network_fill": "explicit networks are not modelled (legacy network, 0 energy)",
    "network_update": "explicit networks are not modelled (legacy network, 0 energy)",
    "network_drain": "explicit networks are not modelled (legacy network, 0 energy)",
}
#: Timeloop's word size of a storage level that gives none
DEFAULT_WORD_BITS = 16
COMPUTE_CLASSES = {"intmac", "fpmac", "mac", "compute", "bitwise", "multiplier", "adder",
                   "aladdin_adder", "aladdin_multiplier"}

#: Timeloop's classification of a component by substrings of its class, checked in this
#: order (model/topology.cpp: isBufferClass, isComputeClass, isNetworkClass; timeloopfe v4
#: uses the same lists and adds "nothing").
_KINDS = (("storage", ("DRAM", "SRAM", "regfile", "smartbuffer", "storage")),
          ("compute", ("mac", "compute")),
          ("network", ("XY_NoC", "Legacy", "ReductionTree", "SimpleMulticast")),
          ("nothing", ("nothing",)))


#: why a component of this kind is not a level of the Arch
NOT_A_LEVEL = {"network": "explicit networks are not modelled (legacy network, 0 energy)",
               "nothing": "a 'nothing' component is a placeholder, not a level"}


def component_kind(cls: str) -> str | None:
    """'storage', 'compute', 'network', 'nothing', or None for a class Timeloop does not know."""
    for kind, marks in _KINDS:
        if any(m in cls for m in marks):
            return kind
    return None


def check_kind(cls: str, where: Where) -> str:
    """The kind of a component class; an unknown class is an error (Timeloop would drop the
    component without a word, so the level would silently vanish)."""
    kind = component_kind(cls)
    if kind is None:
        where.fail(f"class {cls!r} is not one Timeloop recognises: a storage class contains "
                   f"DRAM, SRAM, regfile, smartbuffer or storage; a compute class contains mac "
                   f"or compute; a network class is XY_NoC, Legacy, ReductionTree or "
                   f"SimpleMulticast")
    return kind


@dataclass
class Leaf:
    """One component of a Timeloop arch tree (storage or compute) with its instance count,
    as both readers (v0.3 and v0.4) hand it to :func:`build_arch`."""

    name: str
    cls: str
    instances: int
    attributes: dict
    where: Where


def split_range(name: str, where: Where) -> tuple[str, int]:
    """``'PE[0..167]'`` -> ``('PE', 168)``; ``'DRAM[1..1]'`` -> ``('DRAM', 1)``."""
    m = _RANGE.match(name)
    if not m:
        if "[" in name or "]" in name:
            where.fail(f"malformed instance range in {name!r}: expected name[lo..hi]")
        return name, 1
    lo, hi = int(m["lo"]), int(m["hi"])
    if hi < lo:
        where.fail(f"empty instance range in {name!r}")
    return m["name"], hi - lo + 1


def _flatten(node: dict, where: Where, inherited: dict, count: int, out: list[Leaf]) -> None:
    node = as_mapping(node, where)
    name, n = split_range(as_str(node.get("name"), where / "name"), where / "name")
    attrs = dict(inherited)
    attrs.update(as_mapping(node.get("attributes", {}) or {}, where / "attributes"))
    count *= n
    # Timeloop finds the compute unit of a local list by its class, wherever it is listed
    # (Accelergy's exercises list the MAC first): the storage levels keep their order
    local = list(enumerate(as_list(node.get("local", []) or [], where / "local")))
    local.sort(key=lambda il: isinstance(il[1], dict) and component_kind(
        str(il[1].get("class", ""))) == "compute")
    for i, leaf in local:
        lw = where / "local" / i
        leaf = as_mapping(leaf, lw)
        lname, ln = split_range(as_str(leaf.get("name"), lw / "name"), lw / "name")
        cls = as_str(leaf.get("class"), lw / "class")
        kind = check_kind(cls, lw / "class")
        if kind != "storage" and kind != "compute":
            lw.ignore(NOT_A_LEVEL[kind])
            continue
        la = dict(inherited)
        la.update({k: v for k, v in attrs.items() if k not in ("meshX", "meshY")})
        la.update(as_mapping(leaf.get("attributes", {}) or {}, lw / "attributes"))
        if "subclass" in leaf:
            la.setdefault("subclass", leaf["subclass"])
        for key in leaf:
            if key in ("required_actions", "required-actions"):
                (lw / key).ignore("actions are derived from the model")
            elif key == "enabled" and leaf[key] is not True:
                (lw / key).fail("disabled components are not supported; remove the component")
            elif key not in ("name", "class", "subclass", "attributes", "enabled"):
                (lw / key).ignore("unknown component key")
        # A leaf's own range counts instances inside each instance of the enclosing subtree.
        out.append(Leaf(lname, cls, count * ln, la, lw))
    for i, sub in enumerate(as_list(node.get("subtree", []) or [], where / "subtree")):
        sub_inherited = {k: v for k, v in attrs.items() if k not in ("meshX", "meshY")}
        _flatten(sub, where / "subtree" / i, sub_inherited, count, out)


def read_arch_v03(value: Any, where: Where, variables: dict | None = None,
                  check_layout: bool = True) -> Arch:
    arch = as_mapping(value, where)
    variables = dict(variables or {})
    if "subtree" not in arch:
        where.fail("missing required key 'subtree' (v0.3 form) or 'nodes' (v0.4 form)")
    trees = as_list(arch["subtree"], where / "subtree")
    if len(trees) != 1:
        (where / "subtree").fail(f"expected exactly one top-level node, got {len(trees)}")
    leaves: list[Leaf] = []
    top_attrs = as_mapping(trees[0].get("attributes", {}) or {},
                           where / "subtree" / 0 / "attributes") \
        if isinstance(trees[0], dict) else {}
    top_attrs = {**variables, **top_attrs}
    _flatten(trees[0], where / "subtree" / 0, variables, 1, leaves)
    if len(leaves) < 2:
        where.fail("an architecture needs at least one storage level and a compute level")
    return build_arch(str(trees[0].get("name", "arch")), leaves, top_attrs, check_layout)


def _attr_num(attrs: dict, key: str, where: Where, default=None, integer=True, minimum=None):
    if key not in attrs or attrs[key] is None:
        return default
    from .expr import evaluate  # arithmetic in attribute values (Accelergy style)
    v = evaluate(attrs[key], attrs, where / "attributes" / key)
    if integer:
        return as_int(v, where / "attributes" / key, minimum=minimum)
    return as_number(v, where / "attributes" / key, minimum=minimum)


def _normalise(attrs: dict, where: Where) -> dict:
    """Attributes under their canonical names, their expressions evaluated (``datawidth:
    DATAWIDTH`` from the variables, ``width: datawidth * 3``), so that every reader of them
    (the model, the energy estimators) sees numbers. A renamed attribute keeps its given name
    too: an Accelergy compound class names its own (``memory_depth`` of a smartbuffer)."""
    from .expr import evaluate
    out = {}
    for k, v in attrs.items():
        k2 = _ALIASES.get(k, k)
        if k2 in _NOT_MODELLED:
            if v not in (False, None, 0, "none", "None"):
                (where / "attributes" / k).ignore(_NOT_MODELLED[k2])
            continue
        out[k2] = v
        if k2 != k:
            out[k] = v
    return {k: evaluate(v, out, where / "attributes" / k) for k, v in out.items()}


def build_arch(name: str, leaves: list[Leaf], top_attrs: dict,
               check_layout: bool = True) -> Arch:
    """Build an :class:`Arch` from flattened leaves (outermost first; last = compute).

    ``check_layout=False`` notes, instead of refusing, a breach of Timeloop's spatial layout
    rule (each level's mesh divides the mesh below it): Accelergy prices the components of such
    an arch, which only the model cannot map (:func:`check_fanouts`)."""
    *stores, mac = leaves
    for leaf in stores:
        if check_kind(leaf.cls, leaf.where / "class") == "compute":
            leaf.where.fail(f"compute component {leaf.name!r} is not the innermost component "
                            f"({mac.name!r} comes after it); Timeloop models one compute "
                            f"level, below all storage levels")
    if check_kind(mac.cls, mac.where / "class") != "compute":
        mac.where.fail(f"the innermost component {mac.name!r} has the storage class "
                       f"{mac.cls!r}; the innermost component must be the compute level "
                       f"(a class containing mac or compute)")
    storage = []
    for leaf in stores:
        storage.append(_storage_level(leaf))
    names = [s.name for s in storage] + [mac.name]
    for i, n in enumerate(names):
        if names.index(n) != i:
            leaves[i].where.fail(f"component name {n!r} is used twice")
    compute = _compute_level(mac)
    arch = Arch(name, tuple(reversed(storage)), compute, dict(top_attrs))
    check_fanouts(arch, leaves, enforce=check_layout)
    return arch


def _mesh(attrs: dict, instances: int, where: Where) -> tuple[int, int]:
    mx = _attr_num(attrs, "meshX", where, minimum=1)
    my = _attr_num(attrs, "meshY", where, minimum=1)
    if mx is None and my is None:
        mx, my = instances, 1
    elif mx is None:
        mx = instances // my
    elif my is None:
        my = instances // mx
    if mx * my != instances:
        where.fail(f"meshX*meshY = {mx}*{my} = {mx * my} but the component has "
                   f"{instances} instances")
    return mx, my


def _storage_level(leaf: Leaf) -> StorageLevel:
    w = leaf.where
    a = _normalise(leaf.attributes, w)
    cls = leaf.cls
    is_dummy = cls.lower() == "dummy_storage"
    word_bits = _attr_num(a, "datawidth", w, minimum=1)
    width = _attr_num(a, "width", w, minimum=1)
    block = _attr_num(a, "block_size", w, minimum=1)
    if word_bits is None:
        if width is not None and block is not None:
            word_bits = width // block
        else:       # Timeloop's default word size (BufferLevel::Specs::kDefaultWordBits)
            word_bits = DEFAULT_WORD_BITS
            (w / "attributes" / "datawidth").ignore(
                f"not given: {DEFAULT_WORD_BITS} bits, Timeloop's default word size")
    cluster = _attr_num(a, "cluster_size", w, minimum=1)
    if width is None:
        width = word_bits * (block or 1)
    elif cluster is not None and block is not None:
        if block * word_bits * cluster != width:
            (w / "attributes" / "cluster_size").fail(
                f"block_size {block} x datawidth {word_bits} x cluster_size {cluster} is not "
                f"the width {width} (Timeloop requires it)")
    elif cluster is not None:
        # Timeloop: a vector of the width serves the cluster, each instance a block of it
        if width % (word_bits * cluster):
            (w / "attributes" / "width").fail(
                f"width {width} is not a multiple of datawidth {word_bits} x cluster_size "
                f"{cluster}")
        block = width // cluster // word_bits
    elif block is not None:
        if width % (word_bits * block) == 0:
            cluster = width // (word_bits * block)      # Timeloop derives the cluster size
    if block is None:
        if width % word_bits:
            (w / "attributes" / "width").fail(
                f"width {width} is not a multiple of datawidth {word_bits}; give block_size")
        block = width // word_bits
    depth = _attr_num(a, "depth", w, minimum=0)
    if depth is None and cls.lower() != "dram" and not is_dummy:
        w.fail("missing attribute 'depth' (only DRAM may be unbounded)")
    mx, my = _mesh(a, leaf.instances, w)
    return StorageLevel(
        name=leaf.name, component_class=cls, instances=leaf.instances, mesh_x=mx, mesh_y=my,
        depth=depth, width=width, word_bits=word_bits, block_size=block,
        cluster_size=cluster or 1,
        read_bandwidth=_attr_num(a, "read_bandwidth", w, integer=False, minimum=0),
        write_bandwidth=_attr_num(a, "write_bandwidth", w, integer=False, minimum=0),
        shared_bandwidth=_attr_num(a, "shared_bandwidth", w, integer=False, minimum=0),
        multiple_buffering=_attr_num(a, "multiple_buffering", w, 1.0, integer=False, minimum=1),
        is_dummy=is_dummy, attributes=a)


def _compute_level(leaf: Leaf) -> ComputeLevel:
    a = _normalise(leaf.attributes, leaf.where)
    mx, my = _mesh(a, leaf.instances, leaf.where)
    return ComputeLevel(leaf.name, leaf.cls, leaf.instances, mx, my, a)


def check_fanouts(arch: Arch, leaves: list[Leaf], enforce: bool = True) -> None:
    """Timeloop's spatial layout rule: a level's mesh divides the mesh of the level below it
    (the fan-out between them is the quotient). An error, or with ``enforce=False`` a note
    (pricing the components needs no layout)."""
    for k, level in enumerate(arch.storage):
        cx, cy = arch.child_mesh(k)
        where = leaves[len(arch.storage) - 1 - k].where
        if cx % level.mesh_x or cy % level.mesh_y:
            message = (f"mesh {level.mesh_x}x{level.mesh_y} does not divide the mesh "
                       f"{cx}x{cy} of the level below it")
            if enforce:
                where.fail(message + " (give meshX/meshY so that it does)")
            (where / "attributes" / "meshX").ignore(
                f"{message}: Timeloop's spatial layout rule, which mapper model and search "
                f"enforce; not needed to price the components")
