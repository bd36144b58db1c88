"""API Gateway (HTTP API) Lambda authorizer: a presented API key against the stored hashes."""

import os
import time
from dataclasses import dataclass

import boto3

from p402.adapters.aws.key_store import SecretKeyStore
from p402.keys import KeyRing

BEARER = "bearer "


@dataclass(frozen=True)
class AuthorizerSettings:
    keys_secret_arn: str
    cache_seconds: float

    @classmethod
    def from_env(cls) -> "AuthorizerSettings":
        return cls(keys_secret_arn=os.environ["KEYS_SECRET_ARN"],
                   cache_seconds=float(os.environ.get("KEYS_CACHE_SECONDS", "60")))


class CachedKeyRing:
    """Re-reads the grants at most once per `cache_seconds`, so a new key works soon."""

    def __init__(self, store: SecretKeyStore, cache_seconds: float, clock=time.monotonic):
        self._store = store
        self._ttl = cache_seconds
        self._clock = clock
        self._ring: KeyRing | None = None
        self._loaded_at = 0.0

    def ring(self) -> KeyRing:
        if self._ring is None or self._clock() - self._loaded_at >= self._ttl:
            self._ring = KeyRing(self._store.grants())
            self._loaded_at = self._clock()
        return self._ring


_keys: CachedKeyRing | None = None


def presented_key(event: dict) -> str | None:
    """The key from `Authorization: Bearer <key>` (or the bare key in that header)."""
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    value = (headers.get("authorization") or "").strip()
    if value.lower().startswith(BEARER):
        value = value[len(BEARER):].strip()
    return value or None


def decide(event: dict, keys: CachedKeyRing) -> dict:
    """The simple-response answer: allowed or not, and which projects the key may write."""
    grant = keys.ring().find(presented_key(event))
    if grant is None:
        return {"isAuthorized": False}
    return {"isAuthorized": True,
            "context": {"projects": ",".join(sorted(grant.projects)), "key_name": grant.name}}


def handler(event: dict, _context) -> dict:
    global _keys
    if _keys is None:
        settings = AuthorizerSettings.from_env()
        store = SecretKeyStore(boto3.client("secretsmanager"), settings.keys_secret_arn)
        _keys = CachedKeyRing(store, settings.cache_seconds)
    return decide(event, _keys)
