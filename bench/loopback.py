"""A guard for benchmark processes: any connection beyond 127.0.0.1 raises instead of leaving.

LiteLLM is told to read its bundled price map (LITELLM_LOCAL_MODEL_COST_MAP); this guard
makes sure nothing else in the process reaches the network either, and counts the attempts
so a benchmark can print them.
"""

import socket

attempts: list[str] = []
_connect = socket.socket.connect
_LOOPBACK = ("127.0.0.1", "::1", "localhost")


def _guarded_connect(sock: socket.socket, address) -> None:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and (host in _LOOPBACK or sock.family == socket.AF_UNIX):
        return _connect(sock, address)
    attempts.append(str(host))
    raise ConnectionRefusedError(f"bench: connection to {host!r} refused (loopback only)")


def forbid_remote_connections() -> None:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
