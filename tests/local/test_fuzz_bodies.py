"""Fuzzed bodies get an answer below 500: the API never crashes on what a client sends."""

import base64
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from local_helpers import server  # noqa: F401  (a fixture)
from local_helpers import KEY, post

from p402.adapters.local_lake import LocalLake
from p402.api.app import IngestDependencies, create_app
from p402.keys import ALL_PROJECTS, KeyGrant, KeyRing, hash_key
from p402.pricing import PriceBook

FIELDS = ["provider", "model", "usage", "tokens", "stream", "event_id", "occurred_at",
          "attempt", "call_id", "outcome", "latency_ms", "metadata", "cache_hit",
          "final_attempt", "context_waste_tokens", "project_id", "prompt", "evidence"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                    st.floats(allow_nan=True), st.text(max_size=30))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12)
usage_keys = ["prompt_tokens", "completion_tokens", "input_tokens", "output_tokens",
              "promptTokenCount", "inputTokens", "cache_read_input_tokens",
              "prompt_tokens_details", "cachedContentTokenCount", "cost"]
usage_like = st.dictionaries(st.sampled_from(usage_keys), values, max_size=5)
event_like = st.fixed_dictionaries(
    {"provider": st.sampled_from(["openai", "anthropic", "google", "bedrock", "openrouter",
                                  "azure", "nope", ""])},
    optional={name: st.one_of(values, usage_like) for name in FIELDS[1:]})
bodies = st.one_of(
    st.binary(max_size=200).map(lambda b: ("raw", b)),
    values.map(lambda v: ("json", v)),
    st.lists(event_like, max_size=5).map(lambda v: ("json", v)),
    event_like.map(lambda v: ("json", {"events": [v]})),
)


def _app(tmp_path_factory):
    lake = LocalLake(tmp_path_factory.mktemp("fuzz"))
    keys = KeyRing([KeyGrant(hash_key(KEY), frozenset({ALL_PROJECTS}))])
    return create_app(IngestDependencies(sink=lake, prices=PriceBook(), keys=keys))


def _api_event(payload: bytes) -> dict:
    return {"version": "2.0", "routeKey": "$default", "rawPath": "/v1/events",
            "rawQueryString": "", "headers": {"authorization": f"Bearer {KEY}"},
            "requestContext": {"http": {"method": "POST", "path": "/v1/events",
                                        "sourceIp": "127.0.0.1"}, "stage": "$default"},
            "body": base64.b64encode(payload).decode(), "isBase64Encoded": True}


def _encode(kind: str, value) -> bytes:
    if kind == "raw":
        return value
    return json.dumps(value, allow_nan=True).encode()


@settings(max_examples=600, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=bodies)
def test_fuzzed_body_never_gets_a_5xx_in_the_handler(tmp_path_factory, body):
    app = _fuzz_app(tmp_path_factory)

    answer = app.resolve(_api_event(_encode(*body)), None)

    assert answer["statusCode"] in (202, 400, 413), answer["body"][:300]
    assert "error" in json.loads(answer["body"]) or answer["statusCode"] == 202


_APPS: dict = {}


def _fuzz_app(tmp_path_factory):
    if "app" not in _APPS:
        _APPS["app"] = _app(tmp_path_factory)
    return _APPS["app"]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies)
def test_fuzzed_body_over_http_gets_a_4xx_or_202(server, body):
    code, _ = post(server.url, raw=_encode(*body))

    assert code in (202, 400, 413)
