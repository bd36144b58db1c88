"""Helpers for the Bedrock import tests: the bundled log set, its records, gzip writing."""

import gzip
import json
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

BEDROCK_SET = REPO_ROOT / "tests" / "data" / "bedrock"
LOGS_ROOT = "AWSLogs/111122223333/BedrockModelInvocationLogs"
HOUR = f"{LOGS_ROOT}/us-east-1/2026/11/30/14"


def log_objects() -> list[Path]:
    """The bundled log objects (not the permission check, not the data/ bodies)."""
    return sorted((BEDROCK_SET / "logs" / HOUR).glob("*.json.gz"))


def corpus_records() -> list[dict]:
    """Every record of the bundled logs, in file order."""
    records = []
    for path in log_objects():
        with gzip.open(path, "rt") as lines:
            records.extend(json.loads(line) for line in lines if line.strip())
    return records


def record_with(request_id_suffix: str) -> dict:
    """One bundled record, chosen by the end of its requestId (…0001 to …0005)."""
    return next(r for r in corpus_records() if r["requestId"].endswith(request_id_suffix))


def write_gzip_lines(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt") as out:
        out.writelines(line + "\n" for line in lines)
    return path
