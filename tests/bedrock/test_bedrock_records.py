"""One invocation-log record becomes one event, then one row: what is kept, what never is."""

import json
from datetime import UTC, datetime

import pytest

from bedrock_fixtures import record_with
from p402.bedrock_logs import (
    SOURCE, ImportTally, invocation_row, invocation_to_event, owner_of, rows_from_records,
)
from p402.errors import EventRefused
from p402.pricing import PriceBook

NOW = datetime(2026, 12, 1, tzinfo=UTC)
SESSION = "arn:aws:sts::111122223333:assumed-role/checkout-app/session-1"


@pytest.fixture(scope="module")
def prices() -> PriceBook:
    return PriceBook()


def test_event_carries_the_record_metadata_and_no_body():
    event = invocation_to_event(record_with("0001"), {})

    assert event == {
        "event_id": "5b1d0c2e-0001-4000-8000-000000000001",
        "request_id": "5b1d0c2e-0001-4000-8000-000000000001",
        "provider": "bedrock",
        "model": "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "operation": "converse",
        "occurred_at": "2026-11-30T14:02:11Z",
        "region": "us-west-2",
        "streamed": False,
        "caller_arn": SESSION,
        "outcome": "success",
        "usage": {"inputTokenCount": 450, "cacheReadInputTokenCount": 6000,
                  "cacheWriteInputTokenCount": 2000, "outputTokenCount": 700},
        "workflow_id": "ticket-summary",
        "customer_id": "cust-001",
        "feature_id": "summaries",
    }


def test_input_tokens_include_cache_reads_and_writes(prices):
    row = invocation_row(record_with("0001"), {}, prices, NOW)

    assert (row["input_tokens"], row["cache_read_tokens"], row["cache_write_tokens"]) == (
        450 + 6000 + 2000, 6000, 2000)
    assert (row["output_tokens"], row["total_tokens"]) == (700, 8450 + 700)
    assert row["usage_source"] == "provider_reported"


def test_row_is_sourced_from_the_log_and_keeps_the_caller(prices):
    row = invocation_row(record_with("0002"), {}, prices, NOW)

    assert row["source"] == SOURCE == "bedrock_invocation_log"
    assert row["caller_arn"] == SESSION
    assert row["event_id"] == "5b1d0c2e-0001-4000-8000-000000000002"
    assert row["occurred_at"] == "2026-11-30T14:03:40.000Z"


@pytest.mark.parametrize("operation, streamed", [
    ("Converse", False), ("ConverseStream", True), ("InvokeModel", False),
    ("InvokeModelWithResponseStream", True),
])
def test_stream_operations_are_streamed(operation, streamed):
    record = {**record_with("0001"), "operation": operation}

    event = invocation_to_event(record, {})

    assert (event["operation"], event["streamed"]) == (operation.lower(), streamed)


def test_region_is_the_inference_region_when_given_else_the_log_region():
    assert invocation_to_event(record_with("0001"), {})["region"] == "us-west-2"
    assert invocation_to_event(record_with("0002"), {})["region"] == "us-east-1"


def test_error_code_makes_an_error_outcome_with_its_type(prices):
    row = invocation_row(record_with("0005"), {}, prices, NOW)

    assert (row["outcome"], row["error_type"]) == ("error", "ThrottlingException")
    assert (row["input_tokens"], row["output_tokens"]) == (300, 0)


def test_failed_call_without_output_count_billed_no_output():
    record = record_with("0005")
    record["output"] = {}

    assert invocation_to_event(record, {})["usage"] == {
        "inputTokenCount": 300, "outputTokenCount": 0}


def test_record_without_token_counts_has_unknown_usage(prices):
    record = record_with("0003")
    del record["input"]["inputTokenCount"], record["output"]["outputTokenCount"]

    row = invocation_row(record, {}, prices, NOW)

    assert (row["input_tokens"], row["output_tokens"], row["usage_source"]) == (
        None, None, "missing")


def test_request_metadata_columns_become_columns_and_the_rest_metadata(prices):
    record = record_with("0004")
    record["requestMetadata"] = {
        "workflow_id": "triage", "department_id": "support", "owner": "support-team",
        "project_id": "helpdesk", "employee_id": "e-42", "action_type": "classify",
        "task_type": "routing", "call_id": "call-9", "attempt": "2",
        "ticket_queue": "emea", "provider": "spoofed"}

    row = invocation_row(record, {}, prices, NOW)

    assert {k: row[k] for k in ("workflow_id", "department_id", "owner", "project_id",
                                "employee_id", "action_type", "task_type", "call_id",
                                "attempt")} == {
        "workflow_id": "triage", "department_id": "support", "owner": "support-team",
        "project_id": "helpdesk", "employee_id": "e-42", "action_type": "classify",
        "task_type": "routing", "call_id": "call-9", "attempt": 2}
    assert row["metadata"] == {"ticket_queue": "emea", "provider": "spoofed"}
    assert row["provider"] == "bedrock"


