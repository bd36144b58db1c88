"""Delivery: nothing lost and nothing twice across outages, crashes, retries and refusals."""

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from client_servers import ROOT, free_port

from p402.client import Recorder

USAGE = {"usage": {"prompt_tokens": 10, "completion_tokens": 5}}
COUNTS_SQL = ("SELECT workflow_id, count(*) AS n, count(DISTINCT event_id) AS ids "
              "FROM ai_economic_events GROUP BY workflow_id")


def _fast(url: str, key: str, spill_dir, **settings) -> Recorder:
    options = dict(spill_dir=spill_dir, flush_interval=0.05, backoff=0.02, max_backoff=0.2,
                   close_timeout=5.0, request_timeout=2.0)
    return Recorder(url, key, **(options | settings))


def _counts(server, expected: dict[str, int]) -> dict[str, tuple[int, int]]:
    def landed(rows):
        return all(r["n"] >= expected.get(r["workflow_id"], 0) for r in rows) and len(
            rows) >= len(expected)

    rows = server.rows_when(COUNTS_SQL, landed)
    return {row["workflow_id"]: (row["n"], row["ids"]) for row in rows}


def test_server_down_then_up_loses_nothing_and_counts_nothing_twice(p402_stopped, tmp_path):
    recorder = _fast(p402_stopped.url, p402_stopped.key, tmp_path / "spill")
    for _ in range(120):
        recorder.record("openai", "gpt-4o-mini", USAGE, workflow_id="while-down")
    assert recorder.flush(10)
    assert recorder.stats()["spilled"] == 120

    p402_stopped.start()
    for _ in range(80):
        recorder.record("openai", "gpt-4o-mini", USAGE, workflow_id="once-up")
    recorder.close()

    stats = recorder.stats()
    assert stats["replayed"] == stats["spilled"] >= 120
    assert stats["dropped"] == 0
    counts = _counts(p402_stopped, {"while-down": 120, "once-up": 80})
    assert counts == {"while-down": (120, 120), "once-up": (80, 80)}
    assert list((tmp_path / "spill").glob("*.jsonl")) == []


CHILD = r"""
import sys, time
from p402.client import Recorder
url, spill = sys.argv[1], sys.argv[2]
rec = Recorder(url, "key", spill_dir=spill, flush_interval=0.02, max_retries=0,
               backoff=0.01, max_backoff=0.05)
for i in range(300):
    rec.record("openai", "gpt-4o-mini", {"usage": {"prompt_tokens": 3, "completion_tokens": 1}},
               workflow_id="before-kill")
assert rec.flush(30), "flush timed out"
print("flushed", rec.stats()["spilled"], flush=True)
while True:
    rec.record("openai", "gpt-4o-mini", {"usage": {"prompt_tokens": 3, "completion_tokens": 1}},
               workflow_id="during-kill")
    time.sleep(0.0002)
"""


def test_process_killed_mid_flush_has_its_spill_replayed_on_restart(p402_stopped, tmp_path):
    spill = tmp_path / "spill"
    child = subprocess.Popen([sys.executable, "-c", CHILD, p402_stopped.url, str(spill)],
                             stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert child.stdout.readline().split() == ["flushed", "300"]
    time.sleep(0.5)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    spilled_lines = sum(len(p.read_bytes().splitlines()) for p in spill.glob("*.jsonl"))

    p402_stopped.start()
    restarted = _fast(p402_stopped.url, p402_stopped.key, spill)
    restarted.close()

    counts = _counts(p402_stopped, {"before-kill": 300})
    assert counts["before-kill"] == (300, 300)
    during, during_ids = counts.get("during-kill", (0, 0))
    assert during == during_ids >= spilled_lines - 300 - restarted.stats()["dropped"]
    assert list(spill.glob("*.jsonl")) == []


def test_429_and_5xx_are_retried_and_each_event_lands_once(fake_p402):
    fake = fake_p402([503, 429, 500])
    recorder = _fast(fake.url, "key", None)

    for _ in range(3):
        recorder.record("openai", "gpt-4o-mini", USAGE)
    recorder.close()

    ids = [event["event_id"] for event in fake.events()]
    assert len(ids) == len(set(ids)) == 3
    assert recorder.stats() | {} == {"delivered": 3, "rejected": 0, "spilled": 0,
                                     "replayed": 0, "dropped": 0}


def test_a_batch_too_large_is_split_in_halves(fake_p402):
    fake = fake_p402([413])
    recorder = _fast(fake.url, "key", None, flush_interval=5.0)

    for _ in range(4):
        recorder.record("openai", "gpt-4o-mini", USAGE)
    recorder.close()

    assert [len(batch) for batch in fake.batches] == [2, 2]


def test_a_refused_batch_is_counted_and_not_retried(fake_p402, caplog):
    fake = fake_p402([400])
    recorder = _fast(fake.url, "key", None, flush_interval=5.0)

    with caplog.at_level(logging.WARNING, logger="p402.client"):
        for _ in range(2):
            recorder.record("openai", "gpt-4o-mini", USAGE, customer_id="acme")
        recorder.close()

    assert fake.batches == []
    assert recorder.stats()["rejected"] == 2
    assert "refused a batch of 2 events (HTTP 400" in caplog.text
    assert "acme" not in caplog.text


def test_a_refused_api_key_spills_rather_than_drops(fake_p402, tmp_path):
    fake = fake_p402([401] * 5)
    recorder = _fast(fake.url, "key", tmp_path, flush_interval=5.0)

    recorder.record("openai", "gpt-4o-mini", USAGE)
    recorder.close(timeout=0.5)

    assert recorder.stats()["spilled"] == 1
    assert len(list(tmp_path.glob("*.jsonl"))) == 1


def test_a_full_queue_drops_new_events_and_says_how_many(caplog):
    unreachable = f"http://127.0.0.1:{free_port()}"
    recorder = _fast(unreachable, "key", None, flush_interval=30.0, max_queue=10)

    with caplog.at_level(logging.WARNING, logger="p402.client"):
        for _ in range(15):
            recorder.record("openai", "gpt-4o-mini", USAGE, customer_id="acme")
        recorder.close(timeout=0.5)

    assert recorder.stats()["dropped"] == 15
    assert "dropped 1 events in all (the queue is full)" in caplog.text
    assert "dropped 15" in caplog.text
    assert "acme" not in caplog.text


def test_close_is_bounded_and_spills_when_p402_is_unreachable(tmp_path):
    unreachable = f"http://127.0.0.1:{free_port()}"
    recorder = _fast(unreachable, "key", tmp_path, close_timeout=1.0)

    for _ in range(50):
        recorder.record("openai", "gpt-4o-mini", USAGE)
    started = time.monotonic()
    recorder.close()

    assert time.monotonic() - started < 3.0
    assert recorder.stats()["spilled"] == 50
    assert sum(len(p.read_bytes().splitlines()) for p in tmp_path.glob("*.jsonl")) == 50


def test_a_spilled_line_cut_by_a_crash_is_skipped_and_counted(fake_p402, tmp_path):
    good = b'{"event_id":"e-%d","provider":"openai","model":"gpt-4o-mini"}'
    (tmp_path / "0001-dead.jsonl").write_bytes(good % 1 + b"\n" + good % 2 + b"\n"
                                               + b'{"event_id":"e-3","usage":{"a":1}')
    fake = fake_p402()

    recorder = _fast(fake.url, "key", tmp_path)
    recorder.close()

    assert [event["event_id"] for event in fake.events()] == ["e-1", "e-2"]
    assert recorder.stats()["dropped"] == 1
    assert list(Path(tmp_path).glob("*.jsonl")) == []
