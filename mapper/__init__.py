"""mapper: a mapping-space search engine for DNN accelerators.

The analytical core agrees with Timeloop v3.0.3 on action counts, cycles and energy. The
Python API mirrors the ``mapper`` command: :func:`mapper.api.load` reads inputs and
:func:`mapper.api.evaluate` runs the model on a mapping.
"""
__version__ = "0.1.0"
