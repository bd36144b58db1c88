"""`p402 serve`: the Lambda's own API handler behind a local HTTP server on 127.0.0.1.

Each request becomes an API Gateway HTTP API (payload 2.0) event and goes through the same
resolver Lambda runs. Accepted events are fsynced to the local lake's write-ahead log before
the 202; a background thread flushes them to Parquet and runs the jobs on a timer.
"""

import base64
import ipaddress
import logging
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from p402.ingest import MAX_BODY_BYTES
from p402.keys import ALL_PROJECTS, KeyGrant, KeyRing, hash_key, new_key

log = logging.getLogger("p402.serve")
SEAL_EVERY_SECONDS = 1.0
KEY_ENV = "P402_API_KEY"


def serve_command(args) -> int:
    from p402.local.runtime import LocalRuntime

    if not _may_bind(args.host, args.allow_remote):
        print(f"p402 serve: --host {args.host} is not a loopback address; pass "
              "--allow-remote to expose the API beyond this machine", file=sys.stderr)
        return 2
    data_dir = Path(args.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    key, origin = api_key(data_dir)

    try:
        _check_budgets(data_dir, args.budgets)
        runtime = LocalRuntime(data_dir, KeyRing(key_grants(data_dir, key)), args.prices,
                               args.budgets)
        server = _server(args.host, args.port, runtime)
    except (OSError, ValueError, KeyError) as exc:  # a taken port, a bad price file or keys
        print(f"p402 serve: {exc}", file=sys.stderr)
        return 2
    runtime.recover()
    if args.sample:
        runtime.load_sample_once()
    _announce(args.host, server.server_address[1], key, origin)
    _run_until_stopped(server, runtime, args.jobs_every)
    return 0


def _check_budgets(data_dir: Path, given: str | None) -> None:
    """A broken budgets file stops the start: alerts must not be off without anyone
    knowing. (An edit that breaks it later is logged, and the jobs keep the ranking.)"""
    from p402.local.jobs_runner import budgets_path, load_budgets

    load_budgets(budgets_path(data_dir, given))


def _may_bind(host: str, allow_remote: bool) -> bool:
    if allow_remote or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def api_key(data_dir: Path) -> tuple[str, str]:
    """The key from P402_API_KEY, or one generated once and kept in <data-dir>/api_key
    (readable by its owner only) so that `make run` can show it again."""
    if os.environ.get(KEY_ENV):
        return os.environ[KEY_ENV], f"from ${KEY_ENV}"
    path = data_dir / "api_key"
    if path.exists():
        return path.read_text().strip(), f"kept in {path}"
    key = new_key()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key + "\n")
    return key, f"generated and kept in {path}"


def key_grants(data_dir: Path, key: str) -> list[KeyGrant]:
    """The server's own key may write any project; <data-dir>/keys.json may add keys bound
    to projects: [{"name": ..., "key_sha256": ..., "projects": [...]}]."""
    grants = [KeyGrant(hash_key(key), frozenset({ALL_PROJECTS}), "local")]
    extra = data_dir / "keys.json"
    if extra.exists():
        for entry in json.loads(extra.read_text()):
            grants.append(KeyGrant(entry["key_sha256"], frozenset(entry["projects"]),
                                   entry.get("name", "key")))
    return grants


class _IPv6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


def _server(host: str, port: int, runtime) -> ThreadingHTTPServer:
    handler = type("Handler", (_Handler,), {"runtime": runtime})
    kind = _IPv6Server if ":" in host else ThreadingHTTPServer
    try:
        server = kind((host, port), handler)
    except OSError as exc:
        raise OSError(f"cannot listen on {host} port {port}: {exc.strerror or exc}") from None
    server.daemon_threads = True
    return server


def _announce(host: str, port: int, key: str, origin: str) -> None:
    url = f"http://{host}:{port}"
    print(f"p402 is serving {url}  (POST {url}/v1/events, dashboard {url}/dashboard)")
    print(f"API key ({origin}): {key}", flush=True)


def _run_until_stopped(server: ThreadingHTTPServer, runtime, jobs_every: float) -> None:
    stop = threading.Event()

    def shut_down(*_: Any) -> None:
        stop.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shut_down)
    signal.signal(signal.SIGINT, shut_down)
    background = threading.Thread(target=_background, args=(runtime, stop, jobs_every),
                                  daemon=True)
    background.start()
    server.serve_forever(poll_interval=0.2)
    stop.set()
    background.join(timeout=10)
    runtime.close()


