"""Reads provider SDK responses by their shape: attributes, `model_dump()`, or plain dicts.

No SDK is imported. OpenAI and Anthropic return pydantic models, google-genai returns
pydantic models with snake_case fields, boto3 returns dicts. Only usage objects and ids are
read out of them; text never is.
"""

import enum
import json
from collections.abc import Mapping
from typing import Any

# Keys under which a response carries its usage object, in the order they are tried.
USAGE_KEYS = ("usage", "usage_metadata", "usageMetadata")
# Keys that only a usage object has: a mapping holding one of them is taken as usage itself.
USAGE_MARKERS = frozenset({
    "prompt_tokens", "completion_tokens", "input_tokens", "output_tokens", "inputTokens",
    "outputTokens", "promptTokenCount", "prompt_token_count", "candidatesTokenCount",
    "candidates_token_count", "inputTokenCount", "generation_token_count",
})
BEDROCK_COUNT_HEADER = "x-amzn-bedrock-"
MAX_TEXT = 64  # a usage object holds numbers and short labels, never longer text
MAX_DEPTH = 6


class View(Mapping):
    """An SDK object seen as a read-only mapping of its attributes, for the stream rules."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any):
        self.obj = obj

    def __getitem__(self, key: str) -> Any:
        value = getattr(self.obj, key, _ABSENT)
        if value is _ABSENT:
            raise KeyError(key)
        return as_mapping(value)

    def __iter__(self):
        return iter(_field_names(self.obj))

    def __len__(self) -> int:
        return len(_field_names(self.obj))


_ABSENT = object()
_SCALARS = (str, int, float, bool, type(None), bytes, list, tuple)


def as_mapping(value: Any) -> Any:
    """Mappings and scalars as they are; any other object as a View of its attributes."""
    if isinstance(value, (Mapping, *_SCALARS)):
        return value
    return View(value)


def _field_names(obj: Any) -> list[str]:
    fields = getattr(type(obj), "model_fields", None)
    if isinstance(fields, Mapping):
        extra = getattr(obj, "model_extra", None) or {}
        return [*fields, *extra]
    return [k for k in vars(obj) if not k.startswith("_")] if hasattr(obj, "__dict__") else []


def plain(value: Any, depth: int = 0) -> Any:
    """A JSON-ready copy of a usage object: numbers, short labels, lists and objects.

    Nulls are left out, and so is any string longer than MAX_TEXT, so that text put by
    mistake where usage was expected never leaves the process.
    """
    if depth > MAX_DEPTH:
        return None
    if type(value) is dict and all(type(v) is int for v in value.values()):
        return value  # the common case: a flat usage object of counts
    if isinstance(value, View):
        value = value.obj
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, enum.Enum):
        return plain(value.value, depth + 1)
    if isinstance(value, str):
        return value if len(value) <= MAX_TEXT else None
    if isinstance(value, (list, tuple)):
        return [v for v in (plain(item, depth + 1) for item in value) if v is not None]
    return _plain_object(_as_dict(value), depth)


def _plain_object(data: Mapping | None, depth: int) -> dict[str, Any] | None:
    if data is None:
        return None
    out = {}
    for key, item in data.items():
        converted = plain(item, depth + 1)
        if converted is not None:
            out[str(key)] = converted
    return out


def _as_dict(value: Any) -> Mapping | None:
    if isinstance(value, Mapping):
        return value
    for method in ("model_dump", "to_dict", "dict"):
        dump = getattr(value, method, None)
        if callable(dump):
            try:
                dumped = dump()
            except (TypeError, ValueError):
                continue
            if isinstance(dumped, Mapping):
                return dumped
    if hasattr(value, "__dict__"):
        return {k: v for k, v in vars(value).items() if not k.startswith("_")}
    return None


def usage_of(response: Any) -> Any:
    """The provider's usage object inside a response (or the usage object itself)."""
    if response is None:
        return None
    if isinstance(response, Mapping):
        return _usage_in_mapping(response)
    for key in USAGE_KEYS:
        found = getattr(response, key, None)
        if found is not None:
            return found
    if any(hasattr(response, marker) for marker in ("prompt_tokens", "input_tokens",
                                                      "prompt_token_count")):
        return response
    return None


def _usage_in_mapping(response: Mapping) -> Any:
    for key in USAGE_KEYS:
        found = response.get(key)
        if found is not None:
            return dict(found) if isinstance(found, Mapping) else found
    if not USAGE_MARKERS.isdisjoint(response):
        return dict(response)
    return _bedrock_count_headers(response)


def _bedrock_count_headers(response: Mapping) -> dict[str, Any] | None:
    """Bedrock InvokeModel reports its counts in x-amzn-bedrock-*-token-count headers."""
    metadata = response.get("ResponseMetadata")
    headers = metadata.get("HTTPHeaders") if isinstance(metadata, Mapping) else None
    if not isinstance(headers, Mapping):
        return None
    counts = {k: v for k, v in headers.items()
              if k.lower().startswith(BEDROCK_COUNT_HEADER) and k.lower().endswith("-count")}
    return counts or None


def request_id_of(response: Any) -> str | None:
    """The provider's request id: the SDK's `_request_id`, or boto3's ResponseMetadata."""
    if isinstance(response, Mapping):
        metadata = response.get("ResponseMetadata")
        found = metadata.get("RequestId") if isinstance(metadata, Mapping) else None
    else:
        found = getattr(response, "_request_id", None)
    return found if isinstance(found, str) and found else None


def model_of(response: Any) -> str | None:
    """The model a response names (`model`, or google-genai's `model_version`)."""
    for key in ("model", "model_version", "modelVersion"):
        if isinstance(response, Mapping):
            found = response.get(key)
        else:
            found = getattr(response, key, None)
        if isinstance(found, str) and found:
            return found
    return None


def decoded_bedrock_chunk(chunk: Any) -> Any:
    """InvokeModelWithResponseStream wraps each event as {"chunk": {"bytes": b"{...}"}}."""
    inner = chunk.get("chunk") if isinstance(chunk, Mapping) else None
    raw = inner.get("bytes") if isinstance(inner, Mapping) else None
    if not isinstance(raw, (bytes, bytearray, str)):
        return chunk
    try:
        decoded = json.loads(raw)
    except ValueError:
        return chunk
    return decoded if isinstance(decoded, Mapping) else chunk
