"""Deterministic provider-format events, as an application POSTs them to /v1/events.

The mix covers every usage shape the ingest path reads: OpenAI Chat Completions and
Responses, Anthropic Messages with prompt caching, Gemini with thinking tokens, Bedrock
Converse (geo profile, Nova, Llama) and OpenRouter with its reported cost. Each event also
carries the attribution and call fields a real client sends. Same seed, same events.
"""

import json
import random
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

START = datetime(2026, 1, 5, tzinfo=UTC)
WORKFLOWS = [f"wf-{i:03d}" for i in range(40)]
PROJECTS = ("search", "support", "billing", "agents")


def _openai_chat(rng: random.Random) -> tuple[str, str, dict[str, Any]]:
    prompt = rng.randint(200, 12_000)
    completion = rng.randint(20, 1_500)
    cached = rng.choice((0, 0, 1024, 2048)) if prompt > 2048 else 0
    usage = {"prompt_tokens": prompt, "completion_tokens": completion,
             "total_tokens": prompt + completion,
             "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
             "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0}}
    return "openai", rng.choice(("gpt-4o-2024-08-06", "gpt-4.1-mini", "gpt-4o-mini")), usage


def _openai_responses(rng: random.Random) -> tuple[str, str, dict[str, Any]]:
    given = rng.randint(300, 20_000)
    output = rng.randint(100, 4_000)
    reasoning = rng.randint(0, output)
    usage = {"input_tokens": given, "input_tokens_details": {"cached_tokens": given // 4},
             "output_tokens": output, "output_tokens_details": {"reasoning_tokens": reasoning},
             "total_tokens": given + output}
    return "openai", rng.choice(("o3", "gpt-5", "gpt-5-mini", "o4-mini")), usage


def _anthropic(rng: random.Random) -> tuple[str, str, dict[str, Any]]:
    write_5m = rng.choice((0, 0, 2_500))
    write_1h = rng.choice((0, 0, 0, 1_200))
    usage = {"input_tokens": rng.randint(10, 3_000),
             "cache_read_input_tokens": rng.choice((0, 15_000, 32_000)),
             "cache_creation_input_tokens": write_5m + write_1h,
             "cache_creation": {"ephemeral_5m_input_tokens": write_5m,
                                "ephemeral_1h_input_tokens": write_1h},
             "output_tokens": rng.randint(50, 2_000), "service_tier": "standard"}
    model = rng.choice(("claude-sonnet-4-5-20250929", "claude-haiku-4-5", "claude-opus-4-1"))
    return "anthropic", model, usage


def _gemini(rng: random.Random) -> tuple[str, str, dict[str, Any]]:
    prompt = rng.randint(500, 40_000)
    candidates = rng.randint(50, 2_000)
    thoughts = rng.randint(0, 3_000)
    usage = {"promptTokenCount": prompt, "candidatesTokenCount": candidates,
             "thoughtsTokenCount": thoughts, "totalTokenCount": prompt + candidates + thoughts,
             "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt}]}
    if rng.random() < 0.3:
        usage["cachedContentTokenCount"] = prompt // 2
    return "google", rng.choice(("gemini-2.5-flash", "gemini-2.5-pro")), usage


def _bedrock(rng: random.Random) -> tuple[str, str, dict[str, Any]]:
    given = rng.randint(100, 10_000)
    output = rng.randint(20, 1_500)
    usage = {"inputTokens": given, "outputTokens": output, "totalTokens": given + output}
    if rng.random() < 0.25:
        usage["cacheReadInputTokens"] = 4_096
        usage["totalTokens"] += 4_096
    model = rng.choice(("us.anthropic.claude-sonnet-4-5-20250929-v1:0",
                        "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
                        "amazon.nova-pro-v1:0", "meta.llama3-3-70b-instruct-v1:0"))
    return "bedrock", model, usage


def _openrouter(rng: random.Random) -> tuple[str, str, dict[str, Any]]:
    prompt = rng.randint(200, 8_000)
    completion = rng.randint(20, 1_000)
    usage = {"prompt_tokens": prompt, "completion_tokens": completion,
             "total_tokens": prompt + completion,
             "prompt_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
             "completion_tokens_details": {"reasoning_tokens": 0},
             "cost": round(prompt * 3e-7 + completion * 2.5e-6, 8), "is_byok": False,
             "cost_details": {"upstream_inference_cost": None}}
    model = rng.choice(("google/gemini-2.5-flash", "anthropic/claude-sonnet-4.5"))
    return "openrouter", model, usage


SHAPES: tuple[tuple[str, str, Callable], ...] = (
    ("openai", "chat", _openai_chat),
    ("openai", "responses", _openai_responses),
    ("anthropic", "messages", _anthropic),
    ("google", "generate_content", _gemini),
    ("bedrock", "converse", _bedrock),
    ("openrouter", "chat", _openrouter),
)


def events(count: int, seed: int = 402, start: datetime = START,
           span: timedelta = timedelta(days=1)) -> Iterator[dict[str, Any]]:
    """`count` events cycling through the shapes, with ids, times and attribution."""
    rng = random.Random(seed)
    step = span / max(count, 1)
    for index in range(count):
        _, operation, shape = SHAPES[index % len(SHAPES)]
        provider, model, usage = shape(rng)
        call = index // 2 if index % 10 == 1 else index  # some calls retried once
        yield {
            "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "occurred_at": (start + step * index).isoformat().replace("+00:00", "Z"),
            "provider": provider, "model": model, "operation": operation,
            "call_id": f"call-{seed}-{call}", "attempt": 2 if call != index else 1,
            "outcome": "success", "latency_ms": rng.randint(150, 30_000), "streamed": False,
            "workflow_id": rng.choice(WORKFLOWS), "project_id": rng.choice(PROJECTS),
            "feature_id": "answer", "customer_id": f"cust-{rng.randint(1, 500)}",
            "request_id": f"req_{rng.getrandbits(64):016x}",
            "metadata": {"env": "prod"},
            "usage": usage,
        }


def event_texts(count: int, seed: int = 402) -> list[bytes]:
    """Each event as the JSON text an API would receive (stdlib encoder, UTF-8)."""
    return [json.dumps(event).encode() for event in events(count, seed)]


def batch_bodies(batches: int, size: int = 500, seed: int = 402) -> list[bytes]:
    """POST bodies of `size` events each ({"events": [...]}), every event id unique."""
    stream = events(batches * size, seed)
    return [json.dumps({"events": [next(stream) for _ in range(size)]}).encode()
            for _ in range(batches)]
