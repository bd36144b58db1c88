"""SnapshotStore on S3: one JSON object per name under the snapshot prefix."""

import json
from typing import Any


class S3SnapshotStore:
    """Keeps the latest job results; reading a name never written gives None."""

    def __init__(self, client: Any, bucket: str, prefix: str = "snapshots/"):
        self._client = client
        self._bucket = bucket
        self._prefix = prefix

    def write(self, name: str, document: Any) -> None:
        body = json.dumps(document, default=str, sort_keys=True).encode()
        self._client.put_object(Bucket=self._bucket, Key=self._key(name), Body=body,
                                ContentType="application/json")

    def read(self, name: str) -> Any | None:
        try:
            response = self._client.get_object(Bucket=self._bucket, Key=self._key(name))
        except self._client.exceptions.NoSuchKey:
            return None
        return json.loads(response["Body"].read())

    def _key(self, name: str) -> str:
        if not name or "/" in name or name.startswith("."):
            raise ValueError(f"snapshot name: got {name!r}, expected a plain file name")
        return f"{self._prefix}{name}.json"
