"""One logical call and its attempts: timed, their outcome read from what they raised.

Every attempt of a Call shares its call_id. An attempt's event is held until the next
attempt starts (then it is sent with final_attempt=false: it was retried) or the call ends
(final_attempt=true), so the ledger's retry waste is exact without guessing.
"""

import time
import uuid
from collections.abc import Callable
from typing import Any

from p402.client.outcomes import error_type_of, outcome_of


class Attempt:
    """One try of a call. Pass its response to `result()`; leave by an exception if it fails."""

    __slots__ = ("_call", "number", "implicit", "response", "fields", "_start", "_wall")

    def __init__(self, call: "Call", number: int, implicit: bool):
        self._call = call
        self.number = number
        self.implicit = implicit
        self.response: Any = None
        self.fields: dict[str, Any] = {}
        self._wall = time.time()
        self._start = time.perf_counter()

    def result(self, response: Any = None, **fields: Any) -> None:
        """The provider's response (or its usage object), and any event fields to set."""
        self.response = response
        self.fields.update(fields)

    @property
    def touched(self) -> bool:
        return self.response is not None or bool(self.fields)

    def elapsed_ms(self) -> int:
        return max(0, round((time.perf_counter() - self._start) * 1000))

    def __enter__(self) -> "Attempt":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._call.end_attempt(self, exc)


Build = Callable[[str, str | None, Any, dict], dict]


class Call:
    """A logical call: `with recorder.call(...) as call:` then `call.result(response)`, or
    one `with call.attempt() as attempt:` block per try when the application retries."""

    def __init__(self, build: Build, emit: Callable[[dict], None], provider: str,
                 model: str | None, fields: dict[str, Any]):
        self._build, self._emit = build, emit
        self.provider, self.model = provider, model
        self.call_id = str(fields.pop("call_id", None) or uuid.uuid4())
        self._fields = fields
        self._count = 0
        self._current: Attempt | None = None
        self._held: dict | None = None

    def attempt(self) -> Attempt:
        """Start the next try; the one before it, if any, is now known to have been retried."""
        current = self._current
        if current is not None and current.implicit and not current.touched:
            self._count -= 1
        elif current is not None:
            self.end_attempt(current, None)
        self._current = None
        self._release(final=False)
        return self._begin(implicit=False)

    def result(self, response: Any = None, **fields: Any) -> None:
        """The response of the current try (the whole block, when attempt() is not used)."""
        (self._current or self._begin(implicit=True)).result(response, **fields)

    def end_attempt(self, attempt: Attempt, exc: BaseException | None) -> None:
        if attempt is not self._current:
            return
        self._current = None
        self._held = self._event_of(attempt, exc)

    def __enter__(self) -> "Call":
        self._begin(implicit=True)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._current is not None:
            self.end_attempt(self._current, exc)
        self._release(final=True)

    def _begin(self, implicit: bool) -> Attempt:
        self._count += 1
        self._current = Attempt(self, self._count, implicit)
        return self._current

    def _event_of(self, attempt: Attempt, exc: BaseException | None) -> dict:
        fields = {"occurred_at": attempt._wall, **self._fields, **attempt.fields}
        event = self._build(self.provider, self.model, attempt.response, fields)
        event.update(call_id=self.call_id, attempt=attempt.number,
                     outcome=fields.get("outcome") or outcome_of(exc),
                     error_type=fields.get("error_type") or error_type_of(exc))
        event.setdefault("latency_ms", attempt.elapsed_ms())
        return event

    def _release(self, final: bool) -> None:
        held, self._held = self._held, None
        if held is not None:
            held.setdefault("final_attempt", final)
            self._emit(held)
