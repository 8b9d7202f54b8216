"""Our concise architecture YAML: a chain of storage levels, outermost first -> Arch.

::

    arch:
      name: eyeriss_like
      attributes: {technology: 32nm}      # inherited by every level (for energy estimators)
      variables: {glb_words: 16384}      # names usable in arithmetic below
      levels:                            # outermost first
        - {name: DRAM, class: DRAM, width: 64, word_bits: 8}     # no depth: unbounded
        - {name: shared_glb, class: smartbuffer_SRAM, depth: glb_words, width: 64,
           word_bits: 8, bandwidth: {read: 16, write: 16}}
        - {name: pe_column, dummy: true, fanout: [14, 1]}
        - {name: pe_row, dummy: true, fanout: [1, 12]}
        - {name: ifmap_spad, class: smartbuffer_RF, depth: 12, width: 16, word_bits: 8}
        - {name: psum_spad, class: smartbuffer_RF, depth: 16, word_bits: 16}
      compute: {name: mac, class: intmac}

A level's keys (Timeloop's words; sizes in bits, bandwidths in words/cycle/instance):

* ``name``, ``class`` (the component class the energy tables know, e.g. smartbuffer_SRAM).
* ``word_bits``; ``width`` (bits per vector access) and/or ``block_size`` (words per access):
  either one gives the other, both must agree, neither means one word per access.
* ``depth``: vectors per instance; only the outermost level (the backing store) may omit
  it, meaning unbounded.
* ``fanout: [X, Y]`` (or ``fanout: N`` for [N, 1]): the spatial array *between this level
  and the next one inward* (or the compute units). Instances and meshes are products of the
  fan-outs above a level, so they can never disagree with each other.
* ``dummy: true``: a level that holds nothing and only carries a fan-out, the way Timeloop
  spreads one array over X and Y levels (Timeloop's dummy_storage); no sizes then.
* ``bandwidth: {read, write, shared}``, ``cluster_size``, ``multiple_buffering``.
* ``attributes``: anything else for the energy/area estimators (n_banks, technology...).
* ``constraints``: a Timeloop v0.4 constraints block, kept raw in ``Arch.constraints`` as
  ``(level name, block, Where)``.

Numbers may be arithmetic over ``variables`` (``depth: glb_words / 2``; see expr.py). So may
the values of ``attributes``, and an attribute that is exactly a variable's name takes its value
(``technology: technology``, ``type: dram_type``), as timeloopfe evaluates them: this is what
lets a template (arch_templates/) name every parameter once, in ``variables``.
Misspelled keys are errors with a suggestion; Timeloop spellings (datawidth, meshX, ...)
are answered with the spelling used here.
"""
from __future__ import annotations

from typing import Any

from .arch import Arch, ComputeLevel, StorageLevel
from .errors import Where, as_int, as_list, as_mapping, as_number, as_str, check_keys
from .expr import evaluate

_ARCH_KEYS = ("name", "attributes", "variables", "levels", "compute")
_LEVEL_KEYS = ("name", "class", "depth", "width", "word_bits", "block_size", "fanout",
               "dummy", "bandwidth", "cluster_size", "multiple_buffering", "attributes",
               "constraints")
_DUMMY_KEYS = ("name", "dummy", "fanout", "attributes", "constraints")
_COMPUTE_KEYS = ("name", "class", "attributes")
#: Timeloop/Accelergy spellings and what this format calls them.
_SPELLINGS = {
    "datawidth": "word_bits", "word-bits": "word_bits", "wordbits": "word_bits",
    "block-size": "block_size", "memory_depth": "depth", "memory_width": "width",
    "entries": "depth (in vectors of width bits)", "sizeKB": "depth (in vectors)",
    "read_bandwidth": "bandwidth: {read: ...}", "write_bandwidth": "bandwidth: {write: ...}",
    "shared_bandwidth": "bandwidth: {shared: ...}", "cluster-size": "cluster_size",
    "multiple-buffering": "multiple_buffering",
    "meshX": "fanout: [X, Y] on the level above", "meshY": "fanout: [X, Y] on the level above",
    "mesh": "fanout: [X, Y] on the level above",
    "instances": "fanout: [X, Y] on the levels above (instances follow from them)",
    "spatial": "fanout: [X, Y]", "subclass": "attributes: {subclass: ...}",
    "technology": "attributes: {technology: ...}", "n_banks": "attributes: {n_banks: ...}",
}
_DUMMY_ATTRIBUTES = {"width": 1, "depth": 1, "datawidth": 1}


