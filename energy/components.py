"""Component classes, their actions and attributes: what an arch file may name.

Class names compare case-insensitively and Accelergy's and Timeloop's spellings are aliases
(``intadder`` is ``adder``; ``storage`` with ``subclass: aladdin_register`` is a ``register``,
a one-entry ``regfile``; Accelergy's ``aladdin_adder`` and ``aladdin_multiplier`` are
Aladdin's own units, classes of their own that ``energy/tables/aladdin_40nm.yaml``
declares). Each class states its kind, the actions an ERT lists for it, and which class's
table rows may answer for it (``smartbuffer_SRAM`` is an ``SRAM`` plus address generators,
which no shipped table models: the record says so).

Attributes are normalised so that tables can be keyed on them: ``width`` is the bits of one
(vector) access, ``block_size x datawidth`` when only those are given (Timeloop's rule), and
``capacity_bytes = depth x width / 8``. ``technology`` becomes a node in nm (``"45nm"``, ``45``
and ``45e-9`` are all 45).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from .errors import EstimationError, parse_number

#: Actions the ERT may hold. ``leak`` is energy per cycle; ``idle`` per idle cycle.
STORAGE_ACTIONS = ("read", "write", "update", "leak", "idle")
COMPUTE_ACTIONS = ("compute", "leak", "idle")
NETWORK_ACTIONS = ("transfer", "leak", "idle")
#: Actions whose absence leaves a gap with a warning rather than an error (Timeloop v3.0.3
#: ignores leakage; idle is only charged where a model asks for it).
OPTIONAL_ACTIONS = frozenset({"leak", "idle"})
#: Accelergy/Timeloop action spellings (Timeloop looks up ``mac_random, mult_random, mac, mult,
#: compute`` for the MAC and ``random_update -> random_fill -> write`` for updates).
ACTION_ALIASES = {
    "random_read": "read", "repeated_read": "read", "random_fill": "write", "fill": "write",
    "random_update": "update", "mac_random": "compute", "mac": "compute", "mult_random": "compute",
    "mult": "compute", "add": "compute", "transfer_random": "transfer",
    # a FIFO (Accelergy's FIFO class): a push writes one entry, a pop reads one
    "push": "write", "pop": "read",
}


@dataclass(frozen=True)
class DerivedAction:
    """An action priced as another where no estimator answers it (the record says so)."""

    name: str
    base: str
    kinds: tuple[str, ...]
    why: str

    @property
    def short(self) -> str:
        return f"{self.name} := {self.base}"

    @property
    def note(self) -> str:
        return f"{self.short} ({self.why})"


#: Where no estimator answers ``update``, it is a ``write``: Accelergy's smartbuffer defines the
#: update action as a write and Timeloop v3.0.3 charges updates the ``write`` energy
#: (TIMELOOP_SEMANTICS.md section 8). An ``idle`` cycle is the ``leak`` energy of a cycle:
#: nothing switches, the cells still leak (Aladdin's idle energy is its leakage power times
#: the cycle). The record states the substitution.
DERIVED_ACTIONS = {d.name: d for d in (
    DerivedAction("update", "write", ("storage",), "Accelergy's smartbuffer update is a write; "
                  "Timeloop v3.0.3 charges updates the write energy"),
    DerivedAction("idle", "leak", ("storage", "compute", "network"),
                  "an idle cycle switches nothing: the static energy of a cycle"),
)}


@dataclass(frozen=True)
class ComponentClass:
    """A class users write in arch files; ``base``'s table rows may answer for it."""

    name: str
    kind: str  # "storage" | "compute" | "network"
    aliases: tuple[str, ...] = ()
    base: str | None = None
    base_note: str = ""
    needs_technology: bool = True
    required: tuple[str, ...] = ()
    declared_in: str = "energy.components"
    #: actions the class's own definition names beyond its kind's (a compound class's:
    #: Sparseloop's ``metadata_read``, ``metadata_write``...); an ERT lists them too, as
    #: Accelergy lists every action of a compound class
    own_actions: tuple[str, ...] = ()
    #: attribute values a component of the class has when it gives none (Accelergy's
    #: ``aladdin_register`` is one bit unless it says otherwise), each stated in the record
    defaults: tuple[tuple[str, float], ...] = ()

    @property
    def kind_actions(self) -> tuple[str, ...]:
        """The actions of its kind, which the model charges (a storage's read, write...)."""
        return {"storage": STORAGE_ACTIONS, "compute": COMPUTE_ACTIONS,
                "network": NETWORK_ACTIONS}[self.kind]

    @property
    def actions(self) -> tuple[str, ...]:
        kind = self.kind_actions
        return (*kind, *(a for a in self.own_actions if a not in kind))

    @property
    def default_actions(self) -> tuple[str, ...]:
        """The actions an ERT lists when the arch names none (idle only on request)."""
        return tuple(a for a in self.actions if a != "idle")


