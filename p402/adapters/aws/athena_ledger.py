"""LedgerEngine on Athena: start a query in the workgroup, poll it, read its rows as dicts."""

import time
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from p402.ledger import bind
from p402.ports import Row

DONE_STATES = {"SUCCEEDED", "FAILED", "CANCELLED"}
INTEGER_TYPES = {"tinyint", "smallint", "integer", "int", "bigint"}
FLOAT_TYPES = {"double", "float", "real"}


class AthenaQueryFailed(RuntimeError):
    """A query ended FAILED or CANCELLED, or did not finish in time."""

    def __init__(self, query_id: str, state: str, reason: str):
        self.query_id = query_id
        self.state = state
        super().__init__(f"athena query {query_id}: got {state} ({reason}), expected SUCCEEDED")


class AthenaLedger:
    """Runs one statement at a time in a workgroup whose settings (results, scan cap) win."""

    def __init__(self, client: Any, workgroup: str, database: str,
                 timeout_seconds: float = 240.0, poll_seconds: float = 0.5,
                 sleep: Callable[[float], None] = time.sleep):
        self._client = client
        self._workgroup = workgroup
        self._database = database
        self._timeout = timeout_seconds
        self._poll = poll_seconds
        self._sleep = sleep

    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[Row]:
        """Run Athena-dialect `sql` with its `:name` holes bound from `params` (the same
        call DuckLedger answers locally) and return its rows."""
        text, values = bind(sql, params)
        query_id = self.execute(text, values)
        return list(self._rows(query_id))

    def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> str:
        """Run a statement to its end (DDL included); return the query id."""
        request = {"QueryString": sql, "WorkGroup": self._workgroup,
                   "QueryExecutionContext": {"Database": self._database}}
        if parameters:
            request["ExecutionParameters"] = [sql_literal(value) for value in parameters]

        query_id = self._client.start_query_execution(**request)["QueryExecutionId"]
        self._wait(query_id)
        return query_id

    def _wait(self, query_id: str) -> None:
        deadline = time.monotonic() + self._timeout
        delay = self._poll
        while True:
            status = self._client.get_query_execution(
                QueryExecutionId=query_id)["QueryExecution"]["Status"]
            state = status["State"]
            if state == "SUCCEEDED":
                return
            if state in DONE_STATES:
                raise AthenaQueryFailed(query_id, state, status.get("StateChangeReason", ""))
            if time.monotonic() >= deadline:
                self._client.stop_query_execution(QueryExecutionId=query_id)
                raise AthenaQueryFailed(query_id, state, f"still running after {self._timeout}s")
            self._sleep(delay)
            delay = min(delay * 2, 5.0)

    def _rows(self, query_id: str) -> Iterator[Row]:
        pages = self._client.get_paginator("get_query_results").paginate(
            QueryExecutionId=query_id)
        columns: list[tuple[str, str]] | None = None
        for page in pages:
            result = page["ResultSet"]
            rows = result["Rows"]
            if columns is None:
                columns = [(c["Name"], c["Type"].lower())
                           for c in result["ResultSetMetadata"]["ColumnInfo"]]
                rows = rows[1:]  # the first row of the first page repeats the column names
            for row in rows:
                cells = [cell.get("VarCharValue") for cell in row["Data"]]
                yield {name: convert(kind, cell) for (name, kind), cell in zip(columns, cells)}


def convert(kind: str, text: str | None) -> Any:
    """Athena returns every cell as text; give numbers and booleans their Python type."""
    if text is None:
        return None
    if kind in INTEGER_TYPES:
        return int(text)
    if kind == "decimal":
        return Decimal(text)
    if kind in FLOAT_TYPES:
        return float(text)
    if kind == "boolean":
        return text.lower() == "true"
    return text


def sql_literal(value: Any) -> str:
    """An execution parameter is pasted into the SQL as written: quote strings, spell nulls."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float | Decimal):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"
