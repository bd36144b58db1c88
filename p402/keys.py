"""API keys: stored only as SHA-256 hashes, each bound to the projects it may write."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

ALL_PROJECTS = "*"
KEY_PREFIX = "p402_"


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(24)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class KeyGrant:
    """What one key may do: write events for these projects (`*` for any)."""

    key_hash: str
    projects: frozenset[str]
    name: str = "default"

    def may_write(self, project_id: str | None) -> bool:
        return ALL_PROJECTS in self.projects or (project_id or "") in self.projects


class KeyRing:
    """Looks a presented key up among the stored hashes, in constant time per entry."""

    def __init__(self, grants: list[KeyGrant]):
        self._grants = list(grants)

    def find(self, presented: str | None) -> KeyGrant | None:
        if not presented:
            return None
        digest = hash_key(presented)
        found = None
        for grant in self._grants:
            if hmac.compare_digest(grant.key_hash, digest):
                found = grant
        return found
