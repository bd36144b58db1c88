"""Turns a recorded event into the JSON line that is posted and spilled (on the sender thread).

The application's thread only gathers references; the costly steps (the event id, the
timestamp text, dumping an SDK usage object) happen here, once per event.
"""

import enum
import itertools
import json
import os
import time
from datetime import datetime
from decimal import Decimal
from typing import Any

from p402.client.shapes import plain


class EventIds:
    """Unique event ids, cheaply: 128 random bits per process, then a counter."""

    def __init__(self):
        self._prefix = os.urandom(16).hex()
        self._counter = itertools.count(1)

    def next(self) -> str:
        return f"{self._prefix}-{next(self._counter)}"


_ids = EventIds()


def reset_ids_after_fork() -> None:
    global _ids
    _ids = EventIds()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=reset_ids_after_fork)


def encode(event: dict[str, Any]) -> bytes:
    """The event as one compact JSON line, with an event_id that stays with it for good."""
    out = {k: v for k, v in event.items() if v is not None}
    if "event_id" not in out:
        out["event_id"] = _ids.next()

    when = out.get("occurred_at")
    if isinstance(when, float):
        out["occurred_at"] = _iso(when)
    if "usage" in out:
        _set_plain_usage(out)
    if "metadata" in out:
        out["metadata"] = {str(k): _text(v) for k, v in dict(out["metadata"]).items()}

    return _JSON.encode(out).encode()


def _set_plain_usage(out: dict[str, Any]) -> None:
    usage = plain(out["usage"])
    if usage:
        out["usage"] = usage
    else:
        del out["usage"]


_second: list = [None, ""]


def _iso(epoch: float) -> str:
    """ISO-8601 UTC with milliseconds; the text of the whole second is cached."""
    whole = int(epoch)
    if _second[0] != whole:
        _second[:] = [whole, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))]
    return f"{_second[1]}.{int((epoch - whole) * 1000):03d}Z"


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


_JSON = json.JSONEncoder(separators=(",", ":"), default=_scalar)