def _background(runtime, stop: threading.Event, jobs_every: float) -> None:
    """Every second: hands the WAL segment to the housekeeping process (restarted if it
    died); runs the jobs on their timer."""
    housekeeper = _start_housekeeper(runtime.data_dir)
    last_jobs = time.monotonic()
    while not stop.wait(SEAL_EVERY_SECONDS):
        _keep_going("seal", runtime.seal)
        if housekeeper.poll() is not None:
            log.error("housekeeping process exited; starting it again",
                      extra={"exit_code": housekeeper.returncode})
            housekeeper = _start_housekeeper(runtime.data_dir)
        if jobs_every > 0 and time.monotonic() - last_jobs >= jobs_every:
            _keep_going("jobs", runtime.run_jobs)
            last_jobs = time.monotonic()
    housekeeper.terminate()
    housekeeper.wait(timeout=10)


def _start_housekeeper(data_dir: Path) -> subprocess.Popen:
    """p402.local.flusher: WAL to Parquet, compaction and settling, on the other core."""
    return subprocess.Popen([sys.executable, "-m", "p402.local.flusher", str(data_dir),
                             str(os.getpid())])


def _keep_going(task: str, action) -> None:
    """One background task; a failure is logged and the task is tried again on its next
    turn. The thread must outlive it: acknowledged events stay safe in the WAL meanwhile."""
    try:
        action()
    except Exception:
        log.exception("background task failed", extra={"task": task})


class _Handler(BaseHTTPRequestHandler):
    """Turns one HTTP request into an API Gateway HTTP API event for the resolver."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without this, Nagle's algorithm and the
    # client's delayed ACK hold every answer back by about 40 ms.
    disable_nagle_algorithm = True
    server_version = "p402"
    sys_version = ""
    runtime = None  # set on the subclass made by _server

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def log_message(self, format: str, *args: Any) -> None:
        return  # request lines may carry ids in paths; the API logs its own summary

    def _dispatch(self) -> None:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            body = self._chunked_body()
        else:
            length = self._content_length()
            body = None if length is None else self.rfile.read(length) if length else b""
        if body is None:
            return
        answer = self.runtime.handle(_api_event(self, body))
        self._reply(answer)

    def _chunked_body(self) -> bytes | None:
        """A body sent with Transfer-Encoding: chunked, read to its last chunk."""
        parts, size = [], 0
        while True:
            line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                chunk = int(line, 16)
            except ValueError:
                return self._refuse(400, "body: a chunked body with a bad chunk size")
            if chunk == 0:
                break
            size += chunk
            if size > MAX_BODY_BYTES:
                return self._refuse(413, f"body: more than {MAX_BODY_BYTES} bytes")
            parts.append(self.rfile.read(chunk))
            self.rfile.readline(8)
        while self.rfile.readline(1024).strip():
            pass  # trailers, unused
        return b"".join(parts)

    def _refuse(self, status: int, message: str) -> None:
        self.close_connection = True
        self._reply(_plain(status, {"error": message}))
        return None

    def _content_length(self) -> int | None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            return self._refuse(400, "Content-Length: expected a whole number")
        if length > MAX_BODY_BYTES:
            return self._refuse(413, f"body: got {length} bytes, expected at most "
                                f"{MAX_BODY_BYTES}")
        return length

    def _reply(self, answer: dict[str, Any]) -> None:
        body = answer.get("body") or ""
        data = base64.b64decode(body) if answer.get("isBase64Encoded") else body.encode()
        self.send_response(answer.get("statusCode", 500))
        for name, value in (answer.get("headers") or {}).items():
            self.send_header(name, value)
        for cookie in answer.get("cookies") or []:
            self.send_header("Set-Cookie", cookie)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _api_event(request: BaseHTTPRequestHandler, body: bytes) -> dict[str, Any]:
    url = urlsplit(request.path)
    headers = {name.lower(): value for name, value in request.headers.items()}
    try:
        text, encoded = body.decode(), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode(), True
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": url.path,
        "rawQueryString": url.query,
        "headers": headers,
        "cookies": [c.strip() for c in headers.get("cookie", "").split(";") if c.strip()],
        "queryStringParameters": dict(parse_qsl(url.query)) or None,
        "requestContext": {
            "http": {"method": request.command, "path": url.path, "protocol": "HTTP/1.1",
                     "sourceIp": request.client_address[0],
                     "userAgent": headers.get("user-agent", "")},
            "requestId": str(uuid.uuid4()),
            "stage": "$default",
            "timeEpoch": int(time.time() * 1000),
        },
        "body": text,
        "isBase64Encoded": encoded,
    }


def _plain(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"},
            "body": json.dumps(body)}
