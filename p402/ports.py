"""The edges the domain talks through; each has a local adapter and an AWS adapter.

Rows crossing these ports are the ledger's JSON form (see `p402.rows`): money as decimal
strings, timestamps as ISO-8601 with `Z`, exactly what Firehose and the local lake receive.
"""

from collections.abc import Sequence
from typing import Any, Protocol

Row = dict[str, Any]


class EventSink(Protocol):
    """Makes accepted rows durable. Returns the indexes of rows that could not be stored."""

    def put(self, rows: Sequence[Row]) -> list[int]: ...


class LedgerEngine(Protocol):
    """Runs one Athena-dialect SQL text over the ledger and returns its rows as dicts.

    `params` fills the text's `:name` value holes (see p402.ledger.bind); values are text.
    """

    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[Row]: ...


class AlertPublisher(Protocol):
    """Sends one alert to its owners (stdout + file locally, SNS on AWS)."""

    def publish(self, alert: Row) -> None: ...


class AlertState(Protocol):
    """Remembers which alerts went out. `claim` is true only the first time for a key."""

    def claim(self, key: str) -> bool: ...


class SnapshotStore(Protocol):
    """Keeps the latest job results (ranking, budget states) for the dashboard and ingest."""

    def write(self, name: str, document: Any) -> None: ...

    def read(self, name: str) -> Any | None: ...
