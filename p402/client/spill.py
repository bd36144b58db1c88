"""The local spill: events that could not be delivered, kept as JSON lines until p402 is back.

Each process appends to a file of its own, under an exclusive lock, and fsyncs every write.
A file whose lock can be taken belongs to nobody alive (its writer closed it or was killed),
so any recorder pointed at the same folder replays and removes it. Replay may send an event
twice after a crash; p402 counts each event_id once, so that is harmless.
"""

import json
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no advisory locks, so one process per spill folder.
    fcntl = None

SUFFIX = ".jsonl"


class Spill:
    """One spill folder: this process's own file, and the files left there by others."""

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)
        self._own: Path | None = None
        self._handle = None

    def write(self, lines: list[bytes]) -> None:
        """Append events durably (fsync) before returning; raises OSError on failure."""
        if not lines:
            return
        handle = self._handle or self._open_own()
        handle.write(b"\n".join(lines) + b"\n")
        handle.flush()
        os.fsync(handle.fileno())

    def release(self) -> None:
        """Close this process's file so that it can be replayed (by us or by another)."""
        if self._handle is not None:
            self._handle.close()
        self._handle, self._own = None, None

    def pending(self) -> list[Path]:
        """Spill files present now, oldest first (this process's own file included)."""
        try:
            files = [p for p in self.directory.iterdir() if p.name.endswith(SUFFIX)]
        except OSError:
            return []
        return sorted(files, key=lambda p: p.name)

    def claim(self, path: Path) -> "Claimed | None":
        """Lock a file for replay; None when a live process still writes it or it is empty."""
        try:
            handle = open(path, "rb")
        except OSError:
            return None
        if not _try_lock(handle) or os.fstat(handle.fileno()).st_size == 0:
            handle.close()
            return None
        return Claimed(path, handle)

    def _open_own(self):
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}{SUFFIX}"
        self._own = self.directory / name
        self._handle = open(self._own, "ab")
        _lock(self._handle)
        return self._handle


class Claimed:
    """A spill file locked for replay: read its events, then remove it once delivered."""

    def __init__(self, path: Path, handle):
        self.path = path
        self._handle = handle
        self.torn = 0

    def events(self) -> Iterator[bytes]:
        """Each whole event line; a line cut short by a crash is skipped and counted."""
        for line in self._handle:
            line = line.strip()
            if _whole_event(line):
                yield line
            elif line:
                self.torn += 1

    def remove(self) -> None:
        try:
            os.unlink(self.path)
        finally:
            self._handle.close()

    def keep(self) -> None:
        self._handle.close()


def _whole_event(line: bytes) -> bool:
    if not (line.startswith(b"{") and line.endswith(b"}")):
        return False
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def _lock(handle) -> None:
    if fcntl is not None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)


def _try_lock(handle) -> bool:
    if fcntl is None:
        return True
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True
