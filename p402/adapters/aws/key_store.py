"""API-key grants kept in a Secrets Manager secret: only SHA-256 hashes, each with projects.

Also a small command to add a key: it prints the new key once and stores only its hash.
  python -m p402.adapters.aws.key_store --secret-id ARN --name ci --projects checkout,search
"""

import argparse
import json
from typing import Any

from p402.keys import KeyGrant, hash_key, new_key


class SecretKeyStore:
    """Reads and extends the `{"grants": [{key_hash, projects, name}]}` document."""

    def __init__(self, client: Any, secret_id: str):
        self._client = client
        self._secret_id = secret_id

    def grants(self) -> list[KeyGrant]:
        return [KeyGrant(key_hash=entry["key_hash"], projects=frozenset(entry["projects"]),
                         name=entry.get("name", "default"))
                for entry in self._document()["grants"]]

    def add(self, name: str, projects: list[str]) -> str:
        """Create a key for `projects`, store its hash, and return the key (shown once)."""
        if not projects:
            raise ValueError("projects: got none, expected at least one project id or '*'")

        key = new_key()
        document = self._document()
        document["grants"].append({"key_hash": hash_key(key), "projects": sorted(projects),
                                   "name": name})
        self._client.put_secret_value(SecretId=self._secret_id,
                                      SecretString=json.dumps(document))
        return key

    def _document(self) -> dict[str, Any]:
        text = self._client.get_secret_value(SecretId=self._secret_id)["SecretString"]
        document = json.loads(text or "{}")
        document.setdefault("grants", [])
        return document


def main(argv: list[str] | None = None) -> None:
    import boto3

    parser = argparse.ArgumentParser(description="Add a p402 API key (its hash is stored).")
    parser.add_argument("--secret-id", required=True, help="the ApiKeysSecretArn output")
    parser.add_argument("--name", required=True, help="who or what uses the key")
    parser.add_argument("--projects", required=True, help="comma-separated ids, or '*'")
    args = parser.parse_args(argv)

    store = SecretKeyStore(boto3.client("secretsmanager"), args.secret_id)
    projects = [p.strip() for p in args.projects.split(",") if p.strip()]
    print(store.add(args.name, projects))


if __name__ == "__main__":
    main()