def _keys(d: dict, where: Where, allowed: tuple[str, ...], required: tuple[str, ...] = ()):
    for key in d:
        if key not in allowed and key in _SPELLINGS:
            (where / key).fail(f"unknown key {key!r}: in this format it is "
                               f"{_SPELLINGS[key]}")
    check_keys(d, where, allowed, required)


class _Numbers:
    """Reads numbers that may be arithmetic over the arch's ``variables``."""

    def __init__(self, variables: dict):
        self.variables = variables

    def int(self, value: Any, where: Where, minimum: int = 1) -> int:
        return as_int(evaluate(value, self.variables, where), where, minimum)

    def get_int(self, d: dict, key: str, where: Where, default: int | None = None):
        return default if d.get(key) is None else self.int(d[key], where / key)

    def get_number(self, d: dict, key: str, where: Where, default: float | None = None,
                   minimum: float = 0.0):
        if d.get(key) is None:
            return default
        return as_number(evaluate(d[key], self.variables, where / key), where / key, minimum)

    def attributes(self, value: Any, where: Where) -> dict:
        """Attribute values with variables substituted; other strings stay as they are."""
        out = {}
        for key, v in as_mapping(value or {}, where).items():
            if isinstance(v, str) and v.strip() in self.variables:
                v = self.variables[v.strip()]
            out[key] = evaluate(v, self.variables, where / key)
        return out


def read_own_arch(value: Any, where: Where) -> Arch:
    """Read our architecture format (see the module docstring)."""
    arch = as_mapping(value, where)
    _keys(arch, where, _ARCH_KEYS, required=("levels", "compute"))
    name = as_str(arch.get("name", "arch"), where / "name")
    numbers = _Numbers(dict(as_mapping(arch.get("variables", {}) or {}, where / "variables")))
    attributes = numbers.attributes(arch.get("attributes"), where / "attributes")
    levels_w = where / "levels"
    entries = as_list(arch["levels"], levels_w)
    if not entries:
        levels_w.fail("expected at least one storage level (the backing store, e.g. DRAM)")
    storage, constraints, seen = [], [], {}
    mesh_x = mesh_y = 1
    for i, entry in enumerate(entries):
        lw = levels_w / i
        entry = as_mapping(entry, lw)
        level = _level(entry, lw, numbers, attributes, mesh_x, mesh_y, outermost=i == 0)
        if level.name in seen:
            (lw / "name").fail(f"level name {level.name!r} is used twice (also {seen[level.name]})")
        seen[level.name] = lw.path
        storage.append(level)
        if entry.get("constraints"):
            constraints.append((level.name, dict(as_mapping(entry["constraints"],
                                                            lw / "constraints")),
                                lw / "constraints"))
        fan_x, fan_y = _fanout(entry.get("fanout", 1), lw / "fanout", numbers)
        mesh_x, mesh_y = mesh_x * fan_x, mesh_y * fan_y
    cw = where / "compute"
    compute = as_mapping(arch["compute"], cw)
    _keys(compute, cw, _COMPUTE_KEYS, required=("name", "class"))
    mac = ComputeLevel(as_str(compute["name"], cw / "name"), as_str(compute["class"], cw / "class"),
                       mesh_x * mesh_y, mesh_x, mesh_y,
                       {**attributes, **numbers.attributes(compute.get("attributes"),
                                                           cw / "attributes")})
    if mac.name in seen:
        (cw / "name").fail(f"name {mac.name!r} is also a storage level ({seen[mac.name]})")
    return Arch(name, tuple(reversed(storage)), mac, attributes, tuple(constraints))


