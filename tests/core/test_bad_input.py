"""Bad input is refused with the field, the value and what was expected; content is dropped."""

import pytest
from core_helpers import RECEIVED_AT, openai_event

from p402.errors import EventRefused
from p402.events import build_row
from p402.pricing import PriceBook

CATALOG = PriceBook()

REFUSED = [
    ("negative", openai_event(usage={"prompt_tokens": -1, "completion_tokens": 1}),
     "usage.prompt_tokens", "whole number"),
    ("fractional", openai_event(usage={"prompt_tokens": 10.5, "completion_tokens": 1}),
     "usage.prompt_tokens", "whole number"),
    ("absurd", openai_event(usage={"prompt_tokens": 10**12, "completion_tokens": 1}),
     "usage.prompt_tokens", "100,000,000"),
    ("text count", openai_event(usage={"prompt_tokens": "many", "completion_tokens": 1}),
     "usage.prompt_tokens", "whole number"),
    ("boolean count", openai_event(usage={"prompt_tokens": True, "completion_tokens": 1}),
     "usage.prompt_tokens", "whole number"),
    ("cached above prompt", openai_event(usage={
        "prompt_tokens": 10, "completion_tokens": 1,
        "prompt_tokens_details": {"cached_tokens": 11}}),
     "usage.prompt_tokens_details.cached_tokens", "at most usage.prompt_tokens"),
    ("reasoning above output", openai_event(usage={
        "prompt_tokens": 10, "completion_tokens": 1,
        "completion_tokens_details": {"reasoning_tokens": 5}}),
     "usage.completion_tokens_details.reasoning_tokens", "at most"),
    ("canonical cache above input", openai_event(usage=None, tokens={
        "input_tokens": 100, "output_tokens": 1, "cache_read_tokens": 90,
        "cache_write_tokens": 20}),
     "tokens.cache_read_tokens + cache_write_tokens", "at most tokens.input_tokens"),
    ("canonical total disagrees", openai_event(usage=None, tokens={
        "input_tokens": 100, "output_tokens": 1, "total_tokens": 50}),
     "tokens.total_tokens", "input_tokens + output_tokens"),
    ("missing provider", {"model": "gpt-4o"}, "provider", "required"),
    ("missing model", {"provider": "openai"}, "model", "required"),
    ("bad timestamp", openai_event(occurred_at="yesterday"), "occurred_at", "datetime"),
    ("impossible date", openai_event(occurred_at="2026-13-45T00:00:00Z"), "occurred_at", ""),
    ("far future", openai_event(occurred_at="2031-01-01T00:00:00Z"), "occurred_at",
     "between"),
    ("unknown outcome", openai_event(outcome="meh"), "outcome", "success"),
    ("two usage forms", openai_event(tokens={"input_tokens": 1, "output_tokens": 1}),
     "tokens", "only one of"),
    ("stream not a list", openai_event(usage=None, stream={"a": 1}), "stream", "list"),
    ("waste above input", openai_event(context_waste_tokens=5000), "context_waste_tokens",
     "at most input_tokens"),
    ("cost beyond what one call can cost", {
        "provider": "openrouter", "model": "openai/gpt-4o",
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "cost": 5_000_000}},
     "cost_usd", "under 1,000,000 USD"),
    ("unknown provider with an unreadable usage", {
        "provider": "acme", "model": "x", "usage": {"foo": 1}}, "provider", "tokens"),
    ("nested unknown field", openai_event(chat_history=[{"role": "user"}]), "chat_history",
     "short scalar"),
]


@pytest.mark.parametrize("event,field,expected", [r[1:] for r in REFUSED],
                         ids=[r[0] for r in REFUSED])
def test_bad_event_is_refused_naming_field_and_expectation(event, field, expected):
    with pytest.raises(EventRefused) as refused:
        build_row(event, CATALOG, RECEIVED_AT)

    problem = refused.value.problems[0]
    assert problem.field == field
    assert expected in problem.expected
    assert field in str(refused.value)


def test_prompt_and_response_text_never_reach_the_row():
    canary = "CANARY-PROMPT-TEXT-core"
    event = openai_event(prompt=canary, messages=[{"content": canary}], response=canary,
                         metadata={"prompt": canary, "team": "search"})

    row = build_row(event, CATALOG, RECEIVED_AT)

    assert canary not in repr(row)
    assert row["metadata"] == {"team": "search"}


def test_unknown_short_field_is_kept_in_metadata_not_dropped():
    row = build_row(openai_event(region_hint="eu", retries_allowed=3), CATALOG, RECEIVED_AT)

    assert row["metadata"] == {"region_hint": "eu", "retries_allowed": "3"}


def test_usage_missing_means_unknown_counts_never_zero():
    event = openai_event()
    del event["usage"]

    row = build_row(event, CATALOG, RECEIVED_AT)

    assert row["usage_source"] == "missing"
    assert (row["input_tokens"], row["output_tokens"], row["cost_usd"]) == (None, None, None)
