"""Validated inputs: workload, architecture and mapping, read from our YAML or Timeloop's.

Every reader takes the YAML value and a :class:`Where` (file + YAML path) and returns a
typed object or raises one :class:`SpecError` naming the file, the path and what was expected.
"""
from .arch import Arch, ComputeLevel, StorageLevel
from .errors import Notes, SpecError, Where
from .loader import Inputs, load_yaml
from .mapping import LevelMapping, Mapping
from .readers import read_arch, read_workload
from .timeloop_mapping import read_mapping
from .workload import DataSpace, Workload

__all__ = ["Arch", "ComputeLevel", "DataSpace", "Inputs", "LevelMapping", "Mapping", "Notes",
           "SpecError", "StorageLevel", "Where", "Workload", "load_yaml", "read_arch",
           "read_mapping", "read_workload"]
