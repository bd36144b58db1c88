"""Invariants of the token convention and the money, over generated provider payloads."""

from decimal import Decimal

from core_helpers import RECEIVED_AT
from hypothesis import given, settings
from hypothesis import strategies as st

from p402.events import build_row
from p402.normalizers import accumulate_stream, normalize_usage
from p402.pricing import PriceBook

CATALOG = PriceBook()
count = st.integers(min_value=0, max_value=300_000)


@st.composite
def openai_usage(draw):
    prompt, completion = draw(count), draw(count)
    return {"prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": draw(st.integers(0, prompt))},
            "completion_tokens_details": {"reasoning_tokens": draw(st.integers(0, completion))}}


@st.composite
def anthropic_usage(draw):
    writes = draw(count)
    return {"input_tokens": draw(count), "output_tokens": draw(count),
            "cache_read_input_tokens": draw(count), "cache_creation_input_tokens": writes,
            "cache_creation": {"ephemeral_1h_input_tokens": draw(st.integers(0, writes))}}


@st.composite
def gemini_usage(draw):
    prompt = draw(count)
    return {"promptTokenCount": prompt, "candidatesTokenCount": draw(count),
            "thoughtsTokenCount": draw(count),
            "cachedContentTokenCount": draw(st.integers(0, prompt))}


@st.composite
def converse_usage(draw):
    return {"inputTokens": draw(count), "outputTokens": draw(count),
            "cacheReadInputTokens": draw(count), "cacheWriteInputTokens": draw(count)}


PAYLOADS = st.one_of(
    st.tuples(st.just(("openai", "gpt-4o")), openai_usage()),
    st.tuples(st.just(("anthropic", "claude-sonnet-4-5")), anthropic_usage()),
    st.tuples(st.just(("google", "gemini-2.5-pro")), gemini_usage()),
    st.tuples(st.just(("bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0")),
              converse_usage()),
)


def row_of(provider: str, model: str, usage: dict) -> dict:
    return build_row({"provider": provider, "model": model, "usage": usage}, CATALOG,
                     RECEIVED_AT)


@settings(max_examples=300, deadline=None)
@given(PAYLOADS)
def test_counts_hold_the_convention(payload):
    (provider, model), usage = payload
    row = row_of(provider, model, usage)

    counts = [row[k] for k in ("input_tokens", "output_tokens", "cache_read_tokens",
                               "cache_write_tokens", "reasoning_tokens") if row[k] is not None]
    assert min(counts) >= 0
    assert row["total_tokens"] == row["input_tokens"] + row["output_tokens"]
    assert row["cache_read_tokens"] + row["cache_write_tokens"] <= row["input_tokens"]
    assert (row["reasoning_tokens"] or 0) <= row["output_tokens"]
    assert Decimal(row["cost_usd"]) >= 0


@settings(max_examples=200, deadline=None)
@given(anthropic_usage(), st.sampled_from(["input_tokens", "output_tokens",
                                           "cache_read_input_tokens",
                                           "cache_creation_input_tokens"]), count)
def test_cost_never_falls_when_tokens_grow(usage, field, extra):
    grown = {**usage, field: usage[field] + extra}

    before = Decimal(row_of("anthropic", "claude-sonnet-4-5", usage)["cost_usd"])
    after = Decimal(row_of("anthropic", "claude-sonnet-4-5", grown)["cost_usd"])

    assert after >= before


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 5000), min_size=1, max_size=12), count)
def test_anthropic_stream_equals_its_final_usage(running_outputs, input_tokens):
    outputs = sorted(running_outputs)  # message_delta carries running totals
    start = {"input_tokens": input_tokens, "output_tokens": 1,
             "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0}
    chunks = [{"type": "message_start", "message": {"usage": start}}]
    chunks += [{"type": "message_delta", "usage": {"output_tokens": n}} for n in outputs]

    streamed = accumulate_stream("anthropic", chunks)

    assert streamed == normalize_usage("anthropic", {**start, "output_tokens": outputs[-1]})


@settings(max_examples=200, deadline=None)
@given(openai_usage(), st.integers(0, 20))
def test_openai_stream_equals_its_final_usage_chunk(usage, text_chunks):
    chunks = [{"choices": [{"delta": {"content": "x"}}], "usage": None}] * text_chunks
    chunks.append({"choices": [], "usage": usage})

    assert accumulate_stream("openai", chunks) == normalize_usage("openai", usage)


@settings(max_examples=100, deadline=None)
@given(gemini_usage(), st.integers(1, 10))
def test_gemini_stream_equals_its_last_usage_metadata(usage, chunk_count):
    partial = {"promptTokenCount": usage["promptTokenCount"], "candidatesTokenCount": 1}
    chunks = [{"usageMetadata": partial}] * (chunk_count - 1) + [{"usageMetadata": usage}]

    assert accumulate_stream("google", chunks) == normalize_usage("google", usage)
