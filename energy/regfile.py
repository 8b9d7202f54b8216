"""A register file as flip-flops and their select network, and a FIFO as a register file with
its full/empty comparator: energy, leakage and area from width, depth and technology.

A register file of ``depth`` entries of ``width`` bits is ``width x depth`` flip-flops; each of
its ``width`` output bits is chosen among ``depth`` by a ``depth:1`` multiplexer tree, that is
``depth - 1`` two-way selects per bit (none for a single register). Per access (read, write or
update) the ``width`` flip-flops of the entry switch, and so do the select legs of every stored
bit, because a random address toggles the select lines that fan out over the whole array
(``width x (depth - 1)`` legs): energy grows in proportion to the capacity once the select
network dominates, which it does from a few entries on. Static power and area are those of all
the flip-flops and select legs.

A FIFO of ``depth`` entries is such a register file addressed by its head and tail pointers,
plus the comparator of the two pointers (``ceil(log2(depth))`` bits, at least 1) that says
full or empty on every push and pop; the pointers' increments are not counted (as in
Accelergy's Aladdin FIFO, which also charges an entry's flip-flops and that comparator, but
no select network). A push is a write, a pop a read.

The parts come from the table rows of classes ``flipflop`` and ``comparator``
(``energy/tables/aladdin_40nm.yaml``: Aladdin's 40 nm register bit and Accelergy's Aladdin
comparator, one bit of it per select leg), asked through the registry like any estimate, so
that their node scaling, their sources and any user table that prices them better apply here
too. It answers ``regfile``, ``register`` (``aladdin_register``: one entry, no select legs),
``FIFO`` and ``smartbuffer_RF`` (whose address generators it does not model, as said in each
record).
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from .errors import EstimationError
from .parts import PartsEstimator

ACTIONS = ("read", "write", "update", "leak", None)


class RegisterFileModel(PartsEstimator):
    """``width x energy(flip-flop) + width x (depth - 1) x energy(1-bit comparator)`` per
    access, and for a FIFO one ``ceil(log2(depth))``-bit comparator more."""

    name = "register file = flip-flops + select network"
    CLASSES = ("regfile", "register", "FIFO", "smartbuffer_RF")

    def _counts(self, component_class: str, action: str | None,
                attrs: Mapping[str, Any]) -> list[tuple[str, str, float, float]]:
        """``[(part, its class, count, its width)]``: flip-flops, select legs (1-bit
        comparators) and a FIFO's pointer comparator."""
        if component_class not in self.CLASSES or action not in ACTIONS:
            raise EstimationError("only answers read, write, update, leak and area of regfile, "
                                  "register, FIFO and smartbuffer_RF")
        width, depth = attrs.get("width"), attrs.get("depth")
        if width is None or depth is None:
            raise EstimationError("component gives no width and depth")
        n_ff = width * depth if action in (None, "leak") else width   # all bits / the entry's
        counts = [("flip-flop", "flipflop", n_ff, 1.0),
                  ("select leg", "comparator", width * (depth - 1), 1.0)]
        if component_class == "FIFO":
            counts.append(("pointer comparator", "comparator", 1.0,
                           float(max(1, math.ceil(math.log2(depth))))))
        return [(name, cls, n, w) for name, cls, n, w in counts if n > 0]

    def _parts(self, component_class, action, attrs):
        index = self.registry.index()
        base = {k: attrs[k] for k in ("technology", "voltage", "global_cycle_seconds",
                                       "cycle_seconds") if attrs.get(k) is not None}
        query = "compute" if action in ("read", "write", "update") else action
        parts = []
        for name, cls_name, count, width in self._counts(component_class, action, attrs):
            if cls_name not in index:
                raise EstimationError(f"no class {cls_name} is declared (energy/tables/"
                                      f"aladdin_40nm.yaml declares it)")
            cls = index[cls_name]
            sub = {**base, "width": width, "datawidth": width, "depth": 1}
            choice = self.registry.choose(f"{component_class}.{cls_name}", cls,
                                          query if cls.kind == "compute" else action, sub)
            parts.append((name, count, choice))
        return parts

    def _note(self, parts, component_class, attributes) -> str:
        detail = " + ".join(f"{count:g} x {p.value:.4g} ({name}"
                            + (f": {p.estimate.note}" if p.estimate.note else "") + ")"
                            for name, count, p in parts)
        return (f"{attributes['depth']:g} x {attributes['width']:g} bits: {detail}"
                + ("; address generators are not modelled"
                   if component_class == "smartbuffer_RF" else ""))
