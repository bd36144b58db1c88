"""Amazon Bedrock model invocation log records turned into ledger events (pure: no I/O).

One record (schemaType ModelInvocationLog) is one AI call. Only its metadata is read:
model, operation, time, request id, region, caller, token counts, error code and the
application's `requestMetadata`. The input and output bodies (and any text in them) are
never copied. The event id is the record's requestId, so a log file delivered or imported
twice counts once in the ledger.
"""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from p402.errors import EventRefused, FieldProblem
from p402.events import build_row
from p402.pricing import PriceBook
from p402.schema import COLUMNS, Kind

SOURCE = "bedrock_invocation_log"
RECORD_SCHEMA = "ModelInvocationLog"

# Columns the log record itself determines; requestMetadata cannot set them.
_FROM_RECORD = frozenset({
    "event_id", "occurred_at", "provider", "model", "operation", "streamed", "outcome",
    "error_type", "request_id", "region",
})
# requestMetadata keys that become columns: every other column an application may set on
# an event (attribution, call_id / attempt, trace_id, ...). Maps stay out: requestMetadata
# values are flat strings. Every other key goes to `metadata`.
METADATA_COLUMNS = frozenset(
    c.name for c in COLUMNS
    if c.client_sets and c.name not in _FROM_RECORD and c.kind is not Kind.STRING_MAP)

_COUNTS = {
    "inputTokenCount": "input", "cacheReadInputTokenCount": "input",
    "cacheWriteInputTokenCount": "input", "outputTokenCount": "output",
}


def invocation_to_event(record: Any, owners: Mapping[str, str]) -> dict[str, Any] | None:
    """The event of one invocation-log record, or None when the record is not one.

    The event carries `caller_arn`, which build_row takes as a keyword (see invocation_row).
    """
    if not _is_invocation(record):
        return None
    if not record.get("requestId"):
        raise EventRefused([FieldProblem("requestId", record.get("requestId"),
                                         "the invocation's request id (the event id)")])

    operation = str(record.get("operation") or "")
    caller_arn = _caller_arn(record)
    event: dict[str, Any] = {
        "event_id": record["requestId"],
        "request_id": record["requestId"],
        "provider": "bedrock",
        "model": record.get("modelId"),
        "operation": operation.lower() or None,
        "occurred_at": record.get("timestamp"),
        "region": record.get("inferenceRegion") or record.get("region"),
        "streamed": operation.endswith("Stream"),
        "caller_arn": caller_arn,
        "owner": owner_of(caller_arn, owners),
    }
    event.update(_outcome(record))

    usage = _usage(record)
    if usage is not None:
        event["usage"] = usage

    # An owner the application put in requestMetadata wins over the configured one.
    event.update(_request_metadata(record.get("requestMetadata")))
    return {key: value for key, value in event.items() if value is not None}


def invocation_row(record: Any, owners: Mapping[str, str], prices: PriceBook,
                   received_at: datetime) -> dict[str, Any] | None:
    """The ledger row of one record, None when it is not an invocation, or EventRefused."""
    event = invocation_to_event(record, owners)
    if event is None:
        return None
    caller_arn = event.pop("caller_arn", None)
    return build_row(event, prices, received_at, source=SOURCE, caller_arn=caller_arn)


def owner_of(caller_arn: str | None, owners: Mapping[str, str]) -> str | None:
    """The owner configured for a caller: an exact match first, then the longest prefix.

    An assumed-role session ARN (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION) also
    matches its role's ARN (arn:aws:iam::ACCOUNT:role/ROLE) and its bare role name, both
    exactly. For prefixes, a role-ARN key counts as the session ARNs it stands for
    (arn:aws:iam::A:role/batch- as arn:aws:sts::A:assumed-role/batch-), so the longest
    prefix is judged on one spelling. A role created under an IAM path cannot be matched
    by its path: the session ARN does not carry it.
    """
    if not caller_arn or not owners:
        return None
    role_arn, role_name = _role_of(caller_arn)
    for name in (caller_arn, role_arn, role_name):
        if name and name in owners:
            return owners[name]

    matches = [(len(form), key) for key in owners
               if caller_arn.startswith(form := _as_session_prefix(key))]
    return owners[max(matches)[1]] if matches else None


