"""The estimator registry: collect plug-ins, ask each, keep the most accurate answer.

Estimators come from (a) the built-ins (the tables in ``energy/tables/``, dummy storage, a
MAC composed of a multiplier and an adder, and a register file of flip-flops and their select
network, :mod:`energy.regfile`), (b) the ``energy.estimators`` entry points of
installed packages, (c) objects registered at run time, and (d) table files on a search path
(``--energy-tables``-style directories, a directory named in the arch file, and the
``ENERGY_TABLES_PATH`` environment variable). For each (component, action) every estimator is
asked; the most accurate answer wins. Ties go, in order, to the estimator that answers for the
component's own class rather than its base class, to runtime > table > entry point > built-in,
then to registration order (search path order), so the result never depends on dict or file
system order. The choice and the runners-up are returned for the report.
"""
from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from .components import DERIVED_ACTIONS, ComponentClass, DerivedAction, class_index
from .errors import EstimationError, EstimationWarning
from .parts import PartsEstimator
from .protocol import Estimate, Estimator
from .table_estimator import TableEstimator
from .table_io import load_path

ENTRY_POINT_GROUP = "energy.estimators"
ENV_VAR = "ENERGY_TABLES_PATH"
BUILTIN_TABLES = Path(__file__).parent / "tables"
ORIGINS = ("runtime", "table", "entry point", "built-in")  # tie-break precedence


def search_path(cli_dirs: Iterable[str | os.PathLike] = (),
                arch_dirs: Iterable[str | os.PathLike] = (),
                environ: Mapping[str, str] | None = None) -> list[Path]:
    """Table locations in precedence order: ``--energy-tables``, the arch's,
    ``$ENERGY_TABLES_PATH``."""
    env = os.environ if environ is None else environ
    extra = [p for p in env.get(ENV_VAR, "").split(os.pathsep) if p.strip()]
    out: list[Path] = []
    for p in (*cli_dirs, *arch_dirs, *extra):
        q = Path(p).expanduser()
        if q not in out:
            out.append(q)
    return out


ARCH_KEY = "energy_tables"


def arch_table_dirs(attributes: Mapping[str, Any], arch_dir: str | os.PathLike = ".") -> list[Path]:
    """Table directories an arch file names: ``energy_tables: DIR`` or a list, relative to it."""
    value = attributes.get(ARCH_KEY)
    if value is None:
        return []
    items = [value] if isinstance(value, (str, os.PathLike)) else value
    if not isinstance(items, (list, tuple)) or not all(isinstance(i, (str, os.PathLike))
                                                       for i in items):
        raise EstimationError(f"arch attribute {ARCH_KEY}: expected a directory or a list of "
                              f"them, got {value!r}")
    return [Path(arch_dir) / Path(i).expanduser() for i in items]


@dataclass(frozen=True)
class Candidate:
    """One estimator's answer (or refusal) for one (component, action)."""

    estimator: str
    origin: str
    accuracy: float | None
    value: float | None
    reason: str = ""


@dataclass(frozen=True)
class Choice:
    """The winning estimate with the runners-up (best first) and every estimator asked."""

    estimate: Estimate
    estimator: str
    origin: str
    runners_up: tuple[Candidate, ...]
    consulted: tuple[Candidate, ...]

    @property
    def value(self) -> float:
        return self.estimate.value


@dataclass
class _Entry:
    estimator: Any
    origin: str
    order: int


