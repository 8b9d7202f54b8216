"""The package's version, in a module of its own so that any layer may read it without
importing the ``mapper`` package's facade (:mod:`mapper.api`)."""
__version__ = "0.1.0"
