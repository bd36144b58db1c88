"""The local LedgerEngine: the Athena-dialect ledger SQL, translated by sqlglot, on DuckDB.

The landed table is every Parquet file of the local lake plus the rows still in the
write-ahead log, so an acknowledged event is queryable at once.
"""

import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb
import sqlglot

from p402.adapters.local_lake import TABLE
from p402.ledger import LANDED_TABLE, bind, view_sql
from p402.schema import COLUMNS, PARTITION_COLUMN, duckdb_columns

RETRIES_WHEN_FILES_MOVE = 3


@lru_cache(maxsize=512)
def to_duckdb(sql: str) -> str:
    """One Athena statement in DuckDB's dialect."""
    statements = sqlglot.transpile(sql, read="athena", write="duckdb")
    if len(statements) != 1:
        raise ValueError(f"sql: got {len(statements)} statements, expected one")
    return statements[0]


class DuckLedger:
    """Answers SQL over one data dir. One connection, used by one thread at a time."""

    def __init__(self, data_dir: Path | str, memory_limit: str = "1GB", threads: int = 2):
        self.data_dir = Path(data_dir)
        self.table_root = self.data_dir / "lake" / TABLE
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
            for attempt in range(RETRIES_WHEN_FILES_MOVE):
                try:
                    self._define_ledger()
                    cursor = self._connection.execute(translated, values)
                    columns = [d[0] for d in cursor.description or []]
                    return columns, cursor.fetchall()
                except duckdb.IOException:
                    # A flush or compaction moved a file between listing and reading it.
                    if attempt == RETRIES_WHEN_FILES_MOVE - 1:
                        raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self._connection.close()

    def _define_ledger(self) -> None:
        self._connection.execute(f"CREATE OR REPLACE TEMP VIEW {LANDED_TABLE} AS "
                                 + self._landed_sql())
        self._connection.execute(_view_in_duckdb())

    def _landed_sql(self) -> str:
        names = ", ".join(c.name for c in COLUMNS)
        parts = []
        if any(self.table_root.glob(f"{PARTITION_COLUMN}=*/*.parquet")):
            parts.append(
                f"SELECT {names}, {PARTITION_COLUMN} FROM read_parquet("
                f"'{self.table_root}/{PARTITION_COLUMN}=*/*.parquet', hive_partitioning = true,"
                f" hive_types = {{'{PARTITION_COLUMN}': VARCHAR}}, union_by_name = true)")
        wal = sorted(str(p) for p in self.wal_dir.glob("*.open")) + sorted(
            str(p) for p in self.wal_dir.glob("*.sealed"))
        if wal:
            parts.append(
                f"SELECT {names}, strftime(occurred_at, '%Y-%m-%d') AS {PARTITION_COLUMN} "
                f"FROM read_json({wal!r}, format = 'newline_delimited', "
                f"columns = {_json_columns()}, ignore_errors = true) "
                "WHERE event_id IS NOT NULL")
        if not parts:
            parts.append(_empty_table())
        return " UNION ALL BY NAME ".join(parts)


@lru_cache(maxsize=1)
def _view_in_duckdb() -> str:
    return to_duckdb(view_sql()).replace("CREATE OR REPLACE VIEW", "CREATE OR REPLACE TEMP VIEW", 1)


@lru_cache(maxsize=1)
def _json_columns() -> str:
    pairs = ", ".join(f"'{name}': '{kind}'" for name, kind in duckdb_columns().items())
    return "{" + pairs + "}"


@lru_cache(maxsize=1)
def _empty_table() -> str:
    casts = ", ".join(f"CAST(NULL AS {kind}) AS {name}"
                      for name, kind in duckdb_columns().items())
    return f"SELECT {casts}, CAST(NULL AS VARCHAR) AS {PARTITION_COLUMN} WHERE false"
