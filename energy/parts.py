"""Estimates made of counted parts, each part priced through the registry like any component.

A MAC as its multiplier plus its adder (``estimator.ComposedMAC``) and a register file as its
flip-flops plus their select network (``regfile.RegisterFileModel``) share this: the parts get
the registry's most accurate estimate (so node scaling, sources and a user table that prices a
part better apply), the whole is the counted sum, its accuracy that of the least accurate part
less a penalty for what the parts leave out, and its record names every part.
"""
from __future__ import annotations

from typing import Any, Mapping

from .errors import EstimationError
from .protocol import Estimate


class PartsEstimator:
    """Subclasses give ``_parts`` (``[(part name, count, registry Choice)]``, or an
    ``EstimationError`` saying why they decline) and ``_note`` (the record's text)."""

    #: accuracy points below the least accurate part (what the parts leave out)
    PENALTY = 0.0

    def __init__(self, registry) -> None:
        self.registry = registry
        self._why: dict = {}

    def _parts(self, component_class: str, action: str | None,
               attrs: Mapping[str, Any]) -> list[tuple[str, float, Any]]:
        raise NotImplementedError

    def _note(self, parts: list, component_class: str, attrs: Mapping[str, Any]) -> str:
        raise NotImplementedError

    def supports(self, component_class, action, attributes) -> float | None:
        try:
            parts = self._parts(component_class, action, attributes)
        except EstimationError as e:
            self._why[(component_class, action)] = str(e).split("\n")[0]
            return None
        return max(0.0, min(p.estimate.accuracy for _, _, p in parts) - self.PENALTY)

    def estimate(self, component_class, action, attributes) -> Estimate:
        parts = self._parts(component_class, action, attributes)
        return Estimate(sum(count * p.value for _, count, p in parts), None,
                        " + ".join(dict.fromkeys(p.estimate.source for _, _, p in parts)),
                        "; ".join(sorted({p.estimate.citation for _, _, p in parts
                                          if p.estimate.citation})),
                        self._note(parts, component_class, attributes),
                        any(p.estimate.extrapolated for _, _, p in parts))

    def why_not(self, component_class, action, attributes) -> str:
        return self._why.get((component_class, action), "declined")
