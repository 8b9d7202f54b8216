"""The estimator plug-in protocol (Accelergy's idea: say what you support and how well).

An estimator is any object with a ``name`` and two methods::

    supports(component_class, action, attributes) -> accuracy (0-100) or None
    estimate(component_class, action, attributes) -> float or Estimate

``component_class`` is the canonical class name (``"smartbuffer_SRAM"``, ``"intmac"``, or a
class a table declares); ``action`` is ``"read"``, ``"write"``, ``"update"``, ``"compute"``,
``"leak"``, ... or ``None`` to ask for the area (um^2) of one instance; ``attributes`` are the
normalised attributes of :func:`energy.components.normalize` (``technology`` in nm, ``width`` in
bits per access, ``capacity_bytes``, ...). Energies are pJ per action. An estimator may also
offer ``why_not(component_class, action, attributes) -> str`` for error messages.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Protocol, runtime_checkable


@dataclass(frozen=True)
class Estimate:
    """One number and where it came from."""

    value: float
    accuracy: float | None = None
    source: str = ""
    citation: str = ""
    note: str = ""
    extrapolated: bool = False
    via_base: bool = False


@runtime_checkable
class Estimator(Protocol):
    name: str

    def supports(self, component_class: str, action: str | None,
                 attributes: Mapping[str, Any]) -> float | None: ...

    def estimate(self, component_class: str, action: str | None,
                 attributes: Mapping[str, Any]) -> "float | Estimate": ...
