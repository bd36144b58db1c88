"""Turns a recorded event into the JSON line that is posted and spilled (on the sender thread).

The application's thread only gathers references; the costly steps (the event id, the
timestamp text, dumping an SDK usage object) happen here, once per event.
"""

import enum
import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from p402.client.shapes import plain


def encode(event: dict[str, Any]) -> bytes:
    """The event as one compact JSON line, with an event_id that stays with it for good."""
    out = {k: v for k, v in event.items() if v is not None}
    out.setdefault("event_id", str(uuid.uuid4()))

    when = out.get("occurred_at")
    if isinstance(when, float):
        out["occurred_at"] = _iso(when)
    if "usage" in out:
        _set_plain_usage(out)
    if "metadata" in out:
        out["metadata"] = {str(k): _text(v) for k, v in dict(out["metadata"]).items()}

    return json.dumps(out, separators=(",", ":"), default=_scalar).encode()


def _set_plain_usage(out: dict[str, Any]) -> None:
    usage = plain(out["usage"])
    if usage:
        out["usage"] = usage
    else:
        del out["usage"]


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return str(_scalar(value))


def _scalar(value: Any) -> Any:
    """json's fallback: times as ISO text, enums by value; any other object is left out."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    return None
