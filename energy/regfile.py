"""A register file as flip-flops and their select network: energy, leakage and area from
width, depth and technology.

A register file of ``depth`` entries of ``width`` bits is ``width x depth`` flip-flops; each of
its ``width`` output bits is chosen among ``depth`` by a ``depth:1`` multiplexer tree, that is
``depth - 1`` two-way selects per bit (none for a single register). Per access (read, write or
update) the ``width`` flip-flops of the entry switch, and so do the select legs of every stored
bit, because a random address toggles the select lines that fan out over the whole array
(``width x (depth - 1)`` legs): energy grows in proportion to the capacity once the select
network dominates, which it does from a few entries on. Static power and area are those of all
the flip-flops and select legs.

The parts come from the table rows of classes ``flipflop`` and ``regfile_select``
(``energy/tables/aladdin_40nm.yaml``: Aladdin's 40 nm register bit and a per-bit share of a
comparator), asked through the registry like any estimate, so that their node scaling, their
sources and any user table that prices them better apply here too. It answers ``regfile``
(``aladdin_register`` is a one-entry regfile) and ``smartbuffer_RF`` (whose address generators
it does not model, as said in each record).
"""
from __future__ import annotations

from typing import Any, Mapping

from .errors import EstimationError
from .parts import PartsEstimator

ACTIONS = ("read", "write", "update", "leak", None)


class RegisterFileModel(PartsEstimator):
    """``width x energy(flip-flop) + width x (depth - 1) x energy(select)`` per access."""

    name = "register file = flip-flops + select network"
    CLASSES = ("regfile", "smartbuffer_RF")

    def _counts(self, component_class: str, action: str | None,
                attrs: Mapping[str, Any]) -> tuple[float, float]:
        if component_class not in self.CLASSES or action not in ACTIONS:
            raise EstimationError("only answers read, write, update, leak and area of regfile "
                                  "and smartbuffer_RF")
        width, depth = attrs.get("width"), attrs.get("depth")
        if width is None or depth is None:
            raise EstimationError("component gives no width and depth")
        if action in (None, "leak"):
            return width * depth, width * (depth - 1)        # every stored bit
        return width, width * (depth - 1)                    # the entry's bits, every select

    def _parts(self, component_class, action, attrs):
        n_ff, n_sel = self._counts(component_class, action, attrs)
        index = self.registry.index()
        sub = {k: attrs[k] for k in ("technology", "voltage", "global_cycle_seconds",
                                      "cycle_seconds") if attrs.get(k) is not None}
        sub.update(width=1, datawidth=1, depth=1)
        parts = []
        for cls_name, count in (("flipflop", n_ff), ("regfile_select", n_sel)):
            if count == 0:
                continue
            if cls_name not in index:
                raise EstimationError(f"no class {cls_name} is declared (energy/tables/"
                                      f"aladdin_40nm.yaml declares it)")
            choice = self.registry.choose(f"{component_class}.{cls_name}", index[cls_name],
                                          action, sub)
            parts.append((cls_name, count, choice))
        return parts

    def _note(self, parts, component_class, attributes) -> str:
        detail = " + ".join(f"{count:g} x {p.value:.4g} ({name}"
                            + (f": {p.estimate.note}" if p.estimate.note else "") + ")"
                            for name, count, p in parts)
        return (f"{attributes['depth']:g} x {attributes['width']:g} bits: {detail}"
                + ("; address generators are not modelled"
                   if component_class == "smartbuffer_RF" else ""))
