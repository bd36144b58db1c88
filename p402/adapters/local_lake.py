"""The local sink: a write-ahead log fsynced before each acknowledgment, flushed to Parquet.

Layout under the data dir:
  wal/<segment>.open      JSON lines being appended by a live writer (it holds a flock)
  wal/<segment>.sealed    a full segment waiting to be flushed
  lake/ai_economic_events/dt=YYYY-MM-DD/part-<segment>.parquet   (and compact-*.parquet)

Any number of processes may write: each appends to its own segment. Flushing is done by one
process at a time (wal/.flush.lock). A segment left `.open` by a writer that died is
recovered by the next flush: its flock is free. A flush writes a segment's Parquet files
under names derived from the segment, then deletes the segment; a crash in between
replays the segment into the same names, so nothing is lost. Rows that still appear twice
(a replay after compaction, a client posting the same event_id again) are counted once by
the ledger view, which keeps one row per event_id.
"""

import fcntl
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from p402.adapters.parquet import (
    fsync_dir, group_by_partition, partition_dir, rows_to_table, write_atomically,
)

log = logging.getLogger("p402.lake")
TABLE = "ai_economic_events"
SEGMENT_BYTES = 16 * 1024 * 1024
COMPACT_WHEN_FILES = 16
SMALL_FILE_BYTES = 32 * 1024 * 1024


class LocalLake:
    """EventSink for a laptop: durable on put, queryable as Parquet after flush."""

    def __init__(self, data_dir: Path | str):
        self.data_dir = Path(data_dir)
        self.wal_dir = self.data_dir / "wal"
        self.table_root = self.data_dir / "lake" / TABLE
        self.wal_dir.mkdir(parents=True, exist_ok=True)
        self.table_root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._segment: _Segment | None = None

    def put(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        """Appends the rows to this process's WAL segment and fsyncs before returning."""
        if not rows:
            return []
        data = b"".join(orjson.dumps(row) + b"\n" for row in rows)
        with self._lock:
            segment = self._open_segment()
            segment.append(data)
            if segment.size >= SEGMENT_BYTES:
                self._seal_current()
        return []

    def seal(self) -> None:
        """Hands this process's segment over to whichever process flushes next."""
        with self._lock:
            self._seal_current()

    def flush(self) -> int:
        """Seals this process's segment and turns every finished segment into Parquet.

        Returns the number of rows flushed. Safe to call from any process at any time.
        """
        self.seal()
        with _FlushLock(self.wal_dir / ".flush.lock") as held:
            if not held:
                return 0
            return sum(self._flush_or_quarantine(path) for path in self._finished_segments())

    def close(self) -> None:
        self.flush()

    def wal_paths(self) -> list[Path]:
        return sorted(self.wal_dir.glob("*.open")) + sorted(self.wal_dir.glob("*.sealed"))

    def compact(self) -> int:
        """Merges the small files of each date partition into one; returns files removed."""
        removed = 0
        with _FlushLock(self.wal_dir / ".flush.lock") as held:
            if not held:
                return 0
            for partition in sorted(self.table_root.glob("dt=*")):
                removed += _compact_partition(partition)
        return removed

    def _open_segment(self) -> "_Segment":
        if self._segment is None:
            name = f"{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
            self._segment = _Segment(self.wal_dir / f"{name}.open")
        return self._segment

    def _seal_current(self) -> None:
        if self._segment is None:
            return
        segment, self._segment = self._segment, None
        segment.seal()

    def _finished_segments(self) -> Iterator[Path]:
        yield from sorted(self.wal_dir.glob("*.sealed"))
        for path in sorted(self.wal_dir.glob("*.open")):
            if _writer_is_gone(path):
                yield path

    def _flush_or_quarantine(self, path: Path) -> int:
        """A segment that cannot become Parquet (a damaged file) is moved aside to
        wal/quarantine/ and named in the log, so that it cannot stop every later segment
        from landing. Its bytes are kept for repair; its rows are not in the ledger."""
        try:
            return self._flush_segment(path)
        except (ValueError, UnicodeDecodeError, pa.ArrowException) as exc:
            quarantine = self.wal_dir / "quarantine"
            quarantine.mkdir(exist_ok=True)
            os.replace(path, quarantine / path.name)
            fsync_dir(self.wal_dir)
            log.error("WAL segment quarantined", extra={
                "segment": str(quarantine / path.name), "reason": type(exc).__name__})
            return 0

    def _flush_segment(self, path: Path) -> int:
        rows = list(read_wal_rows(path))
        for dt, group in group_by_partition(rows).items():
            target = partition_dir(self.table_root, dt) / f"part-{path.stem}.parquet"
            write_atomically(rows_to_table(group), target)
        path.unlink()
        fsync_dir(self.wal_dir)
        return len(rows)


class _Segment:
    """One writer's append-only WAL file, held under an exclusive flock while open."""

    def __init__(self, path: Path):
        self.path = path
        self.handle = open(path, "ab")
        fcntl.flock(self.handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        fsync_dir(path.parent)
        self.size = 0

    def append(self, data: bytes) -> None:
        self.handle.write(data)
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.size += len(data)

    def seal(self) -> None:
        sealed = self.path.with_suffix(".sealed")
        if self.size:
            os.replace(self.path, sealed)
        else:
            self.path.unlink()
        fsync_dir(self.path.parent)
        self.handle.close()


def _writer_is_gone(path: Path) -> bool:
    try:
        with open(path, "ab") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            return True
    except (BlockingIOError, FileNotFoundError):
        return False


def read_wal_rows(path: Path) -> Iterator[dict[str, Any]]:
    """The rows of one segment. A last line cut short by a crash was never acknowledged
    (the fsync that precedes every acknowledgment covers whole batches), so it is skipped."""
    with open(path, "rb") as handle:
        for line in handle:
            if not line.endswith(b"\n"):
                break
            yield orjson.loads(line)


class _FlushLock:
    def __init__(self, path: Path):
        self.path = path
        self.handle = None

    def __enter__(self) -> bool:
        self.handle = open(self.path, "ab")
        try:
            fcntl.flock(self.handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def __exit__(self, *exc: object) -> None:
        self.handle.close()


def _compact_partition(partition: Path) -> int:
    small = [p for p in sorted(partition.glob("*.parquet"))
             if p.stat().st_size < SMALL_FILE_BYTES]
    if len(small) < COMPACT_WHEN_FILES:
        return 0
    merged = pa.concat_tables(pq.read_table(p, partitioning=None) for p in small)
    write_atomically(merged, partition / f"compact-{uuid.uuid4().hex}.parquet")
    for path in small:
        path.unlink()
    fsync_dir(partition)
    return len(small)
