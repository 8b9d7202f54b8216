"""Accelergy-style energy and area estimation: component actions -> pJ, components -> um^2.

Independent of :mod:`mapper`: it never imports it. The model consumes only
:class:`ReferenceTables`; :func:`estimate_tables` builds one from a list of
:class:`Component` records with the estimators of :class:`Registry` (built-in tables, entry
points of group ``energy.estimators``, run-time plug-ins, table files on a search path).
"""
from .components import Component, ComponentClass
from .ert import ReferenceTables, read_art, read_ert, write_ert
from .errors import EstimationError, EstimationWarning, ExtrapolationWarning, TableError
from .estimate import EstimationReport, Record, estimate_tables
from .estimator import ENTRY_POINT_GROUP, ENV_VAR, Registry, search_path
from .protocol import Estimate, Estimator

__all__ = ["Component", "ComponentClass", "ENTRY_POINT_GROUP", "ENV_VAR", "Estimate",
           "EstimationError", "EstimationReport", "EstimationWarning", "Estimator",
           "ExtrapolationWarning", "Record", "ReferenceTables", "Registry", "TableError",
           "estimate_tables", "read_art", "read_ert", "search_path", "write_ert"]
