"""Who may see the dashboard: a signed session cookie from the login form, or a bearer key.

The cookie holds an expiry time and the key's name, signed with HMAC-SHA256 under a server
secret (kept in `<data-dir>/dashboard_secret` locally, in Secrets Manager on AWS). It
holds no key and no figure; once expired or tampered with it is worth nothing.
"""

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

COOKIE_NAME = "p402_session"
COOKIE_PATH = "/dashboard"
SESSION_SECONDS = 3600
SECRET_FILE = "dashboard_secret"
_VERSION = "v1"


class KeyFinder(Protocol):
    """A KeyRing, or anything that finds the grant of a presented key."""

    def find(self, presented: str | None) -> Any | None: ...


class Sessions:
    """Issues and checks session cookie values."""

    def __init__(self, secret: bytes, clock: Callable[[], float],
                 lifetime_seconds: int = SESSION_SECONDS, secure: bool = False):
        if len(secret) < 16:
            raise ValueError("dashboard secret: got fewer than 16 bytes, expected at least 16")
        self._secret = secret
        self._clock = clock
        self.lifetime = lifetime_seconds
        self.secure = secure

    def issue(self, name: str) -> str:
        expires = int(self._clock()) + self.lifetime
        payload = f"{_VERSION}.{expires}.{_b64(name)}"
        return f"{payload}.{self._sign(payload)}"

    def verify(self, value: str | None) -> str | None:
        """The key name a valid, unexpired cookie value was issued for; else None."""
        parts = (value or "").split(".")
        if len(parts) != 4 or parts[0] != _VERSION:
            return None
        payload = ".".join(parts[:3])
        if not hmac.compare_digest(parts[3], self._sign(payload)):
            return None
        if not parts[1].isdigit() or int(parts[1]) <= self._clock():
            return None
        return _unb64(parts[2])

    def set_cookie(self, value: str) -> str:
        return self._cookie(value, self.lifetime)

    def clear_cookie(self) -> str:
        return self._cookie("", 0)

    def _cookie(self, value: str, max_age: int) -> str:
        secure = "; Secure" if self.secure else ""
        return (f"{COOKIE_NAME}={value}; Path={COOKIE_PATH}; Max-Age={max_age}; HttpOnly; "
                f"SameSite=Strict{secure}")

    def _sign(self, payload: str) -> str:
        return hmac.new(self._secret, payload.encode(), hashlib.sha256).hexdigest()


def cookie_value(cookies: list[str] | None) -> str | None:
    """The session cookie among the request's `name=value` cookies."""
    for cookie in cookies or []:
        name, _, value = cookie.strip().partition("=")
        if name == COOKIE_NAME:
            return value
    return None


def bearer(value: str | None) -> str | None:
    if value and value[:7].lower() == "bearer ":
        return value[7:].strip() or None
    return None


def local_secret(data_dir: Path | str) -> bytes:
    """The data dir's dashboard secret, made once (readable by its owner only)."""
    path = Path(data_dir) / SECRET_FILE
    if path.exists():
        return bytes.fromhex(path.read_text().strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_bytes(32)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secret.hex() + "\n")
    return secret


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _unb64(text: str) -> str | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
