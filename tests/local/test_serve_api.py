"""The ingest API through a real `p402 serve` on 127.0.0.1, checked through `p402 query`."""

import json
import urllib.request
import uuid

from local_helpers import server  # noqa: F401  (a fixture)
from local_helpers import KEY, Server, event, post, query

from p402.keys import hash_key


def test_post_without_key_or_with_wrong_key_gets_401_and_no_detail(server):
    for key in (None, "wrong-key"):
        code, body = post(server.url, [event("e1")], key=key)

        assert code == 401
        assert body == {"error": "unauthorized"}


def test_health_answers_without_a_key(server):
    with urllib.request.urlopen(server.url + "/v1/health", timeout=5) as answer:
        assert json.loads(answer.read()) == {"status": "ok"}


def test_malformed_body_gets_400_naming_the_problem(server):
    code, body = post(server.url, raw=b'{"events": [ {"provider": ')

    assert code == 400
    assert body["error"].startswith("body: not JSON")


def test_batch_accepts_the_good_and_names_the_bad(server):
    bad = event("bad", usage={"prompt_tokens": -3, "completion_tokens": 1})

    code, body = post(server.url, {"events": [event("good-1"), event("good-2"), bad]})

    assert code == 202
    assert body["accepted"] == 2
    assert body["rejected"] == [{"index": 2, "event_id": "bad", "errors": [{
        "field": "usage.prompt_tokens", "value": "-3",
        "expected": "a whole number of tokens from 0 to 100,000,000",
        "message": "usage.prompt_tokens: got -3, expected a whole number of tokens from 0 "
                   "to 100,000,000"}]}]


def test_every_event_refused_gets_400_with_the_reasons(server):
    code, body = post(server.url, [{"provider": "openai"}])

    assert code == 400
    assert body["rejected"][0]["errors"][0]["field"] == "model"


def test_more_than_1000_events_get_413(server):
    code, body = post(server.url, [event(str(i)) for i in range(1001)])

    assert code == 413
    assert "at most 1000" in body["error"]


def test_same_event_id_posted_twice_counts_once(server):
    post(server.url, [event("twice")])
    post(server.url, [event("twice")])

    rows = query(server.data_dir, "SELECT count(*) AS n FROM ai_economic_events "
                                  "WHERE event_id = 'twice'")
    assert rows == [{"n": 1}]


def test_event_without_id_retried_with_its_occurred_at_counts_once(server):
    retried = event("x")
    del retried["event_id"]

    post(server.url, [retried])
    post(server.url, [retried])

    rows = query(server.data_dir, "SELECT count(*) AS n FROM ai_economic_events")
    assert rows == [{"n": 1}]


def test_three_attempts_of_a_call_make_the_first_two_retry_waste(server):
    call = "call-" + uuid.uuid4().hex[:6]
    attempts = [event(f"{call}-{n}", call_id=call, attempt=n,
                      outcome="success" if n == 3 else "rate_limited") for n in (1, 2, 3)]

    code, _ = post(server.url, attempts)

    rows = query(server.data_dir, "SELECT sum(retry_cost_usd) AS retry, sum(cost_usd) AS "
                                  f"cost FROM ai_economic_events WHERE call_id = '{call}'")
    assert code == 202
    assert rows == [{"retry": "0.000420000000", "cost": "0.000630000000"}]


def test_key_bound_to_a_project_cannot_write_another(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "keys.json").write_text(json.dumps([
        {"name": "search-team", "key_sha256": hash_key("search-key"),
         "projects": ["search"]}]))
    server = Server(data_dir).start()
    try:
        code, body = post(server.url, [event("a", project_id="search"),
                                       event("b", project_id="billing")], key="search-key")
    finally:
        server.stop()

    assert code == 202 and body["accepted"] == 1
    assert body["rejected"][0]["event_id"] == "b"
    assert body["rejected"][0]["errors"][0]["field"] == "project_id"


def test_prompt_text_reaches_no_stored_file_and_no_log_line(server):
    canary = "CANARY-PROMPT-TEXT-serve-" + uuid.uuid4().hex[:6]
    leaky = event("leaky", prompt=canary, messages=[{"role": "user", "content": canary}],
                  metadata={"response": canary})
    stream = event("stream", usage=None, stream=[
        {"choices": [{"delta": {"content": canary}}], "usage": None},
        {"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 2}}])

    code, body = post(server.url, [leaky, stream])
    server.stop()

    assert code == 202 and body["accepted"] == 2
    stored = [p for p in server.data_dir.parent.rglob("*") if p.is_file()]
    assert stored and all(canary.encode() not in p.read_bytes() for p in stored)
    assert query(server.data_dir, "SELECT count(*) AS n FROM ai_economic_events") == [
        {"n": 2}]


def test_serve_refuses_a_non_loopback_host_unless_told(tmp_path):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "p402.cli", "serve", "--host", "0.0.0.0",
                           "--data-dir", str(tmp_path)], capture_output=True, text=True,
                          timeout=30, env={"P402_API_KEY": KEY, "PATH": "/usr/bin"})

    assert done.returncode == 2
    assert "--allow-remote" in done.stderr


def test_a_chunked_body_is_read_whole_and_the_connection_stays_usable(server):
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    body = json.dumps([event("chunked-1")]).encode()
    halves = iter([body[:40], body[40:]])

    connection.request("POST", "/v1/events", body=halves, headers=headers,
                       encode_chunked=True)
    first = connection.getresponse()
    first_body = json.loads(first.read())
    connection.request("GET", "/v1/health")
    second = connection.getresponse()

    assert (first.status, first_body["accepted"]) == (202, 1)
    assert (second.status, json.loads(second.read())) == (200, {"status": "ok"})