_SMART = "address generators are not modelled"
BUILTIN_CLASSES: tuple[ComponentClass, ...] = (
    ComponentClass("DRAM", "storage", ("dram", "offchip_dram"), needs_technology=False,
                   required=("width",)),
    ComponentClass("SRAM", "storage", ("sram",)),
    ComponentClass("regfile", "storage", ("register_file",)),
    # one entry; one bit unless it gives a width (Accelergy's aladdin_register, the per-bit
    # part of its compound register files)
    ComponentClass("register", "storage", ("aladdin_register",), base="regfile",
                   base_note="register answered by regfile rows (a one-entry register file)",
                   defaults=(("width", 1.0), ("depth", 1.0))),
    # a first-in first-out queue of depth entries (Accelergy's FIFO class)
    ComponentClass("FIFO", "storage", ("fifo", "aladdin_fifo")),
    ComponentClass("smartbuffer_SRAM", "storage", ("smart_buffer_sram",), base="SRAM",
                   base_note=f"smartbuffer_SRAM answered by SRAM rows ({_SMART})"),
    ComponentClass("smartbuffer_RF", "storage", ("smart_buffer_rf", "smartbuffer_regfile"),
                   base="regfile", base_note=f"smartbuffer_RF answered by regfile rows ({_SMART})"),
    ComponentClass("dummy_storage", "storage", ("dummy",), needs_technology=False),
    ComponentClass("intmac", "compute", ("int_mac", "mac")),
    ComponentClass("fpmac", "compute", ("fp_mac",)),
    ComponentClass("adder", "compute", ("intadder", "int_adder")),
    ComponentClass("multiplier", "compute", ("intmultiplier", "int_multiplier")),
    ComponentClass("fpadder", "compute", ("fp_adder",)),
    ComponentClass("fpmultiplier", "compute", ("fp_multiplier",)),
    ComponentClass("wire", "network", ("wires",)),
)
#: Generic Timeloop classes whose ``subclass`` names the real one.
GENERIC_CLASSES = frozenset({"storage", "compute", "buffer", "arithmetic"})
DRAM_TYPES = ("LPDDR4", "LPDDR", "LPDDR2", "DDR3", "GDDR5", "GDDR6", "GDDR6X", "HBM2", "HBM2E",
              "HMC")
#: DRAM types users name for which no primary per-bit figure is known here: the estimate stops
#: and asks for one (energy/tables/dram.yaml says why).
DRAM_TYPES_WITHOUT_FIGURE = ("DDR4", "DDR5", "LPDDR5", "HBM3", "HBM3E")
#: Accelergy's DRAM model's type when none is given (hwcomponents-cacti: ``type="LPDDR4"``)
DEFAULT_DRAM_TYPE = "LPDDR4"


def class_key(name: str) -> str:
    return str(name).strip().lower().replace("-", "_")


def class_index(extra: tuple[ComponentClass, ...] = ()) -> dict[str, ComponentClass]:
    """``alias -> class`` for the built-ins plus ``extra`` (declared by tables or plug-ins)."""
    index: dict[str, ComponentClass] = {}
    for cls in (*BUILTIN_CLASSES, *extra):
        for key in (cls.name, *cls.aliases):
            k = class_key(key)
            if k in index and index[k].name != cls.name:
                raise EstimationError(
                    f"class name {key!r} of {cls.declared_in} is already {index[k].name!r} "
                    f"(declared in {index[k].declared_in})")
            index[k] = cls
    return index


