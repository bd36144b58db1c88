"""Recording: responses read by shape, outcomes from exceptions, retries, cache hits."""

import asyncio
import json
from types import SimpleNamespace

import pytest
from sdk_shapes import SdkModel

from p402.client.encoding import encode
from p402.client.outcomes import outcome_of
from p402.normalizers import normalize_usage


def _error(name: str, **attrs) -> BaseException:
    """An exception shaped like an SDK's: its class name, and status attributes."""
    exc = type(name, (Exception,), {})()
    for key, value in attrs.items():
        setattr(exc, key, value)
    return exc


@pytest.mark.parametrize("exc, outcome", [
    (None, "success"),
    (_error("RateLimitError"), "rate_limited"),
    (_error("APIStatusError", status_code=429), "rate_limited"),
    (_error("ClientError", response={"Error": {"Code": "ThrottlingException"},
                                     "ResponseMetadata": {"HTTPStatusCode": 400}}),
     "rate_limited"),
    (_error("APIError", code=429, status="RESOURCE_EXHAUSTED"), "rate_limited"),
    (_error("APITimeoutError"), "timeout"),
    (TimeoutError(), "timeout"),
    (_error("ReadTimeout"), "timeout"),
    (_error("APIStatusError", status_code=504), "timeout"),
    (asyncio.CancelledError(), "cancelled"),
    (KeyboardInterrupt(), "cancelled"),
    (_error("ContentFilterFinishReasonError"), "content_filtered"),
    (_error("BadRequestError", status_code=400), "error"),
    (ValueError("bad"), "error"),
])
def test_exceptions_map_to_the_ledgers_outcomes(exc, outcome):
    assert outcome_of(exc) == outcome


@pytest.mark.parametrize("provider, response, tokens", [
    ("openai", SdkModel({"id": "chatcmpl-1", "model": "gpt-4o-mini",
                         "choices": [{"message": {"content": "secret answer"}}],
                         "usage": {"prompt_tokens": 12, "completion_tokens": 3,
                                   "prompt_tokens_details": None}}), (12, 3)),
    ("anthropic", SdkModel({"content": [{"text": "secret answer"}], "model": "claude",
                            "usage": {"input_tokens": 5, "cache_read_input_tokens": 100,
                                      "cache_creation_input_tokens": None,
                                      "output_tokens": 7}}), (105, 7)),
    ("google", SdkModel({"candidates": [{"content": {"parts": [{"text": "secret"}]}}],
                         "usage_metadata": {"prompt_token_count": 20,
                                            "candidates_token_count": 4,
                                            "thoughts_token_count": 6}}), (20, 10)),
    ("bedrock", {"output": {"message": {"content": [{"text": "secret answer"}]}},
                 "usage": {"inputTokens": 30, "outputTokens": 8, "totalTokens": 38},
                 "ResponseMetadata": {"RequestId": "req-1"}}, (30, 8)),
    ("bedrock", {"body": object(), "ResponseMetadata": {"RequestId": "req-2", "HTTPHeaders": {
        "x-amzn-bedrock-input-token-count": "41", "x-amzn-bedrock-output-token-count": "9",
        "content-type": "application/json"}}}, (41, 9)),
    ("openrouter", {"choices": [{"message": {"content": "secret answer"}}],
                    "usage": {"prompt_tokens": 7, "completion_tokens": 2, "cost": 0.0001}},
     (7, 2)),
])
def test_a_response_is_read_for_its_usage_and_never_its_text(captured, provider, response,
                                                            tokens):
    recorder, events = captured

    recorder.record(provider, None, response, workflow_id="w")

    line = encode(events[0])
    assert b"secret" not in line
    usage = normalize_usage(provider, json.loads(line)["usage"])
    assert (usage.input_tokens, usage.output_tokens) == tokens


def test_boto3_request_id_and_sdk_model_are_kept(captured):
    recorder, events = captured

    recorder.record("bedrock", "us.anthropic.claude", {"usage": {"inputTokens": 1,
                                                                 "outputTokens": 1},
                                                       "ResponseMetadata": {"RequestId": "r-9"}})
    recorder.record("openai", None, SimpleNamespace(model="gpt-4o", _request_id="req_abc",
                                                    usage={"prompt_tokens": 1,
                                                           "completion_tokens": 1}))

    assert [e["request_id"] for e in events] == ["r-9", "req_abc"]
    assert [e["model"] for e in events] == ["us.anthropic.claude", "gpt-4o"]


def test_retries_share_one_call_id_and_only_the_last_attempt_is_final(captured):
    recorder, events = captured

    class RateLimitError(Exception):
        pass

    with recorder.call("openai", "gpt-4o-mini", workflow_id="triage") as call:
        for number in range(3):
            try:
                with call.attempt() as attempt:
                    if number < 2:
                        raise RateLimitError
                    attempt.result({"usage": {"prompt_tokens": 9, "completion_tokens": 2}})
                break
            except RateLimitError:
                continue

    assert [(e["attempt"], e["final_attempt"], e["outcome"]) for e in events] == [
        (1, False, "rate_limited"), (2, False, "rate_limited"), (3, True, "success")]
    assert len({e["call_id"] for e in events}) == 1
    assert all(e["workflow_id"] == "triage" for e in events)


def test_a_call_that_fails_on_its_last_attempt_is_final_with_that_outcome(captured):
    recorder, events = captured

    with pytest.raises(TimeoutError):
        with recorder.call("anthropic", "claude") as call:
            for _ in range(2):
                with call.attempt():
                    raise TimeoutError

    assert [(e["attempt"], e["final_attempt"], e["outcome"]) for e in events] == [
        (1, True, "timeout")]


def test_a_single_call_block_is_one_final_attempt_with_its_latency(captured):
    recorder, events = captured

    with recorder.call("openai", "gpt-4o-mini", customer_id="acme") as call:
        call.result({"usage": {"prompt_tokens": 1, "completion_tokens": 1}})

    event = events[0]
    assert (event["attempt"], event["final_attempt"], event["outcome"]) == (1, True, "success")
    assert event["customer_id"] == "acme" and event["latency_ms"] >= 0


def test_a_semantic_cache_hit_carries_the_would_be_usage(captured):
    recorder, events = captured

    recorder.record_cache_hit("openai", "gpt-4o-mini",
                              {"usage": {"prompt_tokens": 800, "completion_tokens": 200}},
                              workflow_id="faq")

    event = events[0]
    assert event["cache_hit"] is True and event["outcome"] == "success"
    assert event["usage"] == {"prompt_tokens": 800, "completion_tokens": 200}


def test_default_attribution_is_on_every_event_and_an_events_own_field_wins(fake_p402):
    from p402.client import Recorder

    recorder = Recorder(fake_p402().url, "key", spill_dir=None, project_id="p1", owner="ops")
    events: list[dict] = []
    recorder._sender.submit = events.append

    recorder.record("openai", "gpt-4o", None, owner="ml-team")
    recorder.close()

    assert (events[0]["project_id"], events[0]["owner"]) == ("p1", "ml-team")


def test_record_never_raises_into_the_application(captured):
    recorder, events = captured

    def broken(event):
        raise RuntimeError("queue broken")

    recorder._sender.submit = broken
    recorder.record("openai", "gpt-4o", {"usage": {"prompt_tokens": 1, "completion_tokens": 1}})

    assert recorder.stats()["dropped"] == 1
