"""The AWS sink: rows to Amazon Data Firehose with PutRecordBatch, retrying only what failed.

Firehose takes at most 500 records and 4 MiB a call. Each record is one JSON line: money as
exact decimal numbers, timestamps as ISO-8601 with `Z`, which Firehose's Parquet conversion
reads into the Glue table's decimal and timestamp columns. Records still failing after the
retries are reported back, so the API answers 503 and the client retries with the same
event ids (Firehose delivers at least once; the ledger view counts each event_id once).
"""

import json
import random
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from p402.schema import MONEY_COLUMNS

MAX_RECORDS_PER_CALL = 500
MAX_BYTES_PER_CALL = 4 * 1024 * 1024
MAX_RECORD_BYTES = 1000 * 1024
# Firehose bills ingestion in 5 KB steps per record, so rows are packed several to a record
# (newline-delimited JSON); the stream's JSON de-aggregation splits them again before the
# Parquet conversion. A packed record fails or succeeds as a whole.
PACKED_RECORD_BYTES = 64 * 1024


def firehose_record(row: dict[str, Any]) -> bytes:
    """One row as a JSON line, its money columns as JSON numbers with every digit kept."""
    money = {name: row[name] for name in MONEY_COLUMNS if row.get(name) is not None}
    rest = {name: value for name, value in row.items() if name not in money}
    text = json.dumps(rest, separators=(",", ":"))
    numbers = "".join(f',"{name}":{value}' for name, value in money.items())
    return (text[:-1] + numbers + "}\n").encode()


def pack_lines(indexes: list[int], lines: Sequence[bytes]) -> list[list[int]]:
    """Groups row indexes into records of at most PACKED_RECORD_BYTES, in order."""
    packs: list[list[int]] = []
    size = PACKED_RECORD_BYTES
    for index in indexes:
        if size + len(lines[index]) > PACKED_RECORD_BYTES:
            packs.append([])
            size = 0
        packs[-1].append(index)
        size += len(lines[index])
    return packs


def chunks(records: Sequence[bytes]) -> Iterator[list[int]]:
    """Indexes of records grouped into calls within Firehose's count and size limits."""
    current: list[int] = []
    size = 0
    for index, record in enumerate(records):
        if current and (len(current) == MAX_RECORDS_PER_CALL
                        or size + len(record) > MAX_BYTES_PER_CALL):
            yield current
            current, size = [], 0
        current.append(index)
        size += len(record)
    if current:
        yield current


class FirehoseSink:
    """EventSink on a Firehose delivery stream."""

    def __init__(self, stream_name: str, client: Any = None, attempts: int = 4,
                 base_delay: float = 0.05, sleep: Callable[[float], None] = time.sleep):
        if client is None:
            import boto3

            client = boto3.client("firehose")
        self.stream_name = stream_name
        self.client = client
        self.attempts = attempts
        self.base_delay = base_delay
        self.sleep = sleep

    def put(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        """Returns the indexes of the rows Firehose did not take after the retries."""
        lines = [firehose_record(row) for row in rows]
        oversized = {i for i, line in enumerate(lines) if len(line) > MAX_RECORD_BYTES}
        packs = pack_lines([i for i in range(len(lines)) if i not in oversized], lines)
        records = [b"".join(lines[i] for i in pack) for pack in packs]

        failed = sorted(oversized)
        for group in chunks(records):
            for record_index in self._send_with_retries(group, records):
                failed.extend(packs[record_index])
        return sorted(failed)

    def _send_with_retries(self, indexes: list[int], records: list[bytes]) -> list[int]:
        pending = indexes
        for attempt in range(self.attempts):
            if attempt:
                self.sleep(self._backoff(attempt))
            pending = self._send(pending, records)
            if not pending:
                return []
        return pending

    def _send(self, indexes: list[int], records: list[bytes]) -> list[int]:
        """Sends one call; returns the indexes Firehose did not take."""
        try:
            answer = self.client.put_record_batch(
                DeliveryStreamName=self.stream_name,
                Records=[{"Data": records[i]} for i in indexes],
            )
        except (ClientError, BotoCoreError):
            return indexes
        if not answer.get("FailedPutCount"):
            return []
        results = answer.get("RequestResponses", [])
        return [i for i, result in zip(indexes, results) if result.get("ErrorCode")]

    def _backoff(self, attempt: int) -> float:
        """Exponential with full jitter: spreads retries of many Lambdas apart."""
        return random.uniform(0, self.base_delay * 2 ** attempt)
