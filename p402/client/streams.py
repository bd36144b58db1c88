"""Streamed responses: each chunk passes through unchanged while its usage is gathered.

The usage is read by the core's own stream rules (p402.normalizers.StreamUsage), so the
client and the ingest API agree on every provider. The event is finalized once: when the
stream ends (success), raises (the exception's outcome), is closed early or is garbage
collected before its end (cancelled, with the usage seen so far).
"""

import time
from collections.abc import Callable, Mapping
from typing import Any

from p402.client.outcomes import CANCELLED, SUCCESS, error_type_of, outcome_of
from p402.client.shapes import View, decoded_bedrock_chunk
from p402.normalizers import StreamUsage

# Events that open a stream before any token: time to first token waits for what follows.
PREAMBLE = frozenset({
    "message_start", "ping", "content_block_start",  # Anthropic
    "response.created", "response.in_progress", "response.output_item.added",
    "response.content_part.added",  # OpenAI Responses API
    "messageStart", "contentBlockStart",  # Bedrock ConverseStream
})
BEDROCK = frozenset({"bedrock", "aws"})


class Tracker:
    """One stream's usage and timing; hands its event to `emit` exactly once."""

    __slots__ = ("_emit", "_event", "_usage", "_bedrock", "_start", "_first", "_done",
                 "_readable")

    def __init__(self, emit: Callable[[dict], None], event: dict, start: float | None):
        provider = str(event.get("provider", "")).strip().lower()
        self._emit = emit
        self._event = event
        self._usage = StreamUsage(provider)
        self._bedrock = provider in BEDROCK
        self._start = time.perf_counter() if start is None else start
        self._first: float | None = None
        self._done = False
        self._readable = True

    def see(self, chunk: Any) -> None:
        if not self._readable:
            return
        try:
            if self._first is None and not _preamble(chunk):
                self._first = time.perf_counter()
            self._usage.add(self._shape(chunk))
        except Exception:  # an odd chunk must never break the application's stream
            self._readable = False

    def finish(self, outcome: str, exc: BaseException | None = None) -> None:
        if self._done:
            return
        self._done = True
        event, now = self._event, time.perf_counter()

        event.update(streamed=True, outcome=outcome,
                     latency_ms=_ms(now - self._start), error_type=error_type_of(exc))
        if self._first is not None:
            event["time_to_first_token_ms"] = _ms(self._first - self._start)
        if self._usage.merged and "usage" not in event and "tokens" not in event:
            event["usage"] = self._usage.merged

        self._emit(event)

    @property
    def done(self) -> bool:
        return self._done

    def _shape(self, chunk: Any) -> Any:
        shaped = chunk if isinstance(chunk, Mapping) else View(chunk)
        return decoded_bedrock_chunk(shaped) if self._bedrock else shaped


class _Wrapped:
    """What both stream wrappers share: a stream dropped unfinished is recorded as
    cancelled, and any other attribute is the provider stream's own."""

    __slots__ = ("_source", "_it", "_tracker")

    def __del__(self):
        tracker = getattr(self, "_tracker", None)
        if tracker is not None and not tracker.done:
            tracker.finish(CANCELLED)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._source, name)


class RecordedStream(_Wrapped):
    """A sync iterator over the provider's chunks that records the stream as it goes."""

    __slots__ = ()

    def __init__(self, chunks: Any, tracker: Tracker):
        self._tracker = tracker
        self._source = chunks
        self._it = iter(chunks)

    def __iter__(self):
        return self

    def __next__(self) -> Any:
        try:
            chunk = next(self._it)
        except StopIteration:
            self._tracker.finish(SUCCESS)
            raise
        except BaseException as exc:
            self._tracker.finish(outcome_of(exc), exc)
            raise
        self._tracker.see(chunk)
        return chunk

    def close(self) -> None:
        """Stop early: the event is recorded as cancelled, with the usage seen so far."""
        self._tracker.finish(CANCELLED)
        close = getattr(self._source, "close", None)
        if callable(close):
            close()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc is not None:
            self._tracker.finish(outcome_of(exc), exc)
        self.close()


class AsyncRecordedStream(_Wrapped):
    """The same for an async iterator (OpenAI's AsyncStream, google-genai's aio, ...)."""

    __slots__ = ()

    def __init__(self, chunks: Any, tracker: Tracker):
        self._tracker = tracker
        self._source = chunks
        self._it = chunks.__aiter__()

    def __aiter__(self):
        return self

    async def __anext__(self) -> Any:
        try:
            chunk = await self._it.__anext__()
        except StopAsyncIteration:
            self._tracker.finish(SUCCESS)
            raise
        except BaseException as exc:
            self._tracker.finish(outcome_of(exc), exc)
            raise
        self._tracker.see(chunk)
        return chunk

    async def aclose(self) -> None:
        """Stop early: the event is recorded as cancelled, with the usage seen so far."""
        self._tracker.finish(CANCELLED)
        close = getattr(self._source, "aclose", None) or getattr(self._source, "close", None)
        if callable(close):
            result = close()
            if hasattr(result, "__await__"):
                await result

    async def __aenter__(self):
        return self

    async def __aexit__(self, exc_type, exc, tb) -> None:
        if exc is not None:
            self._tracker.finish(outcome_of(exc), exc)
        await self.aclose()


def _preamble(chunk: Any) -> bool:
    if isinstance(chunk, Mapping):
        kind = chunk.get("type")
        if kind is None and len(chunk) == 1:
            kind = next(iter(chunk))
    else:
        kind = getattr(chunk, "type", None)
    return isinstance(kind, str) and kind in PREAMBLE


def _ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))