@dataclass
class Refusal:
    """A record that could not enter the ledger: its request id and the fields at fault."""

    request_id: str | None
    fields: list[str]


@dataclass
class ImportTally:
    """What happened to the records of one import (counts only, never content)."""

    records: int = 0
    accepted: int = 0
    refused: int = 0
    skipped: int = 0
    refusals: list[Refusal] = field(default_factory=list)


def rows_from_records(records: Iterable[Any], owners: Mapping[str, str], prices: PriceBook,
                      received_at: datetime, tally: ImportTally
                      ) -> Iterator[dict[str, Any]]:
    """The rows of the records that are invocations, counting every record in `tally`."""
    for record in records:
        tally.records += 1
        try:
            row = invocation_row(record, owners, prices, received_at)
        except EventRefused as refused:
            tally.refused += 1
            request_id = record.get("requestId") if isinstance(record, Mapping) else None
            tally.refusals.append(Refusal(request_id, [p.field for p in refused.problems]))
            continue

        if row is None:
            tally.skipped += 1
            continue
        tally.accepted += 1
        yield row


def _is_invocation(record: Any) -> bool:
    if not isinstance(record, Mapping):
        return False
    return record.get("schemaType", RECORD_SCHEMA) == RECORD_SCHEMA and "modelId" in record


def _caller_arn(record: Mapping) -> str | None:
    identity = record.get("identity")
    arn = identity.get("arn") if isinstance(identity, Mapping) else None
    return arn if isinstance(arn, str) and arn else None


def _role_of(arn: str) -> tuple[str | None, str | None]:
    """The role ARN and role name behind an assumed-role session ARN; Nones otherwise."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[2] != "sts" or not parts[5].startswith("assumed-role/"):
        return None, None
    role_name = parts[5].split("/")[1]
    return f"arn:{parts[1]}:iam::{parts[4]}:role/{role_name}", role_name


def _as_session_prefix(key: str) -> str:
    """arn:P:iam::A:role/X spelled as arn:P:sts::A:assumed-role/X; any other key as is."""
    parts = key.split(":", 5)
    if len(parts) < 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
        return key
    return f"arn:{parts[1]}:sts::{parts[4]}:assumed-role/{parts[5][len('role/'):]}"


def _outcome(record: Mapping) -> dict[str, Any]:
    error_code = record.get("errorCode")
    if error_code:
        return {"outcome": "error", "error_type": str(error_code)}
    return {"outcome": "success"}


def _usage(record: Mapping) -> dict[str, Any] | None:
    """The token counts in the invocation-metrics shape that bedrock_usage reads.

    inputTokenCount excludes the cache read and write counts; bedrock_usage adds them.
    A record with neither an input nor an output count has unknown usage (never zero).
    A failed invocation that reports its input but no output count billed no output.
    """
    counts = {}
    for key, side in _COUNTS.items():
        part = record.get(side)
        if isinstance(part, Mapping) and part.get(key) is not None:
            counts[key] = part[key]
    if "inputTokenCount" not in counts and "outputTokenCount" not in counts:
        return None
    if record.get("errorCode") and "outputTokenCount" not in counts:
        counts["outputTokenCount"] = 0
    return counts


def _request_metadata(metadata: Any) -> dict[str, Any]:
    """Keys naming a ledger column become that column; the rest go to `metadata`."""
    if not isinstance(metadata, Mapping):
        return {}
    columns = {k: v for k, v in metadata.items() if k in METADATA_COLUMNS}
    rest = {str(k): v for k, v in metadata.items() if k not in METADATA_COLUMNS}
    if rest:
        columns["metadata"] = rest
    return columns
