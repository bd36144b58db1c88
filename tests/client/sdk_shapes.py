"""Stand-ins for provider SDK objects, built from the JSON chunks of a stream case.

OpenAI, Anthropic and google-genai return pydantic models: every declared field exists
(unset ones are None), `model_dump()` gives a dict with the nulls, and google-genai names
its fields in snake_case. These stand-ins behave the same without importing any SDK.
"""

import re
from typing import Any


class SdkModel:
    """An object with attributes and model_dump(), like an SDK's pydantic model."""

    def __init__(self, data: dict[str, Any]):
        for key, value in data.items():
            setattr(self, key, _wrap(value))

    def model_dump(self) -> dict[str, Any]:
        return {k: _unwrap(v) for k, v in vars(self).items()}


def sdk_chunks(provider: str, chunks: list[dict]) -> list[SdkModel]:
    """The chunks as SDK objects: snake_case for Google, every usage field on every usage."""
    if provider == "google":
        chunks = [_snake(chunk) for chunk in chunks]
    fields = set()
    for chunk in chunks:
        fields.update(_usages(chunk))
    return [SdkModel(_fill_usage(chunk, fields)) for chunk in chunks]


def _usages(value: Any) -> set[str]:
    found = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("usage", "usage_metadata") and isinstance(item, dict):
                found.update(item)
            found.update(_usages(item))
    return found


def _fill_usage(value: Any, fields: set[str]) -> Any:
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        if key in ("usage", "usage_metadata") and isinstance(item, dict):
            item = {name: None for name in fields} | item
        out[key] = _fill_usage(item, fields)
    return out


def _snake(value: Any) -> Any:
    if isinstance(value, dict):
        return {re.sub(r"(?<!^)(?=[A-Z])", "_", k).lower(): _snake(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_snake(v) for v in value]
    return value


def _wrap(value: Any) -> Any:
    if isinstance(value, dict):
        return SdkModel(value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


def _unwrap(value: Any) -> Any:
    if isinstance(value, SdkModel):
        return value.model_dump()
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    return value
