"""How the dashboard asks the ledger: one interface, answered by DuckDB locally, Athena on AWS.

A page asks `ask(sql, params)` and gets an Answer: rows when the query finished, or the
state "running" (Athena has not finished within the page's wait; the page says so and
reloads) or "failed" (with the engine's reason, e.g. the workgroup's scan limit).
"""

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from p402.ledger import bind

DONE, RUNNING, FAILED = "done", "running", "failed"


@dataclass(frozen=True)
class Answer:
    """The rows of one query, or why there are none yet."""

    state: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    reason: str = ""

    @property
    def done(self) -> bool:
        return self.state == DONE


class DashboardLedger(Protocol):
    """What the pages need from a ledger engine."""

    def ask(self, sql: str, params: dict[str, Any]) -> Answer: ...

    def changed_at(self) -> float | None:
        """When the ledger last changed (epoch seconds), or None when nobody can tell."""


class LocalDashboardLedger:
    """DuckDB over the local lake; answers are kept until the lake's files change."""

    def __init__(self, ledger: Any, data_dir: Path | str, cache_size: int = 64):
        self._ledger = ledger
        self._data_dir = Path(data_dir)
        self._cache: dict[tuple, Answer] = {}
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def ask(self, sql: str, params: dict[str, Any]) -> Answer:
        key = (sql, tuple(sorted(params.items())), self._version())
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached

        answer = Answer(DONE, self._ledger.query(sql, params))
        with self._lock:
            if len(self._cache) >= self._cache_size:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = answer
        return answer

    def changed_at(self) -> float | None:
        return self._version()[2] / 1e9

    def _version(self) -> tuple[int, int, int]:
        """(files, bytes, newest change in ns) of the lake and its write-ahead log."""
        files = size = newest = 0
        for pattern in ("lake/*/*/*.parquet", "wal/*"):
            for path in self._data_dir.glob(pattern):
                try:
                    stat = path.stat()
                except FileNotFoundError:
                    continue
                files, size = files + 1, size + stat.st_size
                newest = max(newest, stat.st_mtime_ns)
        return files, size, newest


class AthenaDashboardLedger:
    """Athena with a short wait per page: a query that runs longer keeps running and the
    page reloads; the same request token finds the same execution again (the token holds the
    SQL, its values and the current refresh slot, so answers are at most that old)."""

    def __init__(self, client: Any, workgroup: str, database: str, wait_seconds: float = 6.0,
                 refresh_seconds: int = 300, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep):
        self._client = client
        self._workgroup = workgroup
        self._database = database
        self._wait = wait_seconds
        self._refresh = refresh_seconds
        self._clock = clock
        self._sleep = sleep

    def ask(self, sql: str, params: dict[str, Any]) -> Answer:
        query_id = self._start(sql, params)
        status = self._status_within_wait(query_id)

        if status["State"] == "SUCCEEDED":
            return Answer(DONE, self._rows(query_id))
        if status["State"] in ("FAILED", "CANCELLED"):
            return Answer(FAILED, reason=status.get("StateChangeReason", status["State"]))
        return Answer(RUNNING, reason=f"Athena query {query_id} is still running")

    def changed_at(self) -> float | None:
        return None

    def _start(self, sql: str, params: dict[str, Any]) -> str:
        from p402.adapters.aws.athena_ledger import sql_literal

        text, values = bind(sql, params)
        request = {"QueryString": text, "WorkGroup": self._workgroup,
                   "QueryExecutionContext": {"Database": self._database},
                   "ClientRequestToken": self._token(text, values)}
        if values:
            request["ExecutionParameters"] = [sql_literal(v) for v in values]
        return self._client.start_query_execution(**request)["QueryExecutionId"]

    def _token(self, text: str, values: list[Any]) -> str:
        slot = int(self._clock()) // self._refresh
        digest = hashlib.sha256(repr((text, values, slot)).encode()).hexdigest()
        return "p402-dashboard-" + digest[:48]

    def _status_within_wait(self, query_id: str) -> dict[str, Any]:
        deadline = self._clock() + self._wait
        while True:
            execution = self._client.get_query_execution(QueryExecutionId=query_id)
            status = execution["QueryExecution"]["Status"]
            if status["State"] not in ("QUEUED", "RUNNING") or self._clock() >= deadline:
                return status
            self._sleep(0.25)

    def _rows(self, query_id: str) -> list[dict[str, Any]]:
        from p402.adapters.aws.athena_ledger import convert

        pages = self._client.get_paginator("get_query_results").paginate(
            QueryExecutionId=query_id)
        rows: list[dict[str, Any]] = []
        columns: list[tuple[str, str]] | None = None
        for page in pages:
            result = page["ResultSet"]
            data = result["Rows"]
            if columns is None:
                columns = [(c["Name"], c["Type"].lower())
                           for c in result["ResultSetMetadata"]["ColumnInfo"]]
                data = data[1:]  # the first row of the first page repeats the names
            for row in data:
                cells = [cell.get("VarCharValue") for cell in row["Data"]]
                rows.append({n: _cell(convert, k, c) for (n, k), c in zip(columns, cells)})
        return rows


def _cell(convert: Callable[[str, str | None], Any], kind: str, text: str | None) -> Any:
    """Athena's text cell with its Python type; timestamps become UTC datetimes, as DuckDB
    gives them (the pages subtract and format them)."""
    if text is None or not kind.startswith("timestamp"):
        return convert(kind, text)
    moment = datetime.fromisoformat(text.removesuffix(" UTC"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
