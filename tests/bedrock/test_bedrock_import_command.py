"""`p402 import-bedrock-logs` lands the bundled logs with the expected totals, once, textless."""

import json
import logging
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from bedrock_fixtures import HOUR, record_with, write_gzip_lines
from p402.adapters.duckdb_ledger import DuckLedger
from p402.cli import main

BY_WORKFLOW = """
SELECT coalesce(workflow_id, '') AS wf, count(*) AS events,
       sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
       sum(cache_read_tokens) AS cache_read_tokens, sum(cache_write_tokens) AS cache_write_tokens
FROM ai_economic_events WHERE source = 'bedrock_invocation_log' GROUP BY 1
"""


def run_import(capsys, data_dir: Path, *paths: Path, owners: dict | None = None
               ) -> tuple[int, dict, str]:
    """Runs the command; returns its exit code, its JSON summary and its stderr."""
    argv = ["import-bedrock-logs", "--data-dir", str(data_dir)]
    if owners is not None:
        owners_file = data_dir.parent / "owners.json"
        owners_file.write_text(json.dumps(owners))
        argv += ["--owners", str(owners_file)]
    code = main(argv + [str(p) for p in paths])
    out, err = capsys.readouterr()
    return code, json.loads(out.strip().splitlines()[-1]), err


def ledger_rows(data_dir: Path, sql: str) -> list[dict]:
    ledger = DuckLedger(data_dir)
    try:
        return ledger.query(sql)
    finally:
        ledger.close()


def totals_by_workflow(data_dir: Path) -> dict:
    rows = ledger_rows(data_dir, BY_WORKFLOW)
    return {r.pop("wf"): {k: int(v) for k, v in r.items()} for r in rows}


def test_bundled_logs_land_with_the_expected_totals(tmp_path, logs, expected, capsys):
    data = tmp_path / "data"

    code, summary, _ = run_import(capsys, data, logs)

    assert code == 0
    assert summary == {"files": 3, "records": 5, "accepted": 5, "refused": 0, "skipped": 0,
                       "skipped_objects": 2, "malformed_lines": 0}
    assert totals_by_workflow(data) == expected["by_workflow"]
    errors = ledger_rows(data, "SELECT count(*) AS n FROM ai_economic_events "
                               "WHERE outcome = 'error'")
    assert errors[0]["n"] == expected["errors"]


def test_importing_the_same_files_twice_counts_once(tmp_path, logs, expected, capsys):
    data = tmp_path / "data"

    run_import(capsys, data, logs)
    code, summary, _ = run_import(capsys, data, logs)

    assert (code, summary["accepted"]) == (0, 5)
    counted = ledger_rows(data, "SELECT count(*) AS n, count(DISTINCT event_id) AS ids "
                                "FROM ai_economic_events")
    assert counted == [{"n": expected["events"], "ids": expected["events"]}]
    assert totals_by_workflow(data) == expected["by_workflow"]


def test_canary_text_reaches_no_stored_file_and_no_output(tmp_path, logs, canary, capsys,
                                                          caplog):
    data = tmp_path / "data"
    caplog.set_level(logging.DEBUG)
    broken = write_gzip_lines(logs / HOUR / "20261130T150000Z_0009abcd0009.json.gz", [
        '{"requestId": "cut", "inputBodyJson": "' + canary])

    code, summary, err = run_import(capsys, data, logs)

    assert (code, summary["malformed_lines"]) == (0, 1)
    stored = [p for p in data.rglob("*") if p.is_file()]
    assert any(p.suffix == ".parquet" for p in stored)
    assert [p for p in stored if canary.encode() in p.read_bytes()] == []
    for parquet in data.rglob("*.parquet"):
        assert canary not in json.dumps(pq.read_table(parquet).to_pylist(), default=str)
    assert canary not in err
    assert all(canary not in r.getMessage() for r in caplog.records)
    assert str(broken) in err


