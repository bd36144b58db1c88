"""Small helpers the tests share: fixture files, price books, events."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from p402.pricing import PriceBook, load_price_file

DATA = Path(__file__).parent.parent / "data"
RECEIVED_AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def load_json(relative: str) -> Any:
    return json.loads((DATA / relative).read_text())


def corpus_cases() -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted((DATA / "cases").glob("*.json"))]


def price_book(entries: list[dict[str, Any]] | None = None) -> PriceBook:
    if not entries:
        return PriceBook()
    return PriceBook(*load_price_file(json.dumps(entries)))


def openai_event(**fields: Any) -> dict[str, Any]:
    event = {"provider": "openai", "model": "gpt-4o", "occurred_at": "2026-11-30T10:00:00Z",
             "usage": {"prompt_tokens": 1000, "completion_tokens": 100, "total_tokens": 1100}}
    event.update(fields)
    return event
