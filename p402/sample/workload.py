"""A week of provider-format events across several workflows, and Bedrock invocation logs.

Deterministic for a given `now`: retries, prompt caching, semantic-cache hits, unused
context, repeated prompt prefixes, an unpriced model and one workflow far over budget.
"""

import gzip
import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

DAYS = 7
SEED = 402
CUSTOMERS = ("acme", "globex", "initech", "umbrella")


def sample_events(now: datetime, calls_per_day: int = 120) -> list[dict[str, Any]]:
    rng = random.Random(SEED)
    events: list[dict[str, Any]] = []
    for day in range(DAYS, 0, -1):
        for _ in range(calls_per_day):
            at = now - timedelta(days=day - 1, seconds=rng.randint(60, 86_000))
            workflow = rng.choices(list(_WORKFLOWS), weights=[5, 6, 2, 3, 2, 2, 1])[0]
            events.extend(_WORKFLOWS[workflow](rng, at, len(events)))
    return events


def _base(rng: random.Random, at: datetime, n: int, **fields: Any) -> dict[str, Any]:
    attempt = fields.get("attempt", 1)
    return {"event_id": f"sample-{n:06d}-{attempt}",
            "occurred_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "customer_id": rng.choice(CUSTOMERS), "latency_ms": rng.randint(300, 9000),
            "outcome": "success", **fields}


def _ticket_summary(rng, at, n) -> Iterator[dict]:
    written = rng.choice([0, 0, 0, 4096])
    yield _base(rng, at, n, provider="anthropic", model="claude-sonnet-4-5-20250929",
                operation="messages", workflow_id="ticket-summary", feature_id="summaries",
                department_id="support", prompt_prefix_hash="sys-ticket-v3",
                prompt_prefix_tokens=4096,
                usage={"input_tokens": rng.randint(200, 1500),
                       "cache_read_input_tokens": 0 if written else 4096,
                       "cache_creation_input_tokens": written,
                       "output_tokens": rng.randint(150, 600)})


def _search_rerank(rng, at, n) -> Iterator[dict]:
    prompt = rng.randint(800, 3000)
    yield _base(rng, at, n, provider="openai", model="gpt-4o-mini", operation="chat",
                workflow_id="search-rerank", feature_id="search", department_id="search",
                cache_hit=rng.random() < 0.2,
                usage={"prompt_tokens": prompt, "completion_tokens": rng.randint(20, 120),
                       "prompt_tokens_details": {"cached_tokens": prompt // 2}})


def _agent_planner(rng, at, n) -> Iterator[dict]:
    """The retry storm: o3 calls rate-limited several times before one succeeds."""
    call_id = f"sample-call-{n:06d}"
    attempts = rng.choice([1, 3, 4, 5])
    for attempt in range(1, attempts + 1):
        final = attempt == attempts
        yield _base(rng, at + timedelta(seconds=2 * attempt), n,
                    provider="openai", model="o3", operation="responses",
                    workflow_id="agent-planner", feature_id="planning",
                    department_id="engineering", employee_id="emp-042",
                    call_id=call_id, attempt=attempt,
                    outcome="success" if final else "rate_limited",
                    usage={"input_tokens": 6000, "output_tokens": 1800 if final else 400,
                           "output_tokens_details": {"reasoning_tokens": 1200 if final else 300}})


def _doc_qa(rng, at, n) -> Iterator[dict]:
    """Long contexts, much of it unused, and a repeated prefix that is never cached."""
    prompt = rng.randint(40_000, 120_000)
    yield _base(rng, at, n, provider="google", model="gemini-2.5-pro",
                operation="generate_content", workflow_id="doc-qa", feature_id="answers",
                department_id="support", context_waste_tokens=prompt // 3,
                prompt_prefix_hash="kb-handbook-2026", prompt_prefix_tokens=30_000,
                usage={"promptTokenCount": prompt, "candidatesTokenCount": rng.randint(200, 900),
                       "thoughtsTokenCount": rng.randint(100, 800)})


def _invoice_extract(rng, at, n) -> Iterator[dict]:
    yield _base(rng, at, n, provider="bedrock", model="us.amazon.nova-lite-v1:0",
                operation="converse", workflow_id="invoice-extract", feature_id="billing",
                department_id="finance",
                usage={"inputTokens": rng.randint(1500, 4000),
                       "outputTokens": rng.randint(100, 400)})


def _chat_assist(rng, at, n) -> Iterator[dict]:
    prompt, completion = rng.randint(500, 2500), rng.randint(100, 700)
    cost = (prompt * 0.3 + completion * 2.5) / 1_000_000
    yield _base(rng, at, n, provider="openrouter", model="google/gemini-2.5-flash",
                operation="chat", workflow_id="chat-assist", feature_id="assistant",
                department_id="sales",
                usage={"prompt_tokens": prompt, "completion_tokens": completion,
                       "cost": round(cost, 8)})


def _internal_model(rng, at, n) -> Iterator[dict]:
    yield _base(rng, at, n, provider="openai", model="acme-internal-llm-v2",
                operation="chat", workflow_id="lead-scoring", department_id="sales",
                usage={"prompt_tokens": rng.randint(300, 900), "completion_tokens": 40})


_WORKFLOWS = {
    "ticket-summary": _ticket_summary,
    "search-rerank": _search_rerank,
    "agent-planner": _agent_planner,
    "doc-qa": _doc_qa,
    "invoice-extract": _invoice_extract,
    "chat-assist": _chat_assist,
    "lead-scoring": _internal_model,
}


def write_bedrock_logs(folder: Path, now: datetime, count: int = 40) -> Path:
    """Invocation logs in Bedrock's S3 layout (gzip, a record a line), bodies included as
    Bedrock writes them: the importer must keep none of their text."""
    rng = random.Random(SEED + 1)
    hour = now.astimezone(UTC) - timedelta(hours=1)
    prefix = folder / "AWSLogs/111122223333/BedrockModelInvocationLogs/us-east-1"
    target = prefix / hour.strftime("%Y/%m/%d/%H")
    target.mkdir(parents=True, exist_ok=True)
    (prefix.parent / "amazon-bedrock-logs-permission-check").write_text("")

    lines = [json.dumps(_invocation(rng, hour, i)) for i in range(count)]
    name = hour.strftime("%Y%m%dT%H0000Z") + "_sample0001.json.gz"
    (target / name).write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    return folder


def _invocation(rng: random.Random, hour: datetime, index: int) -> dict[str, Any]:
    at = hour + timedelta(seconds=rng.randint(0, 3500))
    return {
        "schemaType": "ModelInvocationLog", "schemaVersion": "1.0",
        "timestamp": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "accountId": "111122223333",
        "identity": {"arn": "arn:aws:sts::111122223333:assumed-role/triage-worker/s1"},
        "region": "us-east-1", "requestId": f"sample-bedrock-{index:05d}",
        "operation": "Converse", "modelId": "anthropic.claude-3-haiku-20240307-v1:0",
        "input": {"inputContentType": "application/json",
                  "inputTokenCount": rng.randint(500, 2500),
                  "inputBodyJson": {"messages": [{"role": "user", "content": [
                      {"text": "Sample prompt text that p402 never stores."}]}]}},
        "output": {"outputContentType": "application/json",
                   "outputTokenCount": rng.randint(50, 400)},
        "requestMetadata": {"workflow_id": "triage", "department_id": "support"},
    }
