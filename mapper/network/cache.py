"""The on-disk cache of per-layer search results, so a re-run or a sweep that meets the same
layer again does not search it again.

An entry is keyed by a hash of everything that decides the search's answer: the architecture
as evaluated (after template overrides), its energy tables, the layer's workload (not its
name: the same conv in two networks is one entry), the constraints, the objective, the
algorithm and its settings, and the code version (``mapper.__version__`` plus a hash of the
source of the model, the mapspace and the search). An entry stores the best *mapping* (as
Timeloop's mapping YAML) and the search statistics, never the numbers: the caller re-evaluates
the mapping on load (one mapping: cheap), so the cache cannot return stale figures.

Entries are written atomically (temporary file, then rename), so concurrent runs sharing a
cache directory see either a whole entry or none. A damaged entry is a miss, never silently:
its path and what is wrong are noted in :attr:`LayerCache.damaged` for the caller to report,
and the search's new answer replaces it.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from ..version import __version__

#: packages whose source decides what a search returns (the model's numbers, which mappings
#: exist, how they are searched); the prune package only explains infeasibility
_CODE_PACKAGES = ("model", "mapspace", "search")


def default_cache_dir() -> Path:
    """``$MAPPER_CACHE_DIR``, else ``$XDG_CACHE_HOME/dnn-mapper``, else ``~/.cache/dnn-mapper``:
    one cache per user, so runs in different output directories share it."""
    if os.environ.get("MAPPER_CACHE_DIR"):
        return Path(os.environ["MAPPER_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "dnn-mapper"


def writable_cache_dir(fallback: Path | None) -> Path | None:
    """The per-user cache (:func:`default_cache_dir`) if it can be created and written, else
    ``fallback`` (e.g. OUTDIR/.cache): a read-only home must not stop a run."""
    path = default_cache_dir()
    try:
        path.mkdir(parents=True, exist_ok=True)
        if os.access(path, os.W_OK):
            return path
    except OSError:
        pass
    return fallback


@lru_cache(maxsize=1)
def code_version() -> str:
    """``mapper.__version__`` + a short hash of the model, mapspace and search source files
    (an edit there may change the answer, so it must not hit old entries)."""
    root = Path(__file__).resolve().parents[1]           # mapper/
    h = hashlib.sha256()
    for package in _CODE_PACKAGES:
        for path in sorted((root / package).glob("*.py")):
            h.update(f"{package}/{path.name}\0".encode())
            h.update(path.read_bytes())
    return f"{__version__}+{h.hexdigest()[:12]}"


def layer_key(arch, tables, workload, constraints, objective, settings: dict[str, Any]) -> str:
    """The hex key of one layer's search. ``settings``: algorithm, search size, seed, ..."""
    from .library import workload_key
    tables_text = json.dumps({"energy_pJ": getattr(tables, "energy_pJ", None),
                              "area_um2": getattr(tables, "area_um2", None)},
                             sort_keys=True, default=repr)
    parts = [
        code_version(),
        repr(arch.name), repr(arch.storage), repr(arch.compute),
        repr(sorted(arch.attributes.items(), key=lambda kv: kv[0])),
        tables_text,
        repr(workload_key(workload)), repr(sorted(workload.coefficients.items())),
        repr(constraints),
        repr(objective),
        json.dumps(settings, sort_keys=True, default=repr),
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


class LayerCache:
    """A directory of entries ``<dir>/<key[:2]>/<key>.yaml``; ``None`` dir: a cache that
    never hits and stores nothing (``--no-cache``)."""

    def __init__(self, directory: str | Path | None):
        self.dir = Path(directory).expanduser() if directory is not None else None
        self.hits = 0
        self.misses = 0
        #: entries that could not be used, each as "path: what is wrong" (searched again)
        self.damaged: list[str] = []

    def path(self, key: str) -> Path | None:
        return None if self.dir is None else self.dir / key[:2] / f"{key}.yaml"

    def get(self, key: str) -> dict | None:
        """The stored entry (``mapping``, ``search``, ...) or None: absent, or damaged (then
        noted in :attr:`damaged`)."""
        path = self.path(key)
        if path is None or not path.is_file():
            return None
        try:
            entry = yaml.safe_load(path.read_text())
        except (OSError, yaml.YAMLError, UnicodeDecodeError) as e:
            why = str(e).splitlines()[0] if str(e) else type(e).__name__
            self.damaged.append(f"{path}: cannot be read ({why})")
            return None
        if not isinstance(entry, dict) or "mapping" not in entry:
            self.damaged.append(f"{path}: not a cache entry (no mapping)")
            return None
        if entry.get("key") != key:
            self.damaged.append(f"{path}: holds the entry of another key")
            return None
        return entry

    def put(self, key: str, entry: dict) -> None:
        """Store an entry atomically; a cache that cannot be written is skipped, not fatal."""
        path = self.path(key)
        if path is None:
            return
        text = yaml.safe_dump({"key": key, **entry}, sort_keys=False)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".entry.", dir=path.parent)
            with os.fdopen(fd, "w") as f:
                f.write(text)
            os.replace(tmp, path)
        except OSError:
            pass
