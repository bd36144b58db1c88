"""Starting a real `p402 serve` on 127.0.0.1 and talking to it, for the local tests."""

import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from serve_process import ServeProcess  # tests/support

import pytest

KEY = "test-key-local"


class Server(ServeProcess):
    """`p402 serve` with the local tests' key and a log file beside its data dir."""

    def __init__(self, data_dir: Path, port: int | None = None, key: str = KEY,
                 extra_args: list[str] | None = None):
        super().__init__(data_dir, port, key, tuple(extra_args or ["--jobs-every", "0"]),
                         log_path=data_dir.parent / "serve.log")


def post(url: str, body: Any = None, key: str | None = KEY, raw: bytes | None = None,
         timeout: float = 10) -> tuple[int, dict]:
    data = raw if raw is not None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(url + "/v1/events", data=data, headers=headers,
                                     method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        text = error.read()
        try:
            return error.code, json.loads(text or b"{}")
        except ValueError:
            return error.code, {"raw": text.decode(errors="replace")}


def query(data_dir: Path, sql: str) -> list[dict]:
    done = subprocess.run([sys.executable, "-m", "p402.cli", "query", "--data-dir",
                           str(data_dir), "--json", sql], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def event(event_id: str, **fields: Any) -> dict[str, Any]:
    body = {"event_id": event_id, "provider": "openai", "model": "gpt-4o-mini",
            "operation": "chat", "occurred_at": "2026-11-30T10:00:00Z",
            "workflow_id": "wf-test",
            "usage": {"prompt_tokens": 1000, "completion_tokens": 100, "total_tokens": 1100}}
    body.update(fields)
    return body


@pytest.fixture
def server(tmp_path):
    """A running `p402 serve` with a fresh data dir, stopped after the test."""
    running = Server(tmp_path / "data").start()
    yield running
    running.stop()
