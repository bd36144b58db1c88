"""Starting a real `p402 serve` on 127.0.0.1 and talking to it, for the local tests."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

KEY = "test-key-local"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """One `p402 serve` process with its own data dir and log file."""

    def __init__(self, data_dir: Path, port: int | None = None, key: str = KEY,
                 extra_args: list[str] | None = None):
        self.data_dir = data_dir
        self.port = port or free_port()
        self.key = key
        self.extra_args = extra_args or ["--jobs-every", "0"]
        self.log_path = data_dir.parent / f"serve-{self.port}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Server":
        env = dict(os.environ, P402_API_KEY=self.key)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "p402.cli", "serve", "--port", str(self.port),
             "--data-dir", str(self.data_dir), *self.extra_args],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_healthy()
        return self

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"p402 serve exited: {self.log_path.read_text()[-500:]}")
            try:
                with urllib.request.urlopen(self.url + "/v1/health", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("p402 serve did not answer /v1/health")


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