class Registry:
    """Estimators in registration order; :meth:`choose` asks them all."""

    def __init__(self) -> None:
        self._entries: list[_Entry] = []
        self._index: dict[str, ComponentClass] | None = None
        self.skipped: list[str] = []  # files on the search path that are not tables

    @classmethod
    def default(cls, search_path: Sequence[str | os.PathLike] = (),
                plugins: Sequence[Any] = (), entry_points: bool = True) -> "Registry":
        """Built-ins, then entry points, the search path's tables and ``plugins``."""
        reg = cls()
        reg.add_builtins()
        if entry_points:
            reg.load_entry_points()
        for p in search_path:
            reg.add_tables(p)
        for p in plugins:
            reg.register(p)
        return reg

    # --- collecting -------------------------------------------------------------------------
    def register(self, estimator: Any, origin: str = "runtime") -> Any:
        if origin not in ORIGINS:
            raise ValueError(f"origin {origin!r} is not one of {ORIGINS}")
        for attr in ("name", "supports", "estimate"):
            if not hasattr(estimator, attr):
                raise TypeError(f"{estimator!r} is not an estimator: it has no {attr!r} "
                                f"(see energy.protocol)")
        self._entries.append(_Entry(estimator, origin, len(self._entries)))
        self._index = None
        return estimator

    def add_tables(self, path: str | os.PathLike, origin: str = "table") -> list[TableEstimator]:
        tables, skipped = load_path(path)
        self.skipped += skipped
        for t in tables:
            self.register(t, origin)
        return tables

    def add_builtins(self) -> None:
        from .regfile import RegisterFileModel
        self.add_tables(BUILTIN_TABLES, "built-in")
        self.register(DummyStorage(), "built-in")
        self.register(ComposedMAC(self), "built-in")
        self.register(RegisterFileModel(self), "built-in")

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> list[Any]:
        """Estimators advertised by installed packages; a broken one is skipped with a warning."""
        found = []
        for ep in sorted(metadata.entry_points(group=group), key=lambda e: (e.name, e.value)):
            try:
                obj = ep.load()
                if isinstance(obj, type) or (callable(obj) and not hasattr(obj, "supports")):
                    obj = obj()
                for est in obj if isinstance(obj, (list, tuple)) else [obj]:
                    found.append(self.register(est, "entry point"))
            except Exception as e:  # a third-party plug-in must not break the others
                warnings.warn(EstimationWarning(
                    f"entry point {ep.name} = {ep.value} (group {group}) failed to load and is "
                    f"not used: {type(e).__name__}: {e}"), stacklevel=2)
        return found

    @property
    def estimators(self) -> list[Any]:
        return [e.estimator for e in self._entries]

    def index(self) -> dict[str, ComponentClass]:
        """Class names and aliases: built-ins plus classes declared by tables and plug-ins."""
        if self._index is None:
            declared = tuple(c for e in self._entries for c in getattr(e.estimator, "classes", ()))
            self._index = class_index(declared)
            for e in self._entries:
                if isinstance(e.estimator, TableEstimator):
                    e.estimator.set_index(self._index)
        return self._index

    # --- choosing ---------------------------------------------------------------------------
    def choose(self, component: str, cls: ComponentClass, action: str | None,
               attributes: Mapping[str, Any]) -> Choice:
        """The best estimate of ``action`` (``None``: area) or :class:`EstimationError`."""
        self.index()
        what = "area" if action is None else f"action {action!r}"
        answers: list[tuple[tuple, Estimate, _Entry]] = []
        consulted: list[Candidate] = []
        for entry in self._entries:
            est, name = entry.estimator, _name(entry.estimator)
            label = name + (f" ({est.path})" if getattr(est, "path", None) else "")
            try:
                acc = est.supports(cls.name, action, attributes)
                if acc is None:
                    why = (est.why_not(cls.name, action, attributes)
                           if hasattr(est, "why_not") else "")
                    consulted.append(Candidate(label, entry.origin, None, None, why or "declined"))
                    continue
                acc = _accuracy(acc, name)
                result = _as_estimate(est.estimate(cls.name, action, attributes), acc, name)
            except EstimationError:
                raise
            except Exception as e:
                raise EstimationError(f"{component}: estimator {name} failed on {what} of class "
                                      f"{cls.name}: {type(e).__name__}: {e}") from e
            if not (math.isfinite(result.value) and result.value >= 0):
                raise EstimationError(f"{component}: estimator {name} returned {result.value!r} "
                                      f"for {what}: not a valid energy or area")
            # a user's definition of the class itself (compound components) comes first
            key = (not getattr(est, "definitive", False), -acc, result.via_base,
                   ORIGINS.index(entry.origin), entry.order)
            answers.append((key, result, entry))
            consulted.append(Candidate(label, entry.origin, acc, result.value))
        if not answers:
            lines = "\n".join(f"  - {c.estimator} [{c.origin}]: {c.reason}" for c in consulted)
            raise EstimationError(
                f"no estimator supplies the {what} of component {component!r} (class "
                f"{cls.name}); consulted:\n{lines}\nadd a row to a table on the search path "
                f"(see energy/tables/README.md), register an estimator, or give the value "
                f"explicitly in the arch attributes")
        answers.sort(key=lambda a: a[0])
        _, best, entry = answers[0]
        runners = tuple(Candidate(_name(e.estimator), e.origin, -k[1], r.value)
                        for k, r, e in answers[1:])
        return Choice(best, _name(entry.estimator), entry.origin, runners, tuple(consulted))

    def choose_or_derive(self, component: str, cls: ComponentClass, action: str | None,
                         attributes: Mapping[str, Any]
                         ) -> tuple[Choice, DerivedAction | None]:
        """:meth:`choose`, or where nobody answers an action of ``DERIVED_ACTIONS`` (``update``
        of a storage, ``idle``), its base action's estimate and the derivation (for the
        record); the error is the one about ``action`` itself when neither is answered."""
        try:
            return self.choose(component, cls, action, attributes), None
        except EstimationError as first:
            derived = DERIVED_ACTIONS.get(action or "")
            if derived is None or cls.kind not in derived.kinds:
                raise
            try:
                choice = self.choose(component, cls, derived.base, attributes)
            except EstimationError:
                raise first from None
            return choice, derived


