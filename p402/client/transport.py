"""One keep-alive HTTP connection to the ingest API, posting batches of encoded events."""

import http.client
import json
import socket
import urllib.parse
from dataclasses import dataclass
from typing import Any

EVENTS_PATH = "/v1/events"
USER_AGENT = "p402-client/0.1"


@dataclass(frozen=True, slots=True)
class Reply:
    """What the API answered; status None when it could not be reached."""

    status: int | None
    body: Any = None
    retry_after: float | None = None


class Transport:
    """Posts JSON arrays of events; never raises, a failure is a Reply with status None."""

    def __init__(self, endpoint: str, api_key: str, timeout: float):
        url = urllib.parse.urlsplit(endpoint)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"endpoint: got {endpoint!r}, expected http(s)://host[:port]")
        self._https = url.scheme == "https"
        self._host, self._port = url.hostname, url.port
        path = url.path.rstrip("/")
        self._path = path if path.endswith(EVENTS_PATH) else path + EVENTS_PATH
        self._timeout = timeout
        self._headers = {"Authorization": f"Bearer {api_key}", "User-Agent": USER_AGENT,
                         "Content-Type": "application/json"}
        self._conn: http.client.HTTPConnection | None = None

    def post(self, lines: list[bytes]) -> Reply:
        """POST the events as one JSON array; a stale kept-alive connection is retried once."""
        body = b"[" + b",".join(lines) + b"]"
        reused = self._conn is not None
        reply = self._send(body)
        if reply.status is None and reused:
            reply = self._send(body)
        return reply

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None

    def _send(self, body: bytes) -> Reply:
        try:
            conn = self._conn or self._connect()
            conn.request("POST", self._path, body, self._headers)
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            return Reply(None)

        if response.getheader("Connection", "").lower() == "close":
            self.close()
        return Reply(response.status, _json(data), _seconds(response.getheader("Retry-After")))

    def _connect(self) -> http.client.HTTPConnection:
        kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        conn = kind(self._host, self._port, timeout=self._timeout)
        conn.connect()
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._conn = conn
        return conn


def _json(data: bytes) -> Any:
    try:
        return json.loads(data) if data else None
    except ValueError:
        return None


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