def test_permission_check_and_data_bodies_are_skipped(tmp_path, logs, capsys):
    data = tmp_path / "data"
    check = next(logs.rglob("amazon-bedrock-logs-permission-check"))
    body = next(logs.rglob("data/*.json.gz"))

    code, summary, _ = run_import(capsys, data, check, body)

    assert code == 0
    assert (summary["files"], summary["records"], summary["skipped_objects"]) == (0, 0, 2)
    assert ledger_rows(data, "SELECT count(*) AS n FROM ai_economic_events") == [{"n": 0}]


def test_malformed_line_is_reported_and_the_rest_land(tmp_path, capsys):
    data = tmp_path / "data"
    good = [json.dumps(record_with(s)) for s in ("0001", "0003")]
    path = write_gzip_lines(tmp_path / "in" / HOUR / "x.json.gz",
                            [good[0], "{not json", good[1]])

    code, summary, err = run_import(capsys, data, path)

    assert code == 0
    assert (summary["records"], summary["accepted"], summary["malformed_lines"]) == (2, 2, 1)
    assert f"{path}:2: not JSON" in err
    landed = ledger_rows(data, "SELECT request_id FROM ai_economic_events ORDER BY 1")
    assert [r["request_id"][-4:] for r in landed] == ["0001", "0003"]


def test_refused_record_exits_1_and_is_named_by_request_id(tmp_path, capsys):
    data = tmp_path / "data"
    bad = record_with("0002")
    bad["output"]["outputTokenCount"] = 1.5
    path = write_gzip_lines(tmp_path / "in" / "x.json.gz",
                            [json.dumps(record_with("0001")), json.dumps(bad)])

    code, summary, err = run_import(capsys, data, path)

    assert code == 1
    assert (summary["accepted"], summary["refused"]) == (1, 1)
    assert "request 5b1d0c2e-0001-4000-8000-000000000002: refused (usage.outputTokens)" in err


def test_owners_file_maps_callers_to_owners(tmp_path, logs, capsys):
    data = tmp_path / "data"
    owners = {"checkout-app": "payments-team",
              "arn:aws:sts::111122223333:assumed-role/triage": "support-team"}

    run_import(capsys, data, logs, owners=owners)

    rows = ledger_rows(data, "SELECT owner, count(*) AS n FROM ai_economic_events "
                             "GROUP BY owner ORDER BY owner")
    assert rows == [{"owner": "payments-team", "n": 4}, {"owner": "support-team", "n": 1}]


def test_request_metadata_keys_that_are_not_columns_land_in_metadata(tmp_path, capsys):
    data = tmp_path / "data"
    record = record_with("0004")
    record["requestMetadata"].update(ticket_queue="emea", project_id="helpdesk")
    path = write_gzip_lines(tmp_path / "in" / "x.json.gz", [json.dumps(record)])

    run_import(capsys, data, path)

    rows = ledger_rows(data, "SELECT workflow_id, department_id, project_id, "
                             "metadata['ticket_queue'] AS queue, caller_arn "
                             "FROM ai_economic_events")
    assert rows == [{"workflow_id": "triage", "department_id": "support",
                     "project_id": "helpdesk", "queue": "emea",
                     "caller_arn": "arn:aws:sts::111122223333:assumed-role/checkout-app/"
                                   "session-1"}]


@pytest.mark.parametrize("setup, message", [
    ("missing_path", "no such file or directory"),
    ("bad_owners", "owners file"),
])
def test_unusable_inputs_exit_2_naming_the_problem(tmp_path, capsys, setup, message):
    argv = ["import-bedrock-logs", "--data-dir", str(tmp_path / "data")]
    if setup == "bad_owners":
        (tmp_path / "owners.json").write_text('["not", "an", "object"]')
        argv += ["--owners", str(tmp_path / "owners.json"), str(tmp_path)]
    else:
        argv += [str(tmp_path / "nowhere")]

    assert main(argv) == 2
    assert message in capsys.readouterr().err
