"""Benchmark of the p402 client: cost on the application's thread, and delivery rate.

Prints figures; asserts nothing. Targets: under 20 microseconds per recorded call on the
application's thread, and at least 50,000 events/s delivered to a local server.

    .venv/bin/python bench/client_bench.py            # against a stdlib sink on 127.0.0.1
    .venv/bin/python bench/client_bench.py --serve    # also against a real `p402 serve`
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

from p402.client import Recorder

USAGE = SimpleNamespace(prompt_tokens=1200, completion_tokens=300,
                        prompt_tokens_details=None, completion_tokens_details=None)
RESPONSE = SimpleNamespace(model="gpt-4o-mini", usage=USAGE, _request_id="req_1")


SINK = r"""
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        answer = json.dumps({"accepted": body.count(b'"event_id"'), "rejected": []}).encode()
        self.send_response(202)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass

httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(httpd.server_address[1], flush=True)
httpd.serve_forever()
"""


class Sink:
    """A local server in its own process that answers 202 to every batch."""

    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, "-c", SINK], stdout=subprocess.PIPE,
                                     text=True)
        self.url = f"http://127.0.0.1:{int(self.proc.stdout.readline())}"

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait()


def app_thread_cost(url: str, calls: int) -> float:
    """Microseconds per record() on the caller's thread (the sender runs beside it)."""
    recorder = Recorder(url, "key", spill_dir=None, max_queue=calls + 1, flush_interval=60,
                        close_timeout=120)
    started = time.perf_counter()
    for _ in range(calls):
        recorder.record("openai", None, RESPONSE, workflow_id="bench", customer_id="c-1")
    elapsed = time.perf_counter() - started
    recorder.close()
    return elapsed / calls * 1e6


def delivery_rate(url: str, key: str, events: int) -> tuple[float, dict]:
    """Events per second from the first record() to close() returning."""
    recorder = Recorder(url, key, spill_dir=None, max_queue=events + 1, batch_size=1000,
                        close_timeout=120)
    started = time.perf_counter()
    for _ in range(events):
        recorder.record("openai", "gpt-4o-mini", {"usage": {"prompt_tokens": 1200,
                                                            "completion_tokens": 300}},
                        workflow_id="bench")
    recorder.close()
    return events / (time.perf_counter() - started), recorder.stats()


def real_server(events: int) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    data = Path(tempfile.mkdtemp(prefix="p402-bench-")) / "data"
    p402 = Path(sys.executable).parent / "p402"
    server = subprocess.Popen([str(p402), "serve", "--host", "127.0.0.1", "--port", str(port),
                               "--data-dir", str(data)], env=dict(os.environ, P402_API_KEY="b"),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait(url)
        rate, stats = delivery_rate(url, "b", events)
        print(f"delivery to p402 serve:         {rate:12,.0f} events/s  {stats}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait()


def _wait(url: str) -> None:
    for _ in range(300):
        try:
            urllib.request.urlopen(url + "/v1/health", timeout=1).read()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("p402 serve did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--serve", action="store_true", help="also bench a real p402 serve")
    args = parser.parse_args()

    sink = Sink()
    cost = app_thread_cost(sink.url, args.calls)
    print(f"record() on the app thread:     {cost:12.2f} us per call (target < 20)")
    rate, stats = delivery_rate(sink.url, "key", args.events)
    print(f"delivery to a local sink:       {rate:12,.0f} events/s (target >= 50,000)  {stats}")
    sink.close()
    if args.serve:
        real_server(min(args.events, 50_000))


if __name__ == "__main__":
    main()
