"""Reads Bedrock invocation-log objects as Bedrock lays them out in S3, from disk or bytes.

Bedrock writes gzip JSON lines (one record a line) under
  AWSLogs/<account>/BedrockModelInvocationLogs/<region>/YYYY/MM/DD/HH/<name>.json.gz
with two kinds of object that are not logs: `amazon-bedrock-logs-permission-check`, and
large request or response bodies offloaded under a `data/` folder beside the logs. Both
are skipped. A line that is not JSON is counted with its file and line number (never its
content) and the rest of the object is still read.
"""

import gzip
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO
from urllib.parse import unquote_plus

PERMISSION_CHECK = "amazon-bedrock-logs-permission-check"
LOGS_FOLDER = "BedrockModelInvocationLogs"
BODIES_FOLDER = "data"
LOG_SUFFIXES = (".json.gz", ".json")
GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class BadLine:
    """A line that could not be read: where it is and why, never what it says."""

    where: str
    line: int
    reason: str


@dataclass
class ReadTally:
    """Objects read and skipped, and the lines that could not be read."""

    files: int = 0
    skipped_objects: int = 0
    bad_lines: list[BadLine] = field(default_factory=list)


@dataclass(frozen=True)
class ObjectRef:
    bucket: str
    key: str


class UnknownMessage(ValueError):
    """A queue message that names no S3 object in any shape this importer knows."""


def is_log_object(key: str) -> bool:
    """True for a log object; false for the permission check and offloaded bodies.

    `key` is an S3 key or a local path. Below a BedrockModelInvocationLogs folder (or
    anywhere in a key without one) a `data` folder holds bodies, never logs.
    """
    parts = PurePosixPath(key).parts
    if not parts or parts[-1] == PERMISSION_CHECK or not parts[-1].endswith(LOG_SUFFIXES):
        return False
    return BODIES_FOLDER not in _below_logs_folder(parts[:-1])


def records_from_body(body: bytes, where: str, tally: ReadTally) -> Iterator[Any]:
    """The records of one object's bytes: gzip or plain JSON lines, or one JSON document."""
    if body[:2] == GZIP_MAGIC:
        yield from _json_lines(gzip.GzipFile(fileobj=io.BytesIO(body)), where, tally)
        return

    whole = _one_document(body)
    if whole is not None:
        yield from whole if isinstance(whole, list) else [whole]
        return
    yield from _json_lines(io.BytesIO(body), where, tally)


def records_from_paths(paths: Iterable[str | Path], tally: ReadTally) -> Iterator[Any]:
    """The records of every log object in the given files and directories, in name order."""
    for path in log_object_paths(paths, tally):
        tally.files += 1
        yield from records_from_body(path.read_bytes(), str(path), tally)


def log_object_paths(paths: Iterable[str | Path], tally: ReadTally) -> Iterator[Path]:
    """The log objects among the given paths (directories are walked); counts the rest."""
    for given in map(Path, paths):
        if not given.exists():
            raise FileNotFoundError(f"{given}: no such file or directory")
        root, files = given.parent, [given]
        if given.is_dir():
            root, files = given, sorted(p for p in given.rglob("*") if p.is_file())

        for path in files:
            if is_log_object(_local_key(root, path)):
                yield path
            else:
                tally.skipped_objects += 1


def object_refs(message: Mapping[str, Any]) -> list[ObjectRef]:
    """The objects an SQS message names: an S3 event notification, an EventBridge
    "Object Created" event, or either inside an SNS envelope. The s3:TestEvent names none.
    Keys arrive URL-encoded ("a b" as "a+b") and are decoded here."""
    if message.get("Type") == "Notification" and isinstance(message.get("Message"), str):
        message = json.loads(message["Message"])
    if message.get("Event") == "s3:TestEvent":
        return []
    if message.get("detail-type") == "Object Created":
        return [_ref(message.get("detail"))]
    records = message.get("Records")
    if isinstance(records, list):
        return [_ref(record.get("s3")) for record in records if _is_created(record)]
    raise UnknownMessage("message: expected an S3 object-created notification, an "
                         "EventBridge Object Created event or an s3:TestEvent")


def _is_created(record: Any) -> bool:
    return isinstance(record, Mapping) and str(record.get("eventName", "")).startswith(
        "ObjectCreated")


def _ref(source: Any) -> ObjectRef:
    try:
        return ObjectRef(source["bucket"]["name"], unquote_plus(source["object"]["key"]))
    except (KeyError, TypeError):
        raise UnknownMessage("message: an S3 event without bucket.name and object.key"
                             ) from None


def _below_logs_folder(folders: tuple[str, ...]) -> tuple[str, ...]:
    if LOGS_FOLDER not in folders:
        return folders
    last = len(folders) - 1 - folders[::-1].index(LOGS_FOLDER)
    return folders[last + 1:]


def _local_key(root: Path, path: Path) -> str:
    """The path as an S3-like key: in Bedrock's layout from its logs folder on, otherwise
    relative to the directory given (so a `data` folder above it does not count)."""
    absolute = path.resolve()
    if LOGS_FOLDER in absolute.parts:
        return absolute.as_posix()
    return path.relative_to(root).as_posix()


def _one_document(body: bytes) -> Any:
    """A plain .json object holding one record, or a list of them; None otherwise."""
    try:
        document = json.loads(body)
    except ValueError:
        return None
    return document if isinstance(document, (dict, list)) else None


def _json_lines(stream: BinaryIO, where: str, tally: ReadTally) -> Iterator[Any]:
    number = 0
    try:
        for number, line in enumerate(stream, 1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except ValueError as exc:
                tally.bad_lines.append(BadLine(where, number, _reason(exc)))
    except (OSError, EOFError):
        # gzip.BadGzipFile is an OSError; a cut-off gzip stream ends in EOFError.
        tally.bad_lines.append(BadLine(where, number + 1, "unreadable from this line on "
                                                          "(damaged or truncated gzip)"))


def _reason(exc: ValueError) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"not JSON ({exc.msg} at column {exc.colno})"
    return "not UTF-8 text"
