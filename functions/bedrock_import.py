"""Lambda entry point: Bedrock log objects named in SQS messages become ledger rows.

Each SQS message carries an S3 object-created notification (or an EventBridge "Object
Created" event, or the s3:TestEvent S3 sends when notifications are set up). Every log
object it names is read, turned into rows by the same domain code as
`p402 import-bedrock-logs`, and sent to Firehose. A message whose object cannot be read or
whose rows Firehose does not take is reported as a batch item failure, so SQS delivers it
again; rows already sent count once, because each event id is the record's requestId.
Records refused by the domain, and unreadable lines, are logged (ids and counts only)
and do not fail the message: a retry would refuse them again. When every message of a
batch fails, Powertools fails the whole invocation, and SQS delivers the batch again.
"""

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor, EventType, process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from p402.adapters.bedrock_objects import (
    ObjectRef, ReadTally, is_log_object, object_refs, records_from_body,
)
from p402.bedrock_logs import ImportTally, rows_from_records
from p402.pricing import PriceBook, load_price_file

logger = Logger(service="p402-bedrock-import")
processor = BatchProcessor(event_type=EventType.SQS)


class RowsNotStored(RuntimeError):
    """Firehose did not take every row of an object; the message is delivered again."""


@dataclass(frozen=True)
class ImportSettings:
    """Read once, at cold start."""

    stream_name: str
    prices_file: str | None = None
    owners: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> "ImportSettings":
        owners = json.loads(os.environ.get("OWNERS") or "{}")
        if not isinstance(owners, dict):
            raise ValueError("OWNERS: expected a JSON object of caller ARN -> owner")
        return cls(stream_name=os.environ["FIREHOSE_STREAM_NAME"],
                   prices_file=os.environ.get("PRICES_FILE") or None,
                   owners={str(k): str(v) for k, v in owners.items()})


@dataclass
class Importer:
    """Reads the objects a message names and sends their rows to the sink."""

    s3: Any
    sink: Any
    prices: PriceBook
    owners: Mapping[str, str]

    def import_message(self, record: SQSRecord) -> None:
        for ref in object_refs(json.loads(record.body)):
            if not is_log_object(ref.key):
                logger.info("object skipped", extra={"bucket": ref.bucket, "key": ref.key})
                continue
            self.import_object(ref)

    def import_object(self, ref: ObjectRef) -> None:
        body = self.s3.get_object(Bucket=ref.bucket, Key=ref.key)["Body"].read()

        reading, tally = ReadTally(), ImportTally()
        records = records_from_body(body, f"s3://{ref.bucket}/{ref.key}", reading)
        rows = list(rows_from_records(records, self.owners, self.prices,
                                      datetime.now(UTC), tally))

        failed = self.sink.put(rows) if rows else []
        _log_object(ref, reading, tally, len(failed))
        if failed:
            raise RowsNotStored(f"{len(failed)} of {len(rows)} rows not stored")


def build_importer(settings: ImportSettings, s3_client=None, firehose_client=None
                   ) -> Importer:
    import boto3

    from p402.adapters.firehose import FirehoseSink

    prices = PriceBook()
    if settings.prices_file:
        prices = PriceBook(*load_price_file(Path(settings.prices_file).read_text()))
    sink = FirehoseSink(settings.stream_name, client=firehose_client)
    return Importer(s3=s3_client or boto3.client("s3"), sink=sink, prices=prices,
                    owners=settings.owners)


def _log_object(ref: ObjectRef, reading: ReadTally, tally: ImportTally, unstored: int
                ) -> None:
    """One line per object with its counts; refusals and bad lines by id and place only."""
    counts = {"records": tally.records, "accepted": tally.accepted - unstored,
              "refused": tally.refused, "skipped": tally.skipped, "unstored": unstored,
              "malformed_lines": len(reading.bad_lines)}
    logger.info("log object imported",
                extra={"bucket": ref.bucket, "key": ref.key, **counts})
    if tally.refusals:
        logger.error("records refused", extra={"key": ref.key, "refusals": [
            {"request_id": r.request_id, "fields": r.fields} for r in tally.refusals]})
    if reading.bad_lines:
        logger.warning("lines unreadable", extra={"key": ref.key, "lines": [
            {"line": bad.line, "reason": bad.reason} for bad in reading.bad_lines]})


_importer: Importer | None = None


@logger.inject_lambda_context
def handler(event: dict, context) -> dict:
    global _importer
    if _importer is None:
        _importer = build_importer(ImportSettings.from_env())
    return process_partial_response(event=event, record_handler=_import_message,
                                    processor=processor, context=context)


def _import_message(record: SQSRecord) -> None:
    """One message; a failure is logged once (kind and message id) and re-raised, so the
    batch processor reports it and SQS delivers the message again."""
    try:
        _importer.import_message(record)
    except Exception as exc:
        logger.error("message not imported", extra={
            "message_id": record.message_id, "error": _error_kind(exc)})
        raise


def _error_kind(exc: Exception) -> str:
    """An AWS error's code (NoSuchKey, AccessDenied), or else the exception's class."""
    response = getattr(exc, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    return str(code) if code else type(exc).__name__
