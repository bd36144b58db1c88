"""A real `p402 serve` on 127.0.0.1 and a scripted fake, for the client's tests.

The real server runs from this checkout's virtual environment with a temporary data dir,
on a free port; the ledger is read back with `p402 query`. The fake server answers with
scripted statuses so that retries, splits and refusals can be tested exactly.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DATA = Path(__file__).parent / "data"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalP402:
    """`p402 serve` on a fixed port; stop() and start() again keep the same data dir."""

    def __init__(self, data_dir: Path, port: int):
        self.data_dir = data_dir
        self.port = port
        self.key = "test-" + uuid.uuid4().hex[:12]
        self.url = f"http://127.0.0.1:{port}"
        self._proc: subprocess.Popen | None = None

    def start(self) -> "LocalP402":
        command = [str(BIN / "p402"), "serve", "--host", "127.0.0.1", "--port",
                   str(self.port), "--data-dir", str(self.data_dir)]
        self._proc = subprocess.Popen(command, env=dict(os.environ, P402_API_KEY=self.key),
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      start_new_session=True)
        self._wait_healthy()
        return self

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None

    def query(self, sql: str) -> list[dict]:
        done = subprocess.run([str(BIN / "p402"), "query", "--data-dir", str(self.data_dir),
                               "--json", sql], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-500:]
        return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]

    def rows_when(self, sql: str, ready, timeout: float = 20.0) -> list[dict]:
        """The query's rows once `ready(rows)` holds (the lake lands events within ~1 s)."""
        deadline = time.monotonic() + timeout
        rows = self.query(sql)
        while not ready(rows) and time.monotonic() < deadline:
            time.sleep(0.3)
            rows = self.query(sql)
        return rows

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/v1/health", timeout=1).read()
                return
            except OSError:
                if self._proc.poll() is not None:
                    raise RuntimeError("p402 serve exited at start") from None
                time.sleep(0.1)
        raise RuntimeError("p402 serve did not answer /v1/health within 60 s")


class FakeP402:
    """Answers POST /v1/events with the scripted statuses in turn (then 202 for all)."""

    def __init__(self, statuses: list[int]):
        self.statuses = list(statuses)
        self.batches: list[list[dict]] = []
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def events(self) -> list[dict]:
        return [event for batch in self.batches for event in batch]

    def _answer(self, events: list[dict]) -> tuple[int, dict]:
        with self.lock:
            status = self.statuses.pop(0) if self.statuses else 202
            if status == 413 and len(events) == 1:
                status = 202
            if status < 300:
                self.batches.append(events)
        if status < 300:
            return status, {"accepted": len(events), "rejected": []}
        return status, {"message": "scripted"}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status, answer = fake._answer(json.loads(body))
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        return Handler

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def load_cases(folder: str) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((DATA / folder).glob("*.json"))]
