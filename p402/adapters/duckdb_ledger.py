"""The local LedgerEngine: the Athena-dialect ledger SQL, translated by sqlglot, on DuckDB.

The landed table is every Parquet file of the local lake plus the rows still in the
write-ahead log, so an acknowledged event is queryable at once.

Settled days: the view derives everything within one dt partition, so a day's view rows
depend only on that day's files. `settle()` runs the same view SQL over each day whose files
have been quiet for a while and keeps the result as Parquet under
derived/ai_economic_events/dt=.../settled-<fingerprint>.parquet, where the fingerprint covers
the day's files (names, sizes, times) and the view's SQL text. A query then reads settled
days as they are and runs the view only over the other days and the write-ahead log. A day
whose files changed, or that has rows waiting in the WAL, is derived live again, so a
settled day never hides a late event.
"""

import hashlib
import os
import threading
import time
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb
import sqlglot

from p402.adapters.local_lake import TABLE
from p402.ledger import LANDED_TABLE, VIEW, bind, view_sql
from p402.schema import COLUMNS, PARTITION_COLUMN, duckdb_columns

RETRIES_WHEN_FILES_MOVE = 3
QUIET_SECONDS_BEFORE_SETTLING = 30.0
_UNSETTLED = "ai_economic_events_unsettled"
_LIVE = "ai_economic_events_live"


@lru_cache(maxsize=512)
def to_duckdb(sql: str) -> str:
    """One Athena statement in DuckDB's dialect."""
    statements = sqlglot.transpile(sql, read="athena", write="duckdb")
    if len(statements) != 1:
        raise ValueError(f"sql: got {len(statements)} statements, expected one")
    return statements[0]


@dataclass(frozen=True)
class _Day:
    dt: str
    files: tuple[Path, ...]
    fingerprint: str
    changed_at: float


class DuckLedger:
    """Answers SQL over one data dir. One connection, used by one thread at a time."""

    def __init__(self, data_dir: Path | str, memory_limit: str = "1GB", threads: int = 2):
        self.data_dir = Path(data_dir)
        self.table_root = self.data_dir / "lake" / TABLE
        self.settled_root = self.data_dir / "derived" / TABLE
        self.wal_dir = self.data_dir / "wal"
        # Timestamps are stored without a zone and are always UTC, so no time zone setting
        # (and no ICU extension, which DuckDB would have to download) is needed.
        self._connection = duckdb.connect(config={
            "memory_limit": memory_limit, "threads": threads})
        self._lock = threading.Lock()

    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        columns, rows = self.execute(sql, params)
        return [dict(zip(columns, row)) for row in rows]

    def execute(self, sql: str, params: dict[str, Any] | None = None
                ) -> tuple[list[str], list[tuple]]:
        """Runs Athena-dialect SQL with `:name` parameters; returns column names and rows."""
        text, values = bind(sql, params)
        translated = to_duckdb(text.strip().rstrip(";"))
        with self._lock:
            return self._retrying(lambda: self._run(translated, values))

    def settle(self, quiet_seconds: float = QUIET_SECONDS_BEFORE_SETTLING) -> int:
        """Keeps the derived view rows of every day quiet for `quiet_seconds`; returns how
        many days it derived anew (0 when all were current)."""
        with self._lock:
            return self._retrying(lambda: self._settle(quiet_seconds))

    def close(self) -> None:
        self._connection.close()

    def _retrying(self, action):
        for attempt in range(RETRIES_WHEN_FILES_MOVE):
            try:
                return action()
            except duckdb.IOException:
                # A flush or compaction moved a file between listing and reading it.
                if attempt == RETRIES_WHEN_FILES_MOVE - 1:
                    raise
        raise AssertionError("unreachable")

    def _run(self, translated: str, values: list[Any]) -> tuple[list[str], list[tuple]]:
        self._define_ledger()
        cursor = self._connection.execute(translated, values)
        return [d[0] for d in cursor.description or []], cursor.fetchall()

    def _define_ledger(self) -> None:
        days = self._days()
        wal = self._wal_files()
        waiting = self._wal_days(wal)
        settled = {d.dt: path for d in days
                   if d.dt not in waiting and (path := self._settled_path(d)).exists()}
        live_files = [f for d in days if d.dt not in settled for f in d.files]

        self._define(LANDED_TABLE, _landed_sql([f for d in days for f in d.files], wal))
        self._define(_UNSETTLED, _landed_sql(live_files, wal))
        self._connection.execute(_live_view())
        self._define(VIEW, _settled_sql(sorted(settled.values())))

    def _define(self, name: str, select: str) -> None:
        self._connection.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {select}")

    def _settle(self, quiet_seconds: float) -> int:
        wal_days = self._wal_days(self._wal_files())
        now = time.time()
        derived = 0
        for day in self._days():
            quiet = now - day.changed_at >= quiet_seconds
            if day.dt in wal_days or not quiet or self._settled_path(day).exists():
                continue
            self._derive(day)
            derived += 1
        return derived

    def _derive(self, day: _Day) -> None:
        """The view's rows of one day, by the view's own SQL, kept as Parquet."""
        target = self._settled_path(day)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{uuid.uuid4().hex}.tmp")

        self._define(_UNSETTLED, _landed_sql(list(day.files), []))
        self._connection.execute(_live_view())
        self._connection.execute(
            f"COPY (SELECT * FROM {_LIVE}) TO '{temporary}' (FORMAT parquet)")
        os.replace(temporary, target)

        for stale in target.parent.glob("settled-*.parquet"):
            if stale != target:
                stale.unlink(missing_ok=True)

    def _days(self) -> list[_Day]:
        days = []
        for folder in sorted(self.table_root.glob(f"{PARTITION_COLUMN}=*")):
            files = tuple(sorted(folder.glob("*.parquet")))
            if files:
                days.append(_day(folder.name.split("=", 1)[1], files))
        return days

    def _settled_path(self, day: _Day) -> Path:
        folder = self.settled_root / f"{PARTITION_COLUMN}={day.dt}"
        return folder / f"settled-{day.fingerprint}.parquet"

    def _wal_files(self) -> list[str]:
        return sorted(str(p) for p in self.wal_dir.glob("*.open")) + sorted(
            str(p) for p in self.wal_dir.glob("*.sealed"))

    def _wal_days(self, wal: list[str]) -> set[str]:
        if not wal:
            return set()
        rows = self._connection.execute(
            f"SELECT DISTINCT substr(occurred_at, 1, 10) FROM read_json({wal!r}, "
            "format = 'newline_delimited', columns = {'occurred_at': 'VARCHAR'}, "
            "ignore_errors = true) WHERE occurred_at IS NOT NULL").fetchall()
        return {row[0] for row in rows}


