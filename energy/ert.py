"""Energy and Area Reference Tables (ERT/ART) in Accelergy's YAML format.

The analytical model needs only two questions answered: the energy (pJ) of one action of a
component, and the area (um^2) of one instance of it. :class:`ReferenceTables` answers both,
whether the numbers came from an Accelergy ERT/ART file or from this package's estimators.
Component names are matched without Accelergy's hierarchy prefix and instance range
(``system_top_level.shared_glb[1..1]`` -> ``shared_glb``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from .errors import TableError, parse_number



def component_key(name: str) -> str:
    """``'system_top_level.PE[0..167].ifmap_spad[0..11]'`` -> ``'ifmap_spad'``."""
    plain = re.sub(r"\[\d+\.\.\d+\]", "", str(name))
    return plain.split(".")[-1].strip()


@dataclass
class ReferenceTables:
    """pJ per action per component, um^2 per component, and where each number came from."""

    energy_pJ: dict[str, dict[str, float]] = field(default_factory=dict)
    area_um2: dict[str, float] = field(default_factory=dict)
    source: dict[tuple[str, str], str] = field(default_factory=dict)

    def energy(self, component: str, action: str) -> float | None:
        return self.energy_pJ.get(component_key(component), {}).get(action)

    def first_energy(self, component: str, actions: tuple[str, ...]) -> tuple[str, float] | None:
        """The first of ``actions`` the component has, e.g. Timeloop's update fallback chain."""
        table = self.energy_pJ.get(component_key(component), {})
        for a in actions:
            if a in table:
                return a, table[a]
        return None

    def actions(self, component: str) -> dict[str, float]:
        """Every action the table has for the component, with its pJ (empty if none)."""
        return dict(self.energy_pJ.get(component_key(component), {}))

    def area(self, component: str) -> float | None:
        return self.area_um2.get(component_key(component))

    def merge(self, other: "ReferenceTables") -> "ReferenceTables":
        """Entries of ``other`` win (an explicit file overrides estimates)."""
        out = ReferenceTables({k: dict(v) for k, v in self.energy_pJ.items()},
                              dict(self.area_um2), dict(self.source))
        for comp, actions in other.energy_pJ.items():
            out.energy_pJ.setdefault(comp, {}).update(actions)
        out.area_um2.update(other.area_um2)
        out.source.update(other.source)
        return out


def read_ert(data: Any, source: str, tables: ReferenceTables | None = None) -> ReferenceTables:
    """Read Accelergy's ``ERT: {tables: [{name, actions: [{name, arguments, energy}]}]}``.

    Where an action is listed with several argument sets (older Accelergy ERTs), the largest
    energy is used: the random, worst-case access that Timeloop charges by default.
    """
    tables = tables or ReferenceTables()
    if isinstance(data, dict) and "ERT" in data:
        data = data["ERT"]
    if not isinstance(data, dict) or not isinstance(data.get("tables"), list):
        raise TableError(f"{source}: ERT: expected a mapping with a 'tables' list")
    for i, table in enumerate(data["tables"]):
        where = f"{source}: ERT.tables[{i}]"
        if not isinstance(table, dict) or "name" not in table:
            raise TableError(f"{where}: expected a mapping with 'name' and 'actions'")
        comp = component_key(table["name"])
        actions = table.get("actions")
        if not isinstance(actions, list):
            raise TableError(f"{where}.actions: expected a list of actions")
        entry = tables.energy_pJ.setdefault(comp, {})
        seen: set[str] = set()
        for j, action in enumerate(actions):
            aw = f"{where}.actions[{j}]"
            if not isinstance(action, dict) or "name" not in action or "energy" not in action:
                raise TableError(f"{aw}: expected a mapping with 'name' and 'energy'")
            name = str(action["name"])
            e = parse_number(action["energy"], f"{aw}.energy")
            entry[name] = max(e, entry[name]) if name in seen else e
            seen.add(name)
            tables.source[(comp, name)] = source
    return tables


def read_art(data: Any, source: str, tables: ReferenceTables | None = None) -> ReferenceTables:
    """Read Accelergy's ``ART: {tables: [{name, area}]}``."""
    tables = tables or ReferenceTables()
    if isinstance(data, dict) and "ART" in data:
        data = data["ART"]
    if not isinstance(data, dict) or not isinstance(data.get("tables"), list):
        raise TableError(f"{source}: ART: expected a mapping with a 'tables' list")
    for i, table in enumerate(data["tables"]):
        where = f"{source}: ART.tables[{i}]"
        if not isinstance(table, dict) or "name" not in table or "area" not in table:
            raise TableError(f"{where}: expected a mapping with 'name' and 'area'")
        comp = component_key(table["name"])
        tables.area_um2[comp] = parse_number(table["area"], f"{where}.area")
        tables.source[(comp, "area")] = source
    return tables


def write_ert(tables: ReferenceTables, prefix: str = "system",
              instances: Mapping[str, int] | None = None) -> dict:
    """Accelergy-format ``{ERT: ..., ART: ...}`` of ``tables``.

    With ``instances`` names carry Accelergy's range (``system.mac[1..168]``); ``read_ert``
    strips it again.
    """
    def name(comp: str) -> str:
        n = (instances or {}).get(comp)
        return f"{prefix}.{comp}" + (f"[1..{int(n)}]" if n else "")

    return {
        "ERT": {"version": "0.4", "tables": [
            {"name": name(comp), "actions": [
                {"name": a, "arguments": {}, "energy": e} for a, e in actions.items()]}
            for comp, actions in tables.energy_pJ.items()]},
        "ART": {"version": "0.4", "tables": [
            {"name": name(comp), "area": a} for comp, a in tables.area_um2.items()]},
    }
