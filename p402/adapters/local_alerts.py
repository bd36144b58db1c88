"""The jobs' local edges: alerts to stdout and a file, alert state and snapshots as files.

Layout under the data dir:
  alerts.jsonl            every published alert, one JSON object a line (fsynced)
  alert_state.jsonl       claimed alert keys, one a line, appended under a flock
  snapshots/<name>.json   the latest job results, each replaced atomically
"""

import fcntl
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from p402.adapters.parquet import fsync_dir

ALERTS_FILE = "alerts.jsonl"
STATE_FILE = "alert_state.jsonl"
SNAPSHOT_DIR = "snapshots"


class LocalAlertPublisher:
    """AlertPublisher: one JSON line to stdout, and the same line appended to alerts.jsonl."""

    def __init__(self, data_dir: Path | str, stream: IO[str] | None = None):
        self.path = Path(data_dir) / ALERTS_FILE
        self.stream = stream

    def publish(self, alert: dict[str, Any]) -> None:
        line = json.dumps(alert, separators=(",", ":"), default=str) + "\n"
        _append_durably(self.path, line.encode())

        stream = self.stream or sys.stdout
        stream.write(line)
        stream.flush()


class LocalAlertState:
    """AlertState: an append-only file of claimed keys; a flock makes each claim atomic
    across processes (the server's timer and a `p402 run-jobs` may run at once)."""

    def __init__(self, data_dir: Path | str):
        self.path = Path(data_dir) / STATE_FILE

    def claim(self, key: str) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            handle.seek(0)
            if key in _claimed_keys(handle.read()):
                return False

            record = {"key": key, "claimed_at": datetime.now(UTC).isoformat()}
            handle.write((json.dumps(record, separators=(",", ":")) + "\n").encode())
            handle.flush()
            os.fsync(handle.fileno())
            return True


def _claimed_keys(data: bytes) -> set[str]:
    """Keys of whole lines; a line cut short by a crash was never claimed."""
    keys = set()
    for line in data.splitlines(keepends=True):
        if line.endswith(b"\n"):
            try:
                keys.add(json.loads(line)["key"])
            except (ValueError, KeyError, TypeError):
                continue
    return keys


class LocalSnapshotStore:
    """SnapshotStore: one JSON file per name, written to a temporary file and renamed."""

    def __init__(self, data_dir: Path | str):
        self.root = Path(data_dir) / SNAPSHOT_DIR

    def write(self, name: str, document: Any) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        target = self._path(name)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        with open(temporary, "wb") as handle:
            handle.write(json.dumps(document, indent=1, default=str).encode())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
        fsync_dir(self.root)

    def read(self, name: str) -> Any | None:
        try:
            return json.loads(self._path(name).read_text())
        except FileNotFoundError:
            return None

    def _path(self, name: str) -> Path:
        if not name.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"snapshot name: got {name!r}, expected letters, digits, _ or -")
        return self.root / f"{name}.json"


def _append_durably(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
