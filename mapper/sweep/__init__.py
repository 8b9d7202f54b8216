"""Design-space sweeps: architectures x energy tables x networks x batch sizes, each a
whole-network run of the one search pipeline, resumable from an SQLite result store, with the
full metric set and the Pareto front (:mod:`.spec`, :mod:`.tasks`, :mod:`.store`,
:mod:`.tables`, :mod:`.driver`)."""
from .driver import SweepProgress, SweepResult, run
from .spec import SweepSpec, load_sweep

__all__ = ["SweepProgress", "SweepResult", "SweepSpec", "load_sweep", "run"]
