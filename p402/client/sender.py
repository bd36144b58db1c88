"""The background sender: batches events, delivers them, retries, spills and replays.

The application's thread only appends to a bounded queue. One daemon thread takes batches
(by count, by bytes, and at least every flush_interval), posts them, retries 429, 5xx and
network failures with exponential backoff and full jitter, and spills a batch to the local
spill folder once its retries are spent. While p402 is unreachable, batches go straight
to the spill; a probe after the backoff finds it back and the spill is replayed.
"""

import logging
import random
import threading
import time
from collections import deque
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from p402.client.encoding import encode
from p402.client.spill import Spill
from p402.client.transport import Reply, Transport

log = logging.getLogger("p402.client")

MAX_BATCH = 1000  # the API's limit per request
MAX_BATCH_BYTES = 4_000_000  # under the API's 5 MB limit
WARN_EVERY = 60.0


@dataclass(frozen=True)
class Settings:
    """How the sender batches, retries and spills (see Recorder for each one's meaning)."""

    spill_dir: Path | None
    batch_size: int = 500
    flush_interval: float = 1.0
    max_queue: int = 100_000
    request_timeout: float = 5.0
    close_timeout: float = 10.0
    max_retries: int = 3
    backoff: float = 0.25
    max_backoff: float = 30.0


class Counts:
    """What became of the recorded events; read it through Recorder.stats()."""

    def __init__(self):
        self.delivered = 0
        self.rejected = 0
        self.spilled = 0
        self.replayed = 0
        self.dropped = 0

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


