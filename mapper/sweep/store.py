"""The sweep's result store: an SQLite database (``OUTDIR/sweep.db``) with one row per searched
layer of a design (``layer_results``: the search's entry, keyed by the layer key of
:func:`mapper.network.cache.layer_key`), committed the moment the search returns, and one row
per (design, network, batch) total with its per-layer records (``runs``, ``layers``),
committed the moment its last layer is known. A killed sweep loses only the searches in flight.

A row is keyed by a hash of everything that decides it (:func:`task_key`): the design as
given (template file contents and parameter values, or the arch files' contents), the energy
tables' files, the network's layers as loaded (bounds and projections, repeat counts) with its
batch, the objective, the search settings and the code version. A changed spec therefore
reuses every row whose key is unchanged; rows no spec asks for stay in the database unused.
A row that cannot be used (damaged JSON, a mapping that does not read back) is reported by
its key (:class:`Damaged`) and recomputed.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    key TEXT PRIMARY KEY,       -- task_key(): what decides the result
    design TEXT NOT NULL,
    network TEXT NOT NULL,
    batch INTEGER,
    energy_tables TEXT,
    status TEXT NOT NULL,       -- ok | failed
    reason TEXT NOT NULL,
    total TEXT NOT NULL,        -- JSON: the network summary without its layers (key order
                                --   kept: energy_by_level runs from the compute level out)
    finished REAL NOT NULL      -- time.time() when stored
);
CREATE TABLE IF NOT EXISTS layers (
    key TEXT NOT NULL REFERENCES runs(key),
    position INTEGER NOT NULL,  -- the layer's place in the network
    layer TEXT NOT NULL,
    record TEXT NOT NULL,       -- JSON: the layer's record of network.json
    PRIMARY KEY (key, position)
);
CREATE TABLE IF NOT EXISTS layer_results (
    key TEXT PRIMARY KEY,       -- the layer key: arch as evaluated, tables, workload, search
    design TEXT NOT NULL,
    layer TEXT NOT NULL,        -- the name of the layer first searched under this key
    entry TEXT NOT NULL,        -- JSON: status, search record, mapping (Timeloop's YAML)
    finished REAL NOT NULL
);
"""

DB_NAME = "sweep.db"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_digest(path: str | Path) -> str:
    return _sha(Path(path).read_bytes())


def dir_digest(directory: str | Path) -> str:
    """The contents of every file under a directory (names and bytes)."""
    h = hashlib.sha256()
    for p in sorted(Path(directory).rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(directory)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def task_key(parts: dict[str, Any]) -> str:
    return _sha(json.dumps(parts, sort_keys=True, default=repr).encode())


@dataclass(frozen=True)
class Damaged:
    """A stored row (or layer cache entry) that could not be used: recomputed, and reported."""

    where: str                  # the database and the row, or the cache entry's path
    why: str

    def __str__(self) -> str:
        return f"{self.where}: {self.why}"


@dataclass
class StoredRun:
    key: str
    status: str
    reason: str
    total: dict
    layers: list[dict]


class Store:
    """One connection, used by the process that runs the sweep (workers return their results
    to it; they never write)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.db = sqlite3.connect(self.path, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self.db.commit()
        #: keys whose rows could not be read back (recomputed), with why
        self.damaged: list[Damaged] = []

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def get(self, key: str) -> StoredRun | None:
        """The stored run of ``key``, or None (absent or damaged: then noted in
        :attr:`damaged` and deleted, so that it is recomputed)."""
        row = self.db.execute("SELECT status, reason, total FROM runs WHERE key = ?",
                              (key,)).fetchone()
        if row is None:
            return None
        try:
            total = json.loads(row[2])
            layers = [json.loads(r[0]) for r in self.db.execute(
                "SELECT record FROM layers WHERE key = ? ORDER BY position", (key,))]
            if not isinstance(total, dict) or not all(isinstance(x, dict) for x in layers):
                raise ValueError("not a JSON object")
        except (ValueError, TypeError) as e:
            self.damaged.append(Damaged(f"{self.path}: the stored run {key[:12]}",
                                        f"cannot be read ({e}); recomputed"))
            with self.db:
                self.db.execute("DELETE FROM layers WHERE key = ?", (key,))
                self.db.execute("DELETE FROM runs WHERE key = ?", (key,))
            return None
        return StoredRun(key, row[0], row[1], total, layers)

    def put(self, key: str, *, design: str, network: str, batch: int | None,
            energy_tables: str | None, status: str, reason: str, total: dict,
            layers: list[dict]) -> None:
        """Store one run and its layers in one transaction (committed on return)."""
        with self.db:
            self.db.execute("DELETE FROM layers WHERE key = ?", (key,))
            self.db.execute(
                "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (key, design, network, batch, energy_tables, status, reason,
                 json.dumps(total), time.time()))
            self.db.executemany(
                "INSERT INTO layers VALUES (?, ?, ?, ?)",
                [(key, i, rec.get("name", ""), json.dumps(rec))
                 for i, rec in enumerate(layers)])

    def get_layer(self, key: str) -> dict | None:
        """The stored entry of a layer key, or None (absent, or damaged: then noted in
        :attr:`damaged` and deleted)."""
        row = self.db.execute("SELECT entry FROM layer_results WHERE key = ?",
                              (key,)).fetchone()
        if row is None:
            return None
        try:
            entry = json.loads(row[0])
            if not isinstance(entry, dict) or "status" not in entry:
                raise ValueError("not a layer entry")
        except (ValueError, TypeError) as e:
            self.drop_layer(key, f"cannot be read ({e}); searched again")
            return None
        return entry

    def drop_layer(self, key: str, why: str) -> None:
        """Note a layer row as damaged (:attr:`damaged`) and delete it: it is searched again."""
        self.damaged.append(Damaged(f"{self.path}: the stored layer {key[:12]}", why))
        with self.db:
            self.db.execute("DELETE FROM layer_results WHERE key = ?", (key,))

    def put_layer(self, key: str, *, design: str, layer: str, entry: dict) -> None:
        """Store one layer's entry (committed on return)."""
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO layer_results VALUES (?, ?, ?, ?, ?)",
                            (key, design, layer, json.dumps(entry), time.time()))

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]

    def finished_times(self) -> dict[str, float]:
        return dict(self.db.execute("SELECT key, finished FROM runs"))

    def layer_times(self) -> dict[str, float]:
        return dict(self.db.execute("SELECT key, finished FROM layer_results"))
