"""The Recorder: what an application calls to put its AI calls in the p402 ledger.

Recording only gathers references and appends to a queue (a few microseconds); the
background sender does the rest. Nothing here raises into the application once the
Recorder is built: a failure is counted, logged by count, and the call goes on.
"""

import atexit
import hashlib
import logging
import os
import time
import weakref
from pathlib import Path
from typing import Any

from p402.client.calls import Call
from p402.client.sender import Sender, Settings
from p402.client.shapes import model_of, request_id_of, usage_of
from p402.client.streams import AsyncRecordedStream, RecordedStream, Tracker

log = logging.getLogger("p402.client")

USAGE_FORMS = frozenset({"usage", "tokens", "stream"})
DEFAULT = object()
_open: "weakref.WeakSet[Recorder]" = weakref.WeakSet()


class Recorder:
    """Records AI calls as p402 events and delivers them in the background.

    Args:
        endpoint: the p402 API, e.g. "http://127.0.0.1:8402".
        api_key: the key p402 was started with (P402_API_KEY).
        spill_dir: where undelivered events wait (JSON lines); None turns spilling off.
            Default: ~/.cache/p402/spill/<a hash of the endpoint>.
        batch_size: events per request (at most 1000).
        flush_interval: seconds an event may wait for its batch to fill.
        max_queue: events held in memory; beyond it new events are dropped and counted.
        request_timeout: seconds per HTTP request.
        close_timeout: seconds close() may spend delivering before it spills the rest.
        max_retries, backoff, max_backoff: retries of a batch (429, 5xx, network), with
            exponential backoff from `backoff` seconds up to `max_backoff`, full jitter.
        **default_attribution: fields set on every event (workflow_id, project_id,
            feature_id, customer_id, owner, metadata, ...); an event's own fields win.
    """

    def __init__(self, endpoint: str, api_key: str, *, spill_dir: Any = DEFAULT,
                 batch_size: int = 500, flush_interval: float = 1.0,
                 max_queue: int = 100_000, request_timeout: float = 5.0,
                 close_timeout: float = 10.0, max_retries: int = 3, backoff: float = 0.25,
                 max_backoff: float = 30.0, **default_attribution: Any):
        if spill_dir is DEFAULT:
            spill_dir = default_spill_dir(endpoint)
        settings = Settings(Path(spill_dir) if spill_dir else None, batch_size,
                            flush_interval, max_queue, request_timeout, close_timeout,
                            max_retries, backoff, max_backoff)
        self._defaults = dict(default_attribution)
        self._sender = Sender(endpoint, api_key, settings)
        _open.add(self)

    def record(self, provider: str, model: str | None = None, response: Any = None,
               **fields: Any) -> None:
        """One call, from the provider's response (or its usage object) and event fields.

        A response's usage, request id and model are read by shape; its text never is.
        Set outcome, latency_ms, call_id, attempt, final_attempt, ... as fields.
        """
        try:
            event = self.build(provider, model, response, fields)
            event.setdefault("outcome", "success")
            self._sender.submit(event)
        except Exception as exc:  # recording must never break the call it measures
            self._sender.counts.dropped += 1
            log.warning("p402 client: record() failed (%s); event dropped", type(exc).__name__)

    def record_cache_hit(self, provider: str, model: str | None, would_be: Any,
                         **fields: Any) -> None:
        """An answer served from the application's own cache, with the usage the provider
        call would have had (a response or usage object): p402 counts it as saved."""
        self.record(provider, model, would_be, cache_hit=True, outcome="success", **fields)

    def call(self, provider: str, model: str | None = None, **fields: Any) -> Call:
        """A context manager around one logical call (and its retries, via attempt())."""
        return Call(self.build, self._submit, provider, model, fields)

    def stream(self, chunks: Any, provider: str, model: str | None = None, *,
               start: float | None = None, **fields: Any) -> RecordedStream:
        """The chunks, unchanged, recording the stream's usage, timing and end.

        Works on sync and async iterators. `start` is a time.perf_counter() taken before
        the request; without it latency and time to first token count from this call.
        """
        event = self.build(provider, model, None, fields)
        tracker = Tracker(self._submit, event, start)
        if hasattr(chunks, "__aiter__") and not hasattr(chunks, "__iter__"):
            return AsyncRecordedStream(chunks, tracker)
        return RecordedStream(chunks, tracker)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until what was recorded so far is delivered or spilled; False on timeout."""
        return self._sender.flush(timeout)

    def close(self, timeout: float | None = None) -> None:
        """Deliver or spill everything pending, then stop. Safe to call twice."""
        _open.discard(self)
        self._sender.close(timeout)

    def stats(self) -> dict[str, int]:
        """Events delivered, rejected by p402, spilled, replayed, and dropped."""
        return self._sender.counts.as_dict()

    def __enter__(self) -> "Recorder":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()

    def build(self, provider: str, model: str | None, response: Any,
              fields: dict[str, Any]) -> dict[str, Any]:
        """The event's fields, gathered on the caller's thread (encoded later)."""
        event = {**self._defaults, **fields} if self._defaults else dict(fields)
        event["provider"] = provider
        if response is not None:
            _read_response(event, response)
        event["model"] = model or event.get("model") or _model_of(response)
        if "occurred_at" not in event:
            event["occurred_at"] = time.time()
        return event

    def _submit(self, event: dict) -> None:
        try:
            self._sender.submit(event)
        except Exception as exc:  # recording must never break the call it measures
            self._sender.counts.dropped += 1
            log.warning("p402 client: an event was dropped (%s)", type(exc).__name__)


def _read_response(event: dict[str, Any], response: Any) -> None:
    if USAGE_FORMS.isdisjoint(event):
        event["usage"] = usage_of(response)
    if "request_id" not in event:
        event["request_id"] = request_id_of(response)


def _model_of(response: Any) -> str | None:
    return model_of(response) if response is not None else None


def default_spill_dir(endpoint: str) -> Path:
    """~/.cache/p402/spill/<hash of the endpoint>: one folder per p402 deployment."""
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    digest = hashlib.sha256(endpoint.encode()).hexdigest()[:12]
    return Path(cache) / "p402" / "spill" / digest


@atexit.register
def _close_open_recorders() -> None:
    for recorder in list(_open):
        recorder.close()
