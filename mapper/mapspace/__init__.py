"""The mapspace: tilings, loop orders and keep/bypass choices, with their exact sizes."""
from .space import MapSpace, Tilings

__all__ = ["MapSpace", "Tilings"]
