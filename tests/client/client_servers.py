"""A real `p402 serve` on 127.0.0.1 and a scripted fake, for the client's tests.

The real server runs from this checkout's virtual environment with a temporary data dir,
on a free port; the ledger is read back with `p402 query`. The fake server answers with
scripted statuses so that retries, splits and refusals can be tested exactly.
"""

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from serve_process import ServeProcess, free_port  # noqa: F401  (tests/support)

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DATA = Path(__file__).parent / "data"


class LocalP402(ServeProcess):
    """`p402 serve` on a fixed port; stop() and start() again keep the same data dir."""

    def __init__(self, data_dir: Path, port: int):
        super().__init__(data_dir, port, args=())

    def rows_when(self, sql: str, ready, timeout: float = 20.0) -> list[dict]:
        """The query's rows once `ready(rows)` holds (the lake lands events within ~1 s)."""
        deadline = time.monotonic() + timeout
        rows = self.query(sql)
        while not ready(rows) and time.monotonic() < deadline:
            time.sleep(0.3)
            rows = self.query(sql)
        return rows


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