@dataclass(frozen=True)
class Component:
    """One component as the energy side sees it (the mapper converts its arch levels to these).

    ``actions`` are the ERT actions wanted (an arch's ``required_actions``); ``None`` means the
    class defaults. Explicit energies/area in ``attributes`` override every estimator.
    """

    name: str
    component_class: str
    attributes: Mapping[str, Any] = field(default_factory=dict)
    instances: int = 1
    subclass: str | None = None
    actions: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Normalized:
    """A component's class, its attributes as tables key them, and what normalising did."""

    component: Component
    cls: ComponentClass
    attributes: dict[str, Any]
    notes: tuple[str, ...] = ()


def resolve_class(component: Component, index: Mapping[str, ComponentClass]) -> ComponentClass:
    name = component.component_class
    if class_key(name) in GENERIC_CLASSES:
        sub = component.subclass or component.attributes.get("subclass")
        if sub is None:
            raise EstimationError(
                f"component {component.name!r}: class {name!r} needs a subclass "
                f"(e.g. smartbuffer_SRAM, aladdin_register, intmac)")
        name = sub
    try:
        return index[class_key(name)]
    except KeyError:
        known = sorted({c.name for c in index.values()})
        raise EstimationError(
            f"component {component.name!r}: unknown class {name!r}; known classes: "
            f"{', '.join(known)} (a table file may declare new ones under 'classes:')") from None


def parse_technology(value: Any, where: str) -> float | None:
    """Node in nm; ``None`` for Timeloop's placeholders (``-1``, ``SET ME``)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        v = float(value)
    else:
        text = str(value).strip().lower()
        if text in ("", "-1", "set me", "none", "null"):
            return None
        m = re.fullmatch(r"([0-9]*\.?[0-9]+(?:e-?[0-9]+)?)\s*(nm|um|m)?", text)
        if not m:
            raise EstimationError(f"{where}: technology {value!r}: expected a node like 45nm")
        v = float(m.group(1)) * {"nm": 1.0, "um": 1e3, "m": 1e9, None: 1.0}[m.group(2)]
    if v < 0:
        return None
    if 0 < v < 1e-3:  # metres, hwcomponents' convention
        v *= 1e9
    if not (v > 0 and math.isfinite(v)):
        raise EstimationError(f"{where}: technology {value!r} is not a positive node")
    return v


def _num(attrs: dict, key: str, where: str) -> float | None:
    v = attrs.get(key)
    if v is None:
        return None
    try:
        f = parse_number(v, where, EstimationError, nonnegative=False)
    except EstimationError:
        raise EstimationError(f"{where}: attribute {key}={v!r} is not a number") from None
    if not f > 0:
        raise EstimationError(f"{where}: attribute {key}={v!r} must be positive")
    return f


#: ``n_rdwr_ports`` is Accelergy's name of the read-write ports; Timeloop's ``num_ports``
#: (a bandwidth notion) is not read as ports of the array
_RENAMES = {"word_bits": "datawidth", "entries": "depth", "n_rdwr_ports": "n_rw_ports"}
#: the clock assumed where a component gives none, to express static power per cycle
DEFAULT_CYCLE_SECONDS = 1e-9


def cycle_seconds(attrs: Mapping[str, Any]) -> tuple[float, str]:
    """The component's clock period (``global_cycle_seconds``, Timeloop's and Accelergy's
    attribute, or ``cycle_seconds``) and a note when it is assumed."""
    for key in ("global_cycle_seconds", "cycle_seconds"):
        v = attrs.get(key)
        if v is not None:
            return float(v), ""
    return DEFAULT_CYCLE_SECONDS, (f" (no global_cycle_seconds given: a "
                                   f"{1e-9 / DEFAULT_CYCLE_SECONDS:g} GHz clock is assumed)")


def normalize(component: Component, index: Mapping[str, ComponentClass]) -> Normalized:
    """Resolve the class and derive the attributes tables are keyed on."""
    cls = resolve_class(component, index)
    where = f"component {component.name!r} (class {cls.name})"
    attrs: dict[str, Any] = {}
    for k, v in component.attributes.items():
        key = str(k).strip().lower().replace("-", "_")
        attrs[_RENAMES.get(key, key)] = v
    notes: list[str] = []
    attrs["technology"] = parse_technology(attrs.get("technology"), where)
    for key in ("width", "depth", "datawidth", "block_size", "size", "n_banks", "n_rw_ports",
                "multiplier_width", "adder_width", "voltage", "global_cycle_seconds",
                "cycle_seconds"):
        if key in attrs:
            attrs[key] = _num(attrs, key, where)
    if cls.kind == "storage":
        _storage(attrs, notes)
        if _defaults(cls, attrs, notes):
            _storage(attrs, [])         # capacity_bytes and datawidth of the defaults
    elif cls.kind == "compute":
        _compute(cls, attrs, notes)
    elif attrs.get("width") is None and attrs.get("datawidth") is not None:
        attrs["width"] = attrs["datawidth"]
    if cls.name == "DRAM":
        if attrs.get("type") is None:
            attrs["type"] = DEFAULT_DRAM_TYPE
            notes.append(f"no DRAM type given: {DEFAULT_DRAM_TYPE}, Accelergy's default")
        attrs["type"] = str(attrs["type"]).strip().upper()
    missing = [a for a in cls.required if attrs.get(a) is None]
    if missing:
        hint = ""
        raise EstimationError(f"{where}: missing attribute {', '.join(missing)}{hint}")
    return Normalized(component, cls, attrs, tuple(notes))


def _defaults(cls: ComponentClass, attrs: dict, notes: list[str]) -> bool:
    """The class's default attributes the component does not give; whether any was used."""
    used = False
    for key, default in cls.defaults:
        if attrs.get(key) is None:
            attrs[key] = default
            notes.append(f"{key} {default:g}: a {cls.name}'s {key} when it gives none")
            used = True
    return used