def _name(est: Any) -> str:
    return str(getattr(est, "name", type(est).__name__))


def _accuracy(acc: Any, name: str) -> float:
    if isinstance(acc, bool) or not isinstance(acc, (int, float)) or not 0 <= acc <= 100:
        raise EstimationError(f"estimator {name}: accuracy {acc!r} is not a number in 0-100")
    return float(acc)


def _as_estimate(result: Any, accuracy: float, name: str) -> Estimate:
    if isinstance(result, Estimate):
        if result.accuracy is None or result.accuracy != accuracy:
            from dataclasses import replace
            return replace(result, accuracy=accuracy, source=result.source or name)
        return result
    if isinstance(result, bool) or not isinstance(result, (int, float)):
        raise EstimationError(f"estimator {name}: estimate returned {result!r}, not a number")
    return Estimate(float(result), accuracy, source=name)


class DummyStorage:
    """``dummy_storage`` keeps nothing and costs nothing: zero by definition, not by default."""

    name = "dummy_storage"

    def supports(self, component_class: str, action: str | None, attributes) -> float | None:
        return 100.0 if component_class == "dummy_storage" else None

    def estimate(self, component_class: str, action: str | None, attributes) -> Estimate:
        return Estimate(0.0, 100.0, "energy.estimator.DummyStorage",
                        note="dummy_storage: zero by definition (Timeloop/Accelergy dummy level "
                             "that only carries a spatial fan-out)")

    def why_not(self, component_class, action, attributes) -> str:
        return "only answers dummy_storage"


class ComposedMAC(PartsEstimator):
    """A MAC as its multiplier plus its adder (Accelergy's compound-component idea).

    ``intmac``: ``multiplier(multiplier_width) + adder(adder_width)``; ``fpmac``:
    ``fpmultiplier(datawidth) + fpadder(datawidth)``. Pipeline registers and wiring are not
    counted, hence 5 accuracy points below the less accurate part.
    """

    name = "mac = multiplier + adder"
    PENALTY = 5

    def _parts(self, component_class: str, action: str | None, attrs: Mapping[str, Any]):
        if component_class not in ("intmac", "fpmac") or action not in ("compute", "leak", None):
            raise EstimationError("only answers the compute and leak energy and the area of "
                                  "intmac and fpmac")
        index = self.registry.index()
        fp = component_class == "fpmac"
        parts = []
        for cls_name, width_key in ((("fpmultiplier" if fp else "multiplier"),
                                     "datawidth" if fp else "multiplier_width"),
                                    (("fpadder" if fp else "adder"),
                                     "datawidth" if fp else "adder_width")):
            width = attrs.get(width_key)
            if width is None:
                raise EstimationError(f"component gives no {width_key}")
            sub = {"technology": attrs.get("technology"), "width": width,
                   "datawidth": width, "voltage": attrs.get("voltage"),
                   "global_cycle_seconds": attrs.get("global_cycle_seconds"),
                   "cycle_seconds": attrs.get("cycle_seconds")}
            sub = {k: v for k, v in sub.items() if v is not None}
            parts.append((cls_name, 1, self.registry.choose(f"{component_class}.{cls_name}",
                                                            index[cls_name.lower()], action,
                                                            sub)))
        return parts

    def _note(self, parts, component_class, attrs) -> str:
        return "multiplier + adder = " + " + ".join(
            f"{p.estimate.value:.4g} ({p.estimator}"
            f"{': ' + p.estimate.note if p.estimate.note else ''})" for _, _, p in parts)

__all__ = ["ARCH_KEY", "Candidate", "arch_table_dirs", "Choice", "ComposedMAC", "DummyStorage",
           "ENTRY_POINT_GROUP", "ENV_VAR", "Estimate", "Estimator", "Registry", "search_path"]