def test_no_body_text_reaches_the_event_or_the_row(prices, canary):
    for suffix in ("0001", "0002", "0003", "0004", "0005"):
        record = record_with(suffix)
        assert canary in json.dumps(record)

        event = invocation_to_event(record, {"checkout-app": "payments"})
        row = invocation_row(record, {"checkout-app": "payments"}, prices, NOW)

        assert canary not in json.dumps(event)
        assert canary not in json.dumps(row)


def test_offloaded_body_paths_are_not_copied(prices):
    record = record_with("0001")
    record["input"] = {"inputBodyS3Path": "s3://logs/data/x_input.json.gz",
                       "inputTokenCount": 10}
    record["output"] = {"outputBodyS3Path": "s3://logs/data/x_output.json.gz",
                        "outputTokenCount": 5}

    row = invocation_row(record, {}, prices, NOW)

    assert "s3://" not in json.dumps(row)
    assert (row["input_tokens"], row["output_tokens"]) == (10, 5)


OWNERS = {
    "arn:aws:sts::111122223333:assumed-role/checkout-app/session-1": "exact-session",
    "arn:aws:sts::111122223333:assumed-role/": "any-session",
    "arn:aws:sts::111122223333:assumed-role/triage": "triage-prefix",
    "arn:aws:iam::111122223333:role/billing-app": "billing-role-arn",
    "arn:aws:iam::111122223333:role/batch-": "batch-role-prefix",
    "reports-app": "reports-role-name",
    "arn:aws:iam::111122223333:user/alice": "alice",
}


@pytest.mark.parametrize("caller, owner", [
    (SESSION, "exact-session"),
    ("arn:aws:sts::111122223333:assumed-role/triage-worker/s-7", "triage-prefix"),
    ("arn:aws:sts::111122223333:assumed-role/billing-app/s-1", "billing-role-arn"),
    ("arn:aws:sts::111122223333:assumed-role/batch-nightly/s-1", "batch-role-prefix"),
    ("arn:aws:sts::111122223333:assumed-role/reports-app/s-1", "reports-role-name"),
    ("arn:aws:sts::111122223333:assumed-role/other-app/s-1", "any-session"),
    ("arn:aws:iam::111122223333:user/alice", "alice"),
    ("arn:aws:iam::999999999999:user/bob", None),
    (None, None),
])
def test_owner_is_the_exact_arn_then_role_then_longest_prefix(caller, owner):
    assert owner_of(caller, OWNERS) == owner


def test_role_name_matches_whole_names_only():
    caller = "arn:aws:sts::111122223333:assumed-role/reports-app-v2/s-1"

    assert owner_of(caller, {"reports-app": "reports"}) is None


def test_configured_owner_lands_unless_the_application_named_one(prices):
    owners = {"checkout-app": "payments"}
    named = record_with("0001")
    named["requestMetadata"]["owner"] = "growth"

    assert invocation_row(record_with("0001"), owners, prices, NOW)["owner"] == "payments"
    assert invocation_row(named, owners, prices, NOW)["owner"] == "growth"


def test_record_without_request_id_is_refused_naming_it():
    record = record_with("0001")
    del record["requestId"]

    with pytest.raises(EventRefused) as refused:
        invocation_to_event(record, {})

    assert [p.field for p in refused.value.problems] == ["requestId"]


@pytest.mark.parametrize("record", [
    {"messages": [{"role": "user", "content": [{"text": "a body, not a record"}]}]},
    {"schemaType": "SomethingElse", "modelId": "m", "requestId": "r"},
    ["not", "an", "object"],
    7,
])
def test_what_is_not_an_invocation_record_is_skipped(record):
    assert invocation_to_event(record, {}) is None


def test_tally_counts_accepted_refused_and_skipped(prices):
    bad = record_with("0002")
    bad["input"]["inputTokenCount"] = -5
    records = [record_with("0001"), bad, {"not": "a record"}, record_with("0003")]
    tally = ImportTally()

    rows = list(rows_from_records(records, {}, prices, NOW, tally))

    assert [r["request_id"][-4:] for r in rows] == ["0001", "0003"]
    assert (tally.records, tally.accepted, tally.refused, tally.skipped) == (4, 2, 1, 1)
    assert tally.refusals[0].request_id == "5b1d0c2e-0001-4000-8000-000000000002"
    assert tally.refusals[0].fields == ["usage.inputTokens"]