def _storage(attrs: dict, notes: list[str]) -> None:
    w, dw, bs = attrs.get("width"), attrs.get("datawidth"), attrs.get("block_size")
    if w is None and dw is not None:
        attrs["width"] = w = (bs or 1) * dw
        notes.append(f"width = block_size x datawidth = {w:g} bits")
    if dw is None and w is not None:
        attrs["datawidth"] = dw = w
    if bs is None and w is not None and dw is not None:
        attrs["block_size"] = w / dw
    if attrs.get("depth") is None and attrs.get("size") is not None and attrs.get("block_size"):
        attrs["depth"] = attrs["size"] / attrs["block_size"]
        notes.append(f"depth = size / block_size = {attrs['depth']:g}")
    if attrs.get("depth") is not None and w is not None:
        attrs["capacity_bytes"] = attrs["depth"] * w / 8
    attrs.setdefault("n_banks", 1.0)
    attrs.setdefault("n_rw_ports", 1.0)


def _compute(cls: ComponentClass, attrs: dict, notes: list[str]) -> None:
    dw = attrs.get("datawidth") or attrs.get("width") or attrs.get("multiplier_width")
    if dw is not None:
        attrs.setdefault("datawidth", dw)
        attrs.setdefault("width", dw)
    if cls.name in ("intmac", "fpmac") and dw is not None:
        for part in ("multiplier_width", "adder_width"):
            if attrs.get(part) is None:
                attrs[part] = dw
                notes.append(f"{part} = datawidth = {dw:g}")


def explicit_energy(attributes: Mapping[str, Any], where: str) -> dict[str, float]:
    """Per-action energies (pJ) given in the arch: ``energy: {read: 1.2}`` or ``read_energy``."""
    out: dict[str, float] = {}
    for k, v in attributes.items():
        key = str(k).strip().lower()
        if key == "energy":
            if not isinstance(v, Mapping):
                raise EstimationError(f"{where}: 'energy' must map actions to pJ, got {v!r}")
            for a, e in v.items():
                out[ACTION_ALIASES.get(str(a), str(a))] = parse_number(
                    e, f"{where}: energy.{a}", EstimationError)
        elif key.endswith("_energy"):
            a = key[: -len("_energy")]
            out[ACTION_ALIASES.get(a, a)] = parse_number(v, f"{where}: {k}", EstimationError)
    return out


def explicit_area(attributes: Mapping[str, Any], where: str) -> float | None:
    for k, v in attributes.items():
        if str(k).strip().lower() == "area":
            return parse_number(v, f"{where}: area", EstimationError)
    return None
