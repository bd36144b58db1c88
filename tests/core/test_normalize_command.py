"""`p402 normalize` prints one JSON line per event and exits non-zero when any is refused."""

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from core_helpers import corpus_cases, openai_event

P402 = [sys.executable, "-m", "p402.cli", "normalize"]


def normalize(tmp_path: Path, text: str, prices: list | None = None
              ) -> tuple[int, list[dict]]:
    events = tmp_path / "events.json"
    events.write_text(text)
    command = list(P402)
    if prices is not None:
        price_file = tmp_path / "prices.json"
        price_file.write_text(json.dumps(prices))
        command += ["--prices", str(price_file)]
    done = subprocess.run(command + [str(events)], capture_output=True, text=True,
                          timeout=60)
    return done.returncode, [json.loads(line) for line in done.stdout.splitlines()]


def test_every_corpus_case_through_the_command(tmp_path):
    for case in corpus_cases():
        code, rows = normalize(tmp_path, json.dumps(case["input"]), case["prices"])

        if case["expect"].get("error"):
            assert code != 0 and rows[0]["error"], case["id"]
            continue
        assert code == 0, case["id"]
        for key, want in case["expect"].items():
            got = rows[0][key]
            if key == "cost_usd" and want is not None:
                assert abs(Decimal(got) - Decimal(want)) <= Decimal("1e-9"), case["id"]
            else:
                assert got == want, (case["id"], key)


def test_json_lines_with_one_bad_event_prints_both_and_fails(tmp_path):
    good = openai_event(event_id="good-1")
    bad = openai_event(event_id="bad-1", usage={"prompt_tokens": -3, "completion_tokens": 1})
    text = json.dumps(good) + "\n" + json.dumps(bad) + "\n"

    code, rows = normalize(tmp_path, text)

    assert code == 1
    assert rows[0]["event_id"] == "good-1" and rows[0]["cost_usd"] == "0.003500000000"
    assert rows[1]["index"] == 1
    assert rows[1]["problems"][0]["field"] == "usage.prompt_tokens"


def test_array_of_events_is_accepted(tmp_path):
    code, rows = normalize(tmp_path, json.dumps([openai_event(), openai_event()]))

    assert code == 0
    assert [r["input_tokens"] for r in rows] == [1000, 1000]


def test_unreadable_price_file_is_named(tmp_path):
    (tmp_path / "prices.json").write_text("[{\"provider\": \"openai\"}]")
    (tmp_path / "e.json").write_text(json.dumps(openai_event()))

    done = subprocess.run(P402 + ["--prices", str(tmp_path / "prices.json"),
                                  str(tmp_path / "e.json")], capture_output=True, text=True)

    assert done.returncode == 2
    assert "price file entry 0: `model`" in done.stderr