class Sender:
    """Owns the queue, the sender thread, the connection and the spill of one Recorder."""

    def __init__(self, endpoint: str, api_key: str, settings: Settings):
        self.settings = settings
        self.counts = Counts()
        self._queue: deque = deque()
        self._batch = max(1, min(settings.batch_size, MAX_BATCH))
        self._transport = Transport(endpoint, api_key, settings.request_timeout)
        self._spill = Spill(settings.spill_dir) if settings.spill_dir else None
        self._spill_lock = threading.Lock()
        self._wake = threading.Event()
        self._waiters: list[threading.Event] = []
        self._waiters_lock = threading.Lock()
        self._stopping = False
        self._deadline = float("inf")
        self._down_until = 0.0
        self._failures = 0
        self._backlog = bool(self._spill and self._spill.pending())
        self._warned: dict[str, float] = {}
        self._thread = threading.Thread(target=self._run, name="p402-sender", daemon=True)
        self._thread.start()

    # The application's side: cheap, never blocking, never raising.
    def submit(self, event: dict) -> None:
        queue = self._queue
        if len(queue) >= self.settings.max_queue or self._stopping:
            self._drop(1, "the queue is full" if not self._stopping else "after close()")
            return
        queue.append(event)
        if len(queue) >= self._batch and not self._wake.is_set():
            self._wake.set()

    def flush(self, timeout: float | None) -> bool:
        """Wait until everything queued now is delivered or spilled; False on timeout."""
        done = threading.Event()
        with self._waiters_lock:
            self._waiters.append(done)
        self._wake.set()
        return done.wait(timeout)

    def close(self, timeout: float | None) -> None:
        """Deliver or spill everything pending, within `timeout` (then spill what is left)."""
        if self._stopping:
            return
        budget = self.settings.close_timeout if timeout is None else timeout
        self._deadline = time.monotonic() + budget
        self._stopping = True
        self._wake.set()
        self._thread.join(budget + self.settings.request_timeout + 1.0)
        # Left in the queue: the thread ran out of time, or never ran in this process
        # (a child forked after the Recorder was built has no sender thread).
        self._spill_or_drop(self._take_all())
        self._summary()

    # The sender thread.
    def _run(self) -> None:
        while not self._stopping:
            self._wake.wait(self.settings.flush_interval)
            self._wake.clear()
            self._cycle()
        self._down_until = 0.0  # one more try at close, even while p402 looked down
        self._cycle()
        self._release_spill()

    def _cycle(self) -> None:
        try:
            if self._backlog and self._reachable():
                self._replay()
            while self._queue:
                self._deliver(self._take())
        except Exception:  # a bug here must not kill the thread and strand the queue
            log.exception("p402 client: sender cycle failed")
        self._wake_waiters()

    def _take(self) -> list[bytes]:
        lines, size = [], 0
        while self._queue and len(lines) < self._batch and size < MAX_BATCH_BYTES:
            line = self._encoded(self._queue.popleft())
            if line is not None:
                lines.append(line)
                size += len(line) + 1
        return lines

    def _take_all(self) -> list[bytes]:
        lines = []
        while self._queue:
            lines.extend(self._take())
        return lines

    def _encoded(self, event: dict) -> bytes | None:
        try:
            return encode(event)
        except (TypeError, ValueError, RecursionError):
            self._drop(1, "an event could not be encoded as JSON")
            return None

    def _deliver(self, lines: list[bytes]) -> None:
        if not lines:
            return
        if not self._reachable() or time.monotonic() > self._deadline:
            self._spill_or_drop(lines)
            return
        if not self._post(lines, retries=self._retries()):
            self._spill_or_drop(lines)

    def _retries(self) -> int:
        return 0 if self._failures else self.settings.max_retries

    def _reachable(self) -> bool:
        return time.monotonic() >= self._down_until

    def _post(self, lines: list[bytes], retries: int) -> bool:
        """True once the batch is settled (accepted or refused); False to keep it."""
        for attempt in range(retries + 1):
            reply = self._transport.post(lines)
            settled = self._settle(lines, reply)
            if settled is not None:
                return settled
            if attempt < retries and not self._sleep(self._delay(attempt, reply)):
                break
        self._mark_down()
        return False

    def _settle(self, lines: list[bytes], reply: Reply) -> bool | None:
        """True: done with the batch; False: keep it (spill); None: retry it."""
        status = reply.status
        if status is None or status == 429 or status >= 500:
            return None
        self._failures, self._down_until = 0, 0.0
        if status < 300:
            self._count_reply(len(lines), reply.body)
            return True
        if status == 413 and len(lines) > 1:
            half = len(lines) // 2
            return self._split(lines[:half], lines[half:])
        if status in (401, 403):
            self._warn("auth", "p402 client: the API key was refused (HTTP %d); spilling", status)
            self._mark_down()
            return False
        self._count_refused(len(lines), status, reply.body)
        return True

    def _split(self, first: list[bytes], second: list[bytes]) -> bool:
        for part in (first, second):
            if not self._post(part, retries=self.settings.max_retries):
                self._spill_or_drop(part)
        return True

    def _count_reply(self, sent: int, body) -> None:
        rejected = body.get("rejected") if isinstance(body, dict) else None
        refused = len(rejected) if isinstance(rejected, list) else 0
        self.counts.delivered += sent - refused
        if refused:
            self.counts.rejected += refused
            self._warn("rejected", "p402 client: p402 refused %d of %d events (first: %s)",
                       refused, sent, _first_problem(rejected))

    def _count_refused(self, sent: int, status: int, body) -> None:
        rejected = body.get("rejected") if isinstance(body, dict) else None
        self.counts.rejected += sent
        self._warn("rejected", "p402 client: p402 refused a batch of %d events (HTTP %d, "
                   "first: %s)", sent, status, _first_problem(rejected))

    def _delay(self, attempt: int, reply: Reply) -> float:
        if reply.retry_after is not None:
            return min(reply.retry_after, self.settings.max_backoff)
        ceiling = min(self.settings.max_backoff, self.settings.backoff * 2 ** attempt)
        return random.uniform(0, ceiling)

    def _sleep(self, seconds: float) -> bool:
        """Sleep unless that would pass the close deadline; False when it would."""
        if time.monotonic() + seconds > self._deadline:
            return False
        time.sleep(seconds)
        return True

    def _mark_down(self) -> None:
        self._failures += 1
        ceiling = min(self.settings.max_backoff, self.settings.backoff * 2 ** self._failures)
        self._down_until = time.monotonic() + ceiling / 2 + random.uniform(0, ceiling / 2)

    # The spill.
    def _spill_or_drop(self, lines: list[bytes]) -> None:
        if not lines:
            return
        if self._spill is None:
            self._drop(len(lines), "undeliverable in time, and no spill folder is set")
            return
        try:
            with self._spill_lock:
                self._spill.write(lines)
        except OSError as exc:
            self._drop(len(lines), f"the spill folder cannot be written ({exc.strerror})")
            return
        self.counts.spilled += len(lines)
        self._backlog = True
        self._warn("spill", "p402 client: p402 is unreachable; %d events spilled so far",
                   self.counts.spilled)

    def _replay(self) -> None:
        with self._spill_lock:
            self._spill.release()
        remaining = False
        for path in self._spill.pending():
            claimed = self._spill.claim(path)
            if claimed is None:
                remaining = True
                continue
            if not self._replay_file(claimed):
                return
        self._backlog = remaining

    def _replay_file(self, claimed) -> bool:
        events = claimed.events()
        while batch := list(islice(events, self._batch)):
            if time.monotonic() > self._deadline or not self._post(batch, self._retries()):
                claimed.keep()
                return False
            self.counts.replayed += len(batch)
        if claimed.torn:
            self._drop(claimed.torn, "spilled lines were cut short by a crash")
        claimed.remove()
        return True

    def _release_spill(self) -> None:
        if self._spill is not None:
            with self._spill_lock:
                self._spill.release()
        self._transport.close()

    # Telling the application.
    def _wake_waiters(self) -> None:
        if self._queue:
            return
        with self._waiters_lock:
            waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            waiter.set()

    def _drop(self, count: int, reason: str) -> None:
        self.counts.dropped += count
        self._warn("drop", "p402 client: dropped %d events in all (%s)",
                   self.counts.dropped, reason)

    def _warn(self, kind: str, message: str, *args) -> None:
        now = time.monotonic()
        if now - self._warned.get(kind, -WARN_EVERY) >= WARN_EVERY:
            self._warned[kind] = now
            log.warning(message, *args)

    def _summary(self) -> None:
        counts = self.counts
        if counts.dropped or counts.rejected:
            log.warning("p402 client: closed; delivered %d, spilled %d, rejected %d, "
                        "dropped %d", counts.delivered, counts.spilled, counts.rejected,
                        counts.dropped)


def _first_problem(rejected) -> str:
    """The first refused event's field and expectation, never its values."""
    if not isinstance(rejected, list) or not rejected or not isinstance(rejected[0], dict):
        return "no detail"
    errors = rejected[0].get("errors")
    first = errors[0] if isinstance(errors, list) and errors else None
    if isinstance(first, dict):
        return f"{first.get('field')}: expected {first.get('expected')}"
    return "no detail"