def _level(entry: dict, where: Where, numbers: _Numbers, inherited: dict, mesh_x: int,
           mesh_y: int, outermost: bool) -> StorageLevel:
    dummy = entry.get("dummy", False)
    if not isinstance(dummy, bool):
        (where / "dummy").fail(f"expected true or false, got {dummy!r}")
    if dummy:
        for key in entry:
            if key not in _DUMMY_KEYS and key in _LEVEL_KEYS:
                (where / key).fail(f"a dummy level holds no data and only carries a fan-out; "
                                   f"remove {key!r}")
        _keys(entry, where, _DUMMY_KEYS, required=("name",))
    else:
        _keys(entry, where, _LEVEL_KEYS, required=("name", "class", "word_bits"))
    name = as_str(entry["name"], where / "name")
    own = numbers.attributes(entry.get("attributes"), where / "attributes")
    if dummy:
        return StorageLevel(name, "dummy_storage", mesh_x * mesh_y, mesh_x, mesh_y, depth=1,
                            width=1, word_bits=1, block_size=1, is_dummy=True,
                            attributes={**inherited, **own, **_DUMMY_ATTRIBUTES})
    word_bits = numbers.int(entry["word_bits"], where / "word_bits")
    width = numbers.get_int(entry, "width", where)
    block = numbers.get_int(entry, "block_size", where)
    if width is None:
        block = block or 1
        width = word_bits * block
    elif block is None:
        if width % word_bits:
            (where / "width").fail(f"width {width} is not a multiple of word_bits {word_bits}; "
                                   f"give block_size (words per access) instead")
        block = width // word_bits
    elif width != block * word_bits:
        (where / "width").fail(f"width {width} bits disagrees with block_size {block} x "
                               f"word_bits {word_bits} = {block * word_bits}; give one of them")
    depth = numbers.get_int(entry, "depth", where)
    if depth is None and not outermost:
        where.fail("missing 'depth' (vectors per instance); only the outermost level may be "
                   "unbounded")
    bw = as_mapping(entry.get("bandwidth", {}) or {}, where / "bandwidth")
    _keys(bw, where / "bandwidth", ("read", "write", "shared"))
    bww = where / "bandwidth"
    sizes = {"depth": depth, "width": width, "datawidth": word_bits, "block_size": block}
    return StorageLevel(
        name=name, component_class=as_str(entry["class"], where / "class"),
        instances=mesh_x * mesh_y, mesh_x=mesh_x, mesh_y=mesh_y, depth=depth, width=width,
        word_bits=word_bits, block_size=block,
        cluster_size=numbers.get_int(entry, "cluster_size", where, default=1),
        read_bandwidth=numbers.get_number(bw, "read", bww),
        write_bandwidth=numbers.get_number(bw, "write", bww),
        shared_bandwidth=numbers.get_number(bw, "shared", bww),
        multiple_buffering=numbers.get_number(entry, "multiple_buffering", where, 1.0,
                                              minimum=1.0),
        attributes={**inherited, **own, **{k: v for k, v in sizes.items() if v is not None}})


def _fanout(value: Any, where: Where, numbers: _Numbers) -> tuple[int, int]:
    """``[X, Y]`` or ``N`` (= ``[N, 1]``), each at least 1."""
    if isinstance(value, list):
        if len(value) != 2:
            where.fail(f"expected [X, Y] (two numbers), got {len(value)} entries")
        return numbers.int(value[0], where / 0), numbers.int(value[1], where / 1)
    return numbers.int(value, where), 1
