"""The ingest Lambda in-process: an API Gateway HTTP API event in, Firehose (moto) behind."""

import json
from types import SimpleNamespace

import boto3
import pytest
from moto import mock_aws

STREAM = "p402-test-events"
BUDGETS = [{"id": "planner", "scope": {"workflow_id": "planner"}, "period": "month",
            "limit_usd": 1}]
CONTEXT = SimpleNamespace(function_name="ingest", memory_limit_in_mb=512,
                          invoked_function_arn="arn:aws:lambda:us-east-1:0:function:ingest",
                          aws_request_id="req-1")


def api_event(body, projects: str | None = "*") -> dict:
    authorizer = {"lambda": {"projects": projects, "key_name": "ci"}} if projects else {}
    return {
        "version": "2.0", "routeKey": "POST /v1/events", "rawPath": "/v1/events",
        "rawQueryString": "", "headers": {"content-type": "application/json"},
        "requestContext": {"http": {"method": "POST", "path": "/v1/events",
                                    "sourceIp": "10.0.0.1"}, "stage": "$default",
                           "requestId": "r1", "authorizer": authorizer},
        "body": json.dumps(body), "isBase64Encoded": False}


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "p402")
    with mock_aws():
        s3 = boto3.client("s3")
        for bucket in ("landing", "snapshots"):
            s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket="snapshots", Key="snapshots/budget_states.json", Body=json.dumps(
            {"planner": {"state": "over", "period_end": "2026-12-01T00:00:00Z"}}))
        firehose = boto3.client("firehose")
        firehose.create_delivery_stream(
            DeliveryStreamName=STREAM, DeliveryStreamType="DirectPut",
            ExtendedS3DestinationConfiguration={
                "RoleARN": "arn:aws:iam::123456789012:role/firehose",
                "BucketARN": "arn:aws:s3:::landing", "Prefix": "ledger/"})
        monkeypatch.setenv("FIREHOSE_STREAM_NAME", STREAM)
        monkeypatch.setenv("SNAPSHOT_BUCKET", "snapshots")
        monkeypatch.setenv("BUDGETS", json.dumps(BUDGETS))
        from functions import ingest

        monkeypatch.setattr(ingest, "_app", None)
        yield ingest, s3


def landed_rows(s3) -> list[dict]:
    objects = s3.list_objects_v2(Bucket="landing").get("Contents", [])
    body = b"".join(s3.get_object(Bucket="landing", Key=o["Key"])["Body"].read()
                    for o in objects)
    return [json.loads(line) for line in body.splitlines()]


def test_accepted_events_land_in_firehose_stamped_with_their_budget(aws):
    ingest, s3 = aws
    events = [{"event_id": "a", "provider": "openai", "model": "gpt-4o",
               "occurred_at": "2026-11-30T10:00:00Z", "workflow_id": "planner",
               "usage": {"prompt_tokens": 1000, "completion_tokens": 100}},
              {"event_id": "b", "provider": "openai"}]

    answer = ingest.handler(api_event(events), CONTEXT)

    rows = landed_rows(s3)
    assert answer["statusCode"] == 202
    assert json.loads(answer["body"])["accepted"] == 1
    assert [(r["event_id"], r["budget_id"], r["policy_decision"]) for r in rows] == [
        ("a", "planner", "over")]
    assert rows[0]["cost_usd"] == 0.0035 and rows[0]["occurred_at"].endswith("Z")


def test_a_key_bound_to_one_project_cannot_write_another(aws):
    ingest, s3 = aws
    event = {"event_id": "c", "provider": "openai", "model": "gpt-4o", "project_id": "x",
             "usage": {"prompt_tokens": 1, "completion_tokens": 1}}

    answer = ingest.handler(api_event([event], projects="search"), CONTEXT)

    assert answer["statusCode"] == 400
    assert json.loads(answer["body"])["rejected"][0]["errors"][0]["field"] == "project_id"
    assert landed_rows(s3) == []


def test_no_authorizer_answer_means_401(aws):
    ingest, _ = aws

    answer = ingest.handler(api_event([], projects=None), CONTEXT)

    assert answer["statusCode"] == 401
