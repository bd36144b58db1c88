"""Each provider's own usage report, converted to the ledger's token convention.

The convention (see `p402.schema`): input_tokens holds every input token, cache reads and
writes included; output_tokens holds every output token, reasoning included. What each
provider counts inside what is stated once, in the docstring of its normalizer below.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from p402.errors import FieldProblem

MAX_TOKENS = 100_000_000
COUNT_EXPECTED = f"a whole number of tokens from 0 to {MAX_TOKENS:,}"

PROVIDER_REPORTED = "provider_reported"
CLIENT_COUNTED = "client_counted"
MISSING = "missing"


@dataclass(slots=True)  # not frozen: its __init__ runs once per event and must be cheap
class Usage:
    """One call's tokens in the ledger's convention; None means the count is unknown.
    Treat it as a value: nothing changes a Usage once it is made."""

    input_tokens: int | None
    output_tokens: int | None
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cache_write_1h_tokens: int = 0
    reasoning_tokens: int | None = None
    details: dict[str, int] = field(default_factory=dict)
    reported_cost_usd: Decimal | None = None
    source: str = PROVIDER_REPORTED

    @property
    def total_tokens(self) -> int | None:
        if self.input_tokens is None or self.output_tokens is None:
            return None
        return self.input_tokens + self.output_tokens

    @property
    def known(self) -> bool:
        return self.input_tokens is not None and self.output_tokens is not None


UNKNOWN_USAGE = Usage(None, None, 0, 0, 0, None, {}, None, MISSING)


def is_mapping(value: Any) -> bool:
    """A JSON object (a dict, checked first because it is cheap) or any other Mapping."""
    return type(value) is dict or isinstance(value, Mapping)


class _Reader:
    """Reads counts out of one usage object, naming the field in every problem."""

    __slots__ = ("data", "path")

    def __init__(self, data: Any, path: str):
        if not is_mapping(data):
            raise FieldProblem(path, data, "the provider's usage object (a JSON object)")
        self.data = data
        self.path = path

    def count(self, *keys: str) -> int | None:
        """The first of `keys` present, as a valid count; None when none is present."""
        for key in keys:
            value = self.data.get(key)
            if value is None:
                continue
            if type(value) is int and 0 <= value <= MAX_TOKENS:
                return value  # the common case, checked without building the field's path
            return _valid_count(value, f"{self.path}.{key}")
        return None

    def both(self, first: str, second: str) -> tuple[int, int]:
        """Two counts that must be present (input and output), naming the missing one."""
        one, two = self.count(first), self.count(second)
        if one is None or two is None:
            missing = first if one is None else second
            raise FieldProblem(f"{self.path}.{missing}", None, COUNT_EXPECTED)
        return one, two

    def child(self, key: str) -> "_Reader":
        value = self.data.get(key)
        return _Reader(value if value is not None else {}, f"{self.path}.{key}")


def _valid_count(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FieldProblem(path, value, COUNT_EXPECTED)
    if isinstance(value, float):
        if not value.is_integer():
            raise FieldProblem(path, value, COUNT_EXPECTED)
        value = int(value)
    if value < 0 or value > MAX_TOKENS:
        raise FieldProblem(path, value, COUNT_EXPECTED)
    return value


def _part_of(part: int, whole: int, part_path: str, whole_name: str) -> int:
    if part > whole:
        raise FieldProblem(part_path, part, f"at most {whole_name} ({whole})")
    return part


def _reported_cost(value: Any, path: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise FieldProblem(path, value, "a cost in USD (a non-negative number)")
    try:
        cost = Decimal(str(value))
    except InvalidOperation:
        raise FieldProblem(path, value, "a cost in USD (a non-negative number)") from None
    if not cost.is_finite() or cost < 0:
        raise FieldProblem(path, value, "a cost in USD (a non-negative number)")
    return cost


def _drop_zero(details: dict[str, int | None]) -> dict[str, int]:
    return {k: v for k, v in details.items() if v}


def openai_usage(raw: Any, path: str = "usage") -> Usage:
    """OpenAI, Azure OpenAI and OpenRouter.

    Chat Completions: prompt_tokens includes prompt_tokens_details.cached_tokens;
    completion_tokens includes completion_tokens_details.reasoning_tokens.
    Responses API: the same with input_tokens / output_tokens and *_details.
    OpenRouter adds `cost`, the USD it charged, and cache_write_tokens inside prompt_tokens.
    """
    usage = _Reader(raw, path)
    responses_api = "input_tokens" in usage.data and "prompt_tokens" not in usage.data
    in_key, out_key = ("input_tokens", "output_tokens") if responses_api else (
        "prompt_tokens", "completion_tokens")
    in_details = usage.child(f"{in_key}_details") if responses_api else usage.child(
        "prompt_tokens_details")
    out_details = usage.child(f"{out_key}_details") if responses_api else usage.child(
        "completion_tokens_details")

    input_tokens, output_tokens = usage.both(in_key, out_key)

    cached = in_details.count("cached_tokens") or 0
    written = in_details.count("cache_write_tokens") or 0
    _part_of(cached + written, input_tokens, f"{in_details.path}.cached_tokens",
             f"{path}.{in_key}")
    reasoning = out_details.count("reasoning_tokens") or 0
    _part_of(reasoning, output_tokens, f"{out_details.path}.reasoning_tokens",
             f"{path}.{out_key}")

    details = _drop_zero({"input_audio": in_details.count("audio_tokens"),
                          "output_audio": out_details.count("audio_tokens")})
    return Usage(input_tokens, output_tokens, cached, written, 0, reasoning, details,
                 _reported_cost(usage.data.get("cost"), f"{path}.cost"))


def anthropic_usage(raw: Any, path: str = "usage") -> Usage:
    """Anthropic Messages (also its native body on Bedrock and Vertex).

    input_tokens counts only the uncached input: cache_read_input_tokens and
    cache_creation_input_tokens come beside it. cache_creation splits the writes into
    ephemeral_5m_input_tokens and ephemeral_1h_input_tokens (1h costs more).
    output_tokens includes extended thinking; Anthropic does not report it apart.
    """
    usage = _Reader(raw, path)
    uncached, output_tokens = usage.both("input_tokens", "output_tokens")

    cache_read = usage.count("cache_read_input_tokens") or 0
    cache_write = usage.count("cache_creation_input_tokens") or 0
    split = usage.child("cache_creation")
    write_1h = split.count("ephemeral_1h_input_tokens") or 0
    _part_of(write_1h, cache_write, f"{split.path}.ephemeral_1h_input_tokens",
             f"{path}.cache_creation_input_tokens")

    server_tools = usage.child("server_tool_use")
    details = _drop_zero({"web_search_requests": server_tools.count("web_search_requests")})
    return Usage(uncached + cache_read + cache_write, output_tokens, cache_read, cache_write,
                 write_1h, None, details)


_GEMINI_SNAKE = {
    "prompt_token_count": "promptTokenCount",
    "candidates_token_count": "candidatesTokenCount",
    "cached_content_token_count": "cachedContentTokenCount",
    "thoughts_token_count": "thoughtsTokenCount",
    "tool_use_prompt_token_count": "toolUsePromptTokenCount",
    "total_token_count": "totalTokenCount",
    "prompt_tokens_details": "promptTokensDetails",
}


def gemini_usage(raw: Any, path: str = "usage") -> Usage:
    """Gemini API and Vertex AI (`usageMetadata`, camelCase or the SDK's snake_case).

    promptTokenCount includes cachedContentTokenCount. toolUsePromptTokenCount is input
    counted beside the prompt. thoughtsTokenCount is output counted beside
    candidatesTokenCount (both billed at the output rate). Audio input is listed by
    modality in promptTokensDetails.
    """
    if is_mapping(raw) and is_mapping(raw.get("usageMetadata")):
        raw, path = raw["usageMetadata"], f"{path}.usageMetadata"
    if is_mapping(raw):
        raw = {_GEMINI_SNAKE.get(k, k): v for k, v in raw.items()}
    usage = _Reader(raw, path)

    prompt = usage.count("promptTokenCount")
    if prompt is None:
        raise FieldProblem(f"{path}.promptTokenCount", None, COUNT_EXPECTED)
    tool_prompt = usage.count("toolUsePromptTokenCount") or 0
    candidates = usage.count("candidatesTokenCount") or 0
    thoughts = usage.count("thoughtsTokenCount") or 0
    cached = usage.count("cachedContentTokenCount") or 0
    _part_of(cached, prompt, f"{path}.cachedContentTokenCount", f"{path}.promptTokenCount")

    details = _drop_zero({"input_audio": _gemini_modality(usage, "AUDIO")})
    return Usage(prompt + tool_prompt, candidates + thoughts, cached, 0, 0, thoughts, details)


def _gemini_modality(usage: _Reader, modality: str) -> int | None:
    entries = usage.data.get("promptTokensDetails") or []
    if not isinstance(entries, Sequence):
        raise FieldProblem(f"{usage.path}.promptTokensDetails", entries, "a list")
    for index, entry in enumerate(entries):
        if is_mapping(entry) and entry.get("modality") == modality:
            path = f"{usage.path}.promptTokensDetails[{index}]"
            return _Reader(entry, path).count("tokenCount", "token_count")
    return None


_BEDROCK_HEADERS = {
    "x-amzn-bedrock-input-token-count": "inputTokens",
    "x-amzn-bedrock-output-token-count": "outputTokens",
    "x-amzn-bedrock-cache-read-input-token-count": "cacheReadInputTokens",
    "x-amzn-bedrock-cache-write-input-token-count": "cacheWriteInputTokens",
}
_BEDROCK_METRICS = {
    "inputTokenCount": "inputTokens",
    "outputTokenCount": "outputTokens",
    "cacheReadInputTokenCount": "cacheReadInputTokens",
    "cacheWriteInputTokenCount": "cacheWriteInputTokens",
}


def bedrock_usage(raw: Any, path: str = "usage") -> Usage:
    """Amazon Bedrock, whichever API returned it.

    Converse / ConverseStream `usage`: inputTokens excludes cacheReadInputTokens and
    cacheWriteInputTokens, which come beside it (as in invocation logs and the
    x-amzn-bedrock-*-token-count headers of InvokeModel). InvokeModel native bodies keep
    their model family's shape: Anthropic's `usage` (see anthropic_usage), Llama's
    prompt_token_count / generation_token_count.
    """
    if not is_mapping(raw):
        raise FieldProblem(path, raw, "the provider's usage object (a JSON object)")
    if "input_tokens" in raw:
        return anthropic_usage(raw, path)
    if "prompt_token_count" in raw:
        return _llama_usage(raw, path)
    lowered = {str(k).lower(): v for k, v in raw.items()}
    if any(h in lowered for h in _BEDROCK_HEADERS):
        raw = {_BEDROCK_HEADERS[h]: _header_count(v) for h, v in lowered.items()
               if h in _BEDROCK_HEADERS}
    elif "inputTokenCount" in raw:
        raw = {_BEDROCK_METRICS.get(k, k): v for k, v in raw.items()}
    return _converse_usage(raw, path)


def _header_count(value: Any) -> Any:
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value


def _converse_usage(raw: Mapping, path: str) -> Usage:
    usage = _Reader(raw, path)
    uncached, output_tokens = usage.both("inputTokens", "outputTokens")
    cache_read = usage.count("cacheReadInputTokens") or 0
    cache_write = usage.count("cacheWriteInputTokens") or 0
    return Usage(uncached + cache_read + cache_write, output_tokens, cache_read, cache_write)


def _llama_usage(raw: Mapping, path: str) -> Usage:
    usage = _Reader(raw, path)
    prompt = usage.count("prompt_token_count")
    generated = usage.count("generation_token_count")
    if generated is None:
        raise FieldProblem(f"{path}.generation_token_count", None, COUNT_EXPECTED)
    return Usage(prompt, generated)


_CANONICAL_PARTS = ("cache_read_tokens", "cache_write_tokens", "cache_write_1h_tokens",
                    "reasoning_tokens")


def canonical_tokens(raw: Any, path: str = "tokens") -> Usage:
    """Counts the client already holds in the ledger's convention (see p402.schema)."""
    tokens = _Reader(raw, path)
    input_tokens, output_tokens = tokens.both("input_tokens", "output_tokens")
    read, write, write_1h, reasoning = (tokens.count(k) or 0 for k in _CANONICAL_PARTS)

    _part_of(read + write, input_tokens, f"{path}.cache_read_tokens + cache_write_tokens",
             f"{path}.input_tokens")
    _part_of(write_1h, write, f"{path}.cache_write_1h_tokens", f"{path}.cache_write_tokens")
    _part_of(reasoning, output_tokens, f"{path}.reasoning_tokens", f"{path}.output_tokens")
    _check_total(tokens, input_tokens + output_tokens)

    details = _drop_zero({"input_audio": tokens.count("input_audio_tokens"),
                          "output_audio": tokens.count("output_audio_tokens")})
    return Usage(input_tokens, output_tokens, read, write, write_1h, reasoning, details,
                 None, CLIENT_COUNTED)


def _check_total(tokens: _Reader, total: int) -> None:
    sent = tokens.count("total_tokens")
    if sent is not None and sent != total:
        raise FieldProblem(f"{tokens.path}.total_tokens", sent,
                           f"input_tokens + output_tokens ({total})")


# Stream rules: where each provider puts usage in its chunks. Every rule yields the usage
# objects found in one chunk; the stream's usage is their merge, later keys winning,
# because every provider here reports running totals or one final figure, never deltas
# (Anthropic's message_delta carries running totals; Gemini's last usageMetadata is the
# whole call's; OpenAI and OpenRouter send one last chunk with `usage`; Bedrock sends a
# `metadata` event or `amazon-bedrock-invocationMetrics`).
def _openai_chunk_usage(chunk: Mapping) -> list[Any]:
    response = chunk.get("response")
    found = [chunk.get("usage")]
    if is_mapping(response):
        found.append(response.get("usage"))
    return found


def _anthropic_chunk_usage(chunk: Mapping) -> list[Any]:
    message = chunk.get("message")
    found = [chunk.get("usage")]
    if is_mapping(message):
        found.append(message.get("usage"))
    return found


def _gemini_chunk_usage(chunk: Mapping) -> list[Any]:
    return [chunk.get("usageMetadata"), chunk.get("usage_metadata")]


def _bedrock_chunk_usage(chunk: Mapping) -> list[Any]:
    metadata = chunk.get("metadata")
    found = [chunk.get("amazon-bedrock-invocationMetrics"), *_anthropic_chunk_usage(chunk)]
    if is_mapping(metadata):
        found.append(metadata.get("usage"))
    return found


@dataclass(frozen=True)
class ProviderRules:
    usage: Callable[[Any, str], Usage]
    chunk_usage: Callable[[Mapping], list[Any]]


_OPENAI = ProviderRules(openai_usage, _openai_chunk_usage)
_RULES: dict[str, ProviderRules] = {
    "openai": _OPENAI,
    "azure": _OPENAI,
    "azure_openai": _OPENAI,
    "openrouter": _OPENAI,
    "anthropic": ProviderRules(anthropic_usage, _anthropic_chunk_usage),
    "google": ProviderRules(gemini_usage, _gemini_chunk_usage),
    "gemini": ProviderRules(gemini_usage, _gemini_chunk_usage),
    "vertex_ai": ProviderRules(gemini_usage, _gemini_chunk_usage),
    "bedrock": ProviderRules(bedrock_usage, _bedrock_chunk_usage),
    "aws": ProviderRules(bedrock_usage, _bedrock_chunk_usage),
}
KNOWN_PROVIDERS = frozenset(_RULES)


def rules_for(provider: str) -> ProviderRules | None:
    return _RULES.get(provider)


def normalize_usage(provider: str, usage: Any, path: str = "usage") -> Usage:
    rules = _RULES.get(provider)
    if rules is None:
        return _unknown_provider_usage(provider, usage, path)
    return rules.usage(usage, path)


def _unknown_provider_usage(provider: str, usage: Any, path: str) -> Usage:
    """A provider without rules: only an OpenAI-compatible usage shape can be read."""
    if is_mapping(usage) and ("prompt_tokens" in usage or "input_tokens" in usage):
        return openai_usage(usage, path)
    raise FieldProblem("provider", provider, f"one of {sorted(KNOWN_PROVIDERS)} for this usage "
                       "shape, or send `tokens` in the ledger's convention")


class StreamUsage:
    """A stream's usage, gathered chunk by chunk by its provider's stream rules.

    The ingest API and the client both read streams through this class, so the rules live
    here once. Later values win key by key; a null never erases a count seen earlier,
    because SDKs dump unset fields as null (an Anthropic message_delta dumped by its SDK
    carries `input_tokens: null` after message_start gave the real count).
    """

    __slots__ = ("merged", "_rules")

    def __init__(self, provider: str):
        self._rules = _RULES.get(provider, _OPENAI)
        self.merged: dict[str, Any] = {}

    def add(self, chunk: Mapping) -> bool:
        """Merge the usage that one chunk carries; True when it carried some."""
        carried = False
        for found in self._rules.chunk_usage(chunk):
            if is_mapping(found):
                self.merged.update((k, v) for k, v in found.items() if v is not None)
                carried = True
        return carried

    def usage(self, path: str = "stream[usage]") -> Usage:
        """The stream's usage so far; UNKNOWN_USAGE when no chunk reported any."""
        if not self.merged:
            return UNKNOWN_USAGE
        return self._rules.usage(self.merged, path)


def accumulate_stream(provider: str, chunks: Any, path: str = "stream") -> Usage:
    """The usage of a streamed call, read from its chunks by the provider's rules."""
    if not isinstance(chunks, Sequence) or isinstance(chunks, (str, bytes)):
        raise FieldProblem(path, chunks, "a list of the provider's stream chunks")
    gathered = StreamUsage(provider)

    for index, chunk in enumerate(chunks):
        if not is_mapping(chunk):
            raise FieldProblem(f"{path}[{index}]", chunk, "a stream chunk (a JSON object)")
        gathered.add(chunk)

    return gathered.usage(f"{path}[usage]")
