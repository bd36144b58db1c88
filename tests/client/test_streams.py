"""Streams through Recorder.stream(): chunks unchanged, usage by the core's rules, every end."""

import asyncio
import gc
import json
import time
from decimal import Decimal

import pytest
from client_servers import load_cases
from sdk_shapes import sdk_chunks

from p402.client import Recorder
from p402.normalizers import normalize_usage

CASES = load_cases("streams")
TOKEN_KEYS = ("input_tokens", "output_tokens", "total_tokens", "cache_read_tokens",
              "cache_write_tokens", "reasoning_tokens")


def test_every_stream_case_lands_with_the_providers_tokens(p402_server):
    recorder = Recorder(p402_server.url, p402_server.key, spill_dir=None, flush_interval=0.1)
    for case in CASES:
        for shape in ("json", "sdk"):
            source = case["input"]
            chunks = source["stream"] if shape == "json" else sdk_chunks(
                source["provider"], source["stream"])
            seen = list(recorder.stream(iter(chunks), source["provider"], source["model"],
                                        workflow_id=f"{case['id']}/{shape}"))
            assert seen == chunks
    recorder.close()

    sql = "SELECT * FROM ai_economic_events"
    rows = p402_server.rows_when(sql, lambda rows: len(rows) >= 2 * len(CASES))
    by_workflow = {row["workflow_id"]: row for row in rows}
    for case in CASES:
        for shape in ("json", "sdk"):
            row = by_workflow[f"{case['id']}/{shape}"]
            assert row["streamed"] is True and row["outcome"] == "success"
            for key in TOKEN_KEYS:
                if key in case["expect"]:
                    assert row[key] == case["expect"][key], (case["id"], shape, key)
            if "cost_usd" in case["expect"] and "prices" not in case:
                assert Decimal(row["cost_usd"]) == Decimal(case["expect"]["cost_usd"])


def test_stream_passes_the_very_same_chunk_objects(captured):
    recorder, events = captured
    chunks = sdk_chunks("openai", CASES[0]["input"]["stream"])

    seen = list(recorder.stream(chunks, "anthropic", "claude"))

    assert all(a is b for a, b in zip(seen, chunks, strict=True))


def test_stream_abandoned_halfway_is_cancelled_with_the_tokens_seen(p402_server):
    case = _case("anthropic-stream-running-totals")["input"]
    recorder = Recorder(p402_server.url, p402_server.key, spill_dir=None)

    stream = recorder.stream(iter(case["stream"]), "anthropic", case["model"],
                             workflow_id="abandoned")
    for chunk in stream:
        if chunk["type"] == "content_block_delta":
            break
    stream.close()
    recorder.close()

    rows = p402_server.rows_when("SELECT * FROM ai_economic_events", lambda rows: rows)
    assert len(rows) == 1
    assert rows[0]["outcome"] == "cancelled"
    assert (rows[0]["input_tokens"], rows[0]["output_tokens"]) == (900, 2)


def test_stream_garbage_collected_before_its_end_is_cancelled(captured):
    recorder, events = captured
    case = _case("anthropic-stream-running-totals")["input"]

    stream = recorder.stream(iter(case["stream"]), "anthropic", case["model"])
    next(stream)
    del stream
    gc.collect()

    assert len(events) == 1
    assert events[0]["outcome"] == "cancelled"
    assert normalize_usage("anthropic", events[0]["usage"]).output_tokens == 2


def test_stream_that_raises_records_the_exceptions_outcome(captured):
    recorder, events = captured

    class APITimeoutError(Exception):
        pass

    def chunks():
        yield {"object": "chat.completion.chunk", "choices": []}
        raise APITimeoutError("read timed out")

    with pytest.raises(APITimeoutError):
        list(recorder.stream(chunks(), "openai", "gpt-4o-mini"))

    assert events[0]["outcome"] == "timeout"
    assert events[0]["error_type"] == "APITimeoutError"
    assert "usage" not in events[0]


def test_stream_event_is_recorded_once_whatever_follows_its_end(captured):
    recorder, events = captured
    stream = recorder.stream(iter(CASES[0]["input"]["stream"]), "anthropic", "claude")

    list(stream)
    stream.close()
    del stream
    gc.collect()

    assert [e["outcome"] for e in events] == ["success"]


def test_async_stream_records_usage_and_cancellation(captured):
    recorder, events = captured
    case = _case("openai-stream-final-usage-chunk")["input"]

    async def provider_stream():
        for chunk in case["stream"]:
            await asyncio.sleep(0)
            yield chunk

    async def consume():
        whole = [c async for c in recorder.stream(provider_stream(), "openai", case["model"])]
        partial = recorder.stream(provider_stream(), "openai", case["model"])
        await partial.__anext__()
        await partial.aclose()
        return whole

    assert asyncio.run(consume()) == case["stream"]
    assert [e["outcome"] for e in events] == ["success", "cancelled"]
    assert events[0]["usage"]["prompt_tokens"] == 640
    assert "usage" not in events[1]


def test_time_to_first_token_waits_past_the_preamble(captured):
    recorder, events = captured
    chunks = [{"type": "message_start", "message": {"usage": {"input_tokens": 5,
                                                                "output_tokens": 1}}},
              {"type": "content_block_delta", "delta": {"type": "text_delta", "text": "x"}}]

    def slow():
        yield chunks[0]
        time.sleep(0.05)
        yield chunks[1]

    list(recorder.stream(slow(), "anthropic", "claude", start=time.perf_counter() - 0.1))

    event = events[0]
    assert event["time_to_first_token_ms"] >= 150
    assert event["latency_ms"] >= event["time_to_first_token_ms"]


def test_bedrock_invoke_model_stream_is_read_from_its_chunk_bytes(captured):
    recorder, events = captured
    body = [{"type": "message_start", "message": {"usage": {"input_tokens": 40,
                                                              "output_tokens": 1}}},
            {"type": "message_delta", "usage": {"output_tokens": 9},
             "amazon-bedrock-invocationMetrics": {"inputTokenCount": 40,
                                                  "outputTokenCount": 9}}]
    chunks = [{"chunk": {"bytes": json.dumps(event).encode()}} for event in body]

    assert list(recorder.stream(chunks, "bedrock", "anthropic.claude-3-haiku")) == chunks

    usage = normalize_usage("bedrock", events[0]["usage"])
    assert (usage.input_tokens, usage.output_tokens) == (40, 9)


def test_an_unreadable_chunk_never_breaks_the_stream(captured):
    recorder, events = captured

    class Odd:
        @property
        def usage(self):
            raise RuntimeError("boom")

    chunks = [Odd(), {"usage": {"prompt_tokens": 1, "completion_tokens": 1}}]

    assert list(recorder.stream(chunks, "openai", "gpt-4o")) == chunks
    assert events[0]["outcome"] == "success"


def _case(case_id: str) -> dict:
    return next(case for case in CASES if case["id"] == case_id)
