"""Accepting a batch of events: each is refused on its own or becomes a ledger row."""

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from p402.errors import EventRefused, FieldProblem
from p402.events import build_row, strip_content
from p402.keys import KeyGrant
from p402.normalizers import is_mapping
from p402.pricing import PriceBook

MAX_EVENTS = 1000
MAX_BODY_BYTES = 5 * 1024 * 1024
# An event sent without an id but with its occurred_at gets an id derived from its content,
# so a client that retries a batch (after a timeout or a 503) does not count a call twice.
# Without either, two identical calls cannot be told from one retried call, so such an
# event gets a random id: clients that retry should send event_id (the p402 client does).
_EVENT_ID_NAMESPACE = uuid.UUID("6f0b7c2e-4b1d-4e8f-9a57-7d1f4a3c9e21")

Stamp = Callable[[dict[str, Any]], None]


@dataclass
class BatchResult:
    rows: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)


class BodyRefused(ValueError):
    """The request body as a whole cannot be read; `status` is the HTTP answer."""

    def __init__(self, status: int, message: str):
        self.status = status
        super().__init__(message)


def events_of(body: Any) -> list[Any]:
    """One event, a JSON array of events, or {"events": [...]}."""
    if is_mapping(body) and "events" in body:
        events = body["events"]
        if not isinstance(events, list):
            raise BodyRefused(400, f"events: got {type(events).__name__}, expected a list")
    elif isinstance(body, list):
        events = body
    elif is_mapping(body):
        events = [body]
    else:
        raise BodyRefused(400, f"body: got {type(body).__name__}, expected an event object, "
                          "a list of events or {\"events\": [...]}")
    if not events:
        raise BodyRefused(400, "events: got an empty list, expected at least one event")
    if len(events) > MAX_EVENTS:
        raise BodyRefused(413, f"events: got {len(events)}, expected at most {MAX_EVENTS}")
    return events


def accept_batch(events: Sequence[Any], grant: KeyGrant, prices: PriceBook,
                 received_at: datetime, stamp: Stamp | None = None) -> BatchResult:
    result = BatchResult()
    for index, event in enumerate(events):
        try:
            row = _accept_one(event, grant, prices, received_at)
        except EventRefused as refused:
            result.rejected.append(_rejection(index, event, refused))
            continue
        if stamp:
            stamp(row)
        result.rows.append(row)
    return result


def _accept_one(event: Any, grant: KeyGrant, prices: PriceBook, received_at: datetime
                ) -> dict[str, Any]:
    if not is_mapping(event):
        raise EventRefused([FieldProblem("event", event, "a JSON object")])
    project = event.get("project_id")
    if not grant.may_write(project if isinstance(project, str) else None):
        raise EventRefused([FieldProblem("project_id", project,
                                         "a project this API key may write")])
    if not event.get("event_id") and event.get("occurred_at"):
        event = {**event, "event_id": derived_event_id(event)}
    return build_row(event, prices, received_at)


def derived_event_id(event: Mapping[str, Any]) -> str:
    """A stable id for an event sent without one: the same content gives the same id."""
    canonical = json.dumps(strip_content(event), sort_keys=True, separators=(",", ":"),
                           default=str)
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    return str(uuid.uuid5(_EVENT_ID_NAMESPACE, digest))


def _rejection(index: int, event: Any, refused: EventRefused) -> dict[str, Any]:
    event_id = event.get("event_id") if is_mapping(event) else None
    return {
        "index": index,
        "event_id": event_id if isinstance(event_id, str) else None,
        "errors": [problem.as_dict() for problem in refused.problems],
    }
