"""mapper: a mapping-space search engine for DNN accelerators.

The analytical core agrees with Timeloop v3.0.3 on action counts, cycles and energy. The
Python API mirrors the ``mapper`` command::

    import mapper
    spec = mapper.load(["arch.yaml", "problem.yaml", "map.yaml"])
    ev = mapper.evaluate(spec)          # an Evaluation; mapper.check(spec): constraint violations
    outcome = mapper.search(["arch.yaml", "problem.yaml"], algorithm="optimal", jobs=2)
    network = mapper.run_network("eyeriss_like", "resnet18", jobs=2)
    result = mapper.sweep.run("examples/sweep/sweep.yaml", "out/sweep")   # = api.sweep

(:mod:`mapper.api`), with the search in :mod:`mapper.mapsearch`, whole networks in
:mod:`mapper.network.run` and templates in :mod:`mapper.inputs.templates`. The packages are
the layers of docs/ARCHITECTURE.md.
"""
from . import version

__version__ = version.__version__

_API = ("load", "evaluate", "check", "search", "run_network")


def __getattr__(name: str):
    """``mapper.load`` / ``evaluate`` / ``check`` / ``search`` / ``run_network``, and the
    ``mapper.sweep`` package, imported on first use (keeps ``import mapper`` light for the command line)."""
    if name == "sweep":                  # the package (its run is api.sweep)
        import importlib
        return importlib.import_module(f".{name}", __name__)
    if name in _API:
        from . import api
        return getattr(api, name)
    raise AttributeError(f"module 'mapper' has no attribute {name!r}")