def _day(dt: str, files: tuple[Path, ...]) -> _Day:
    stats = [(f.name, f.stat()) for f in files]
    text = _view_in_duckdb() + "".join(f"{n}:{s.st_size}:{s.st_mtime_ns}" for n, s in stats)
    fingerprint = hashlib.sha256(text.encode()).hexdigest()[:20]
    return _Day(dt, files, fingerprint, max(s.st_mtime for _, s in stats))


def _landed_sql(files: list[Path], wal: list[str]) -> str:
    names = ", ".join(c.name for c in COLUMNS)
    parts = []
    if files:
        parts.append(
            f"SELECT {names}, {PARTITION_COLUMN} FROM read_parquet("
            f"{[str(f) for f in files]!r}, hive_partitioning = true,"
            f" hive_types = {{'{PARTITION_COLUMN}': VARCHAR}}, union_by_name = true)")
    if wal:
        parts.append(
            f"SELECT {names}, strftime(occurred_at, '%Y-%m-%d') AS {PARTITION_COLUMN} "
            f"FROM read_json({wal!r}, format = 'newline_delimited', "
            f"columns = {_json_columns()}, ignore_errors = true) "
            "WHERE event_id IS NOT NULL")
    if not parts:
        parts.append(_empty_table())
    return " UNION ALL BY NAME ".join(parts)


def _settled_sql(paths: list[Path]) -> str:
    if not paths:
        return f"SELECT * FROM {_LIVE}"
    return (f"SELECT * FROM read_parquet({[str(p) for p in paths]!r}, "
            f"hive_partitioning = false) UNION ALL BY NAME SELECT * FROM {_LIVE}")


@lru_cache(maxsize=1)
def _view_in_duckdb() -> str:
    return to_duckdb(view_sql())


@lru_cache(maxsize=1)
def _live_view() -> str:
    """The view's SQL over the days not settled, under its own name."""
    text = _view_in_duckdb().replace(
        f"CREATE OR REPLACE VIEW {VIEW}", f"CREATE OR REPLACE TEMP VIEW {_LIVE}", 1)
    return text.replace(f"FROM {LANDED_TABLE}", f"FROM {_UNSETTLED}")


@lru_cache(maxsize=1)
def _json_columns() -> str:
    pairs = ", ".join(f"'{name}': '{kind}'" for name, kind in duckdb_columns().items())
    return "{" + pairs + "}"


@lru_cache(maxsize=1)
def _empty_table() -> str:
    casts = ", ".join(f"CAST(NULL AS {kind}) AS {name}"
                      for name, kind in duckdb_columns().items())
    return f"SELECT {casts}, CAST(NULL AS VARCHAR) AS {PARTITION_COLUMN} WHERE false"
