"""AlertState on DynamoDB: a conditional put, so each alert key is claimed exactly once."""

import time
from typing import Any

KEY_ATTRIBUTE = "alert_key"
EXPIRY_ATTRIBUTE = "expires_at"
KEEP_SECONDS = 400 * 24 * 3600  # longer than any budget period, then DynamoDB TTL removes it


class DynamoAlertState:
    """`claim` puts the key only if absent; a second claim, by any process, gets False."""

    def __init__(self, client: Any, table_name: str, clock=time.time):
        self._client = client
        self._table = table_name
        self._clock = clock

    def claim(self, key: str) -> bool:
        now = int(self._clock())
        try:
            self._client.put_item(
                TableName=self._table,
                Item={KEY_ATTRIBUTE: {"S": key},
                      "claimed_at": {"N": str(now)},
                      EXPIRY_ATTRIBUTE: {"N": str(now + KEEP_SECONDS)}},
                ConditionExpression=f"attribute_not_exists({KEY_ATTRIBUTE})")
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True
