"""AlertPublisher on SNS: the alert as JSON, with budget, owner and severity as attributes."""

import json
from typing import Any

from p402.ports import Row

SUBJECT_LIMIT = 100
ATTRIBUTE_SOURCES = {"budget": ("budget_id", "budget"), "owner": ("owner",),
                     "severity": ("severity",)}


class SnsAlertPublisher:
    """Subscribers filter on the message attributes (e.g. severity = critical)."""

    def __init__(self, client: Any, topic_arn: str):
        self._client = client
        self._topic_arn = topic_arn

    def publish(self, alert: Row) -> None:
        self._client.publish(
            TopicArn=self._topic_arn,
            Subject=subject_of(alert),
            Message=json.dumps(alert, default=str, sort_keys=True),
            MessageAttributes=message_attributes(alert))


def subject_of(alert: Row) -> str:
    """SNS subjects are one line of ASCII, at most 100 characters."""
    text = str(alert.get("title") or alert.get("message") or "p402 alert")
    line = " ".join(text.split()).encode("ascii", "replace").decode()
    return line[:SUBJECT_LIMIT]


def message_attributes(alert: Row) -> dict[str, dict[str, str]]:
    attributes = {}
    for attribute, keys in ATTRIBUTE_SOURCES.items():
        value = next((alert[key] for key in keys if alert.get(key)), None)
        if value is not None:
            attributes[attribute] = {"DataType": "String", "StringValue": str(value)}
    return attributes
