"""Accelergy-style energy and area estimation: component actions -> pJ, components -> um^2.

Independent of :mod:`mapper`: it never imports it.
"""
from .ert import ReferenceTables, TableError, read_art, read_ert, write_ert

__all__ = ["ReferenceTables", "TableError", "read_art", "read_ert", "write_ert"]
