"""The Lambda importer on moto: S3 notifications in SQS, rows out through Firehose."""

import json
import uuid

import boto3
import pytest
from moto import mock_aws

from bedrock_fixtures import BEDROCK_SET, HOUR, LOGS_ROOT

REGION = "us-east-1"
LOG_BUCKET = "bedrock-logs"
LANDING_BUCKET = "ledger-landing"
STREAM = "p402-events"


class LambdaContext:
    function_name = "p402-bedrock-import"
    memory_limit_in_mb = 512
    invoked_function_arn = f"arn:aws:lambda:{REGION}:111122223333:function:p402-bedrock-import"
    aws_request_id = "req-1"


@pytest.fixture
def aws(monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION,
                        "FIREHOSE_STREAM_NAME": STREAM,
                        "OWNERS": json.dumps({"checkout-app": "payments"})}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("PRICES_FILE", raising=False)
    with mock_aws():
        _log_bucket_with_the_bundled_logs()
        _firehose_into(LANDING_BUCKET)
        yield


@pytest.fixture
def importer_module(aws, monkeypatch):
    from functions import bedrock_import

    monkeypatch.setattr(bedrock_import, "_importer", None)
    return bedrock_import


def _log_bucket_with_the_bundled_logs() -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=LOG_BUCKET)
    root = BEDROCK_SET / "logs"
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        s3.put_object(Bucket=LOG_BUCKET, Key=path.relative_to(root).as_posix(),
                      Body=path.read_bytes())


def _firehose_into(bucket: str) -> None:
    boto3.client("s3").create_bucket(Bucket=bucket)
    boto3.client("firehose").create_delivery_stream(
        DeliveryStreamName=STREAM, DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration={
            "RoleARN": "arn:aws:iam::111122223333:role/firehose",
            "BucketARN": f"arn:aws:s3:::{bucket}"})


def landed_rows() -> list[dict]:
    """Every row Firehose delivered to the landing bucket, one JSON line each."""
    s3 = boto3.client("s3")
    rows = []
    for item in s3.list_objects_v2(Bucket=LANDING_BUCKET).get("Contents", []):
        body = s3.get_object(Bucket=LANDING_BUCKET, Key=item["Key"])["Body"].read()
        rows.extend(json.loads(line) for line in body.decode().splitlines() if line.strip())
    return rows


def sqs_record(body: dict) -> dict:
    message_id = str(uuid.uuid4())
    return {"messageId": message_id, "receiptHandle": f"rh-{message_id}",
            "body": json.dumps(body), "attributes": {"ApproximateReceiveCount": "1"},
            "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
            "eventSourceARN": f"arn:aws:sqs:{REGION}:111122223333:log-objects",
            "awsRegion": REGION}


def created(*keys: str) -> dict:
    """An S3 object-created notification as S3 sends it to SQS (keys URL-encoded)."""
    return {"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3",
                         "eventName": "ObjectCreated:Put", "awsRegion": REGION,
                         "s3": {"bucket": {"name": LOG_BUCKET},
                                "object": {"key": key.replace(" ", "+"), "size": 1}}}
                        for key in keys]}


def log_key(n: int) -> str:
    return f"{HOUR}/20261130T140000Z_000{n}abcd000{n}.json.gz"


def test_missing_object_fails_its_message_and_the_others_land(importer_module, canary,
                                                             caplog):
    good = sqs_record(created(log_key(1), log_key(2)))
    missing = sqs_record(created(f"{HOUR}/20261130T150000Z_gone.json.gz"))
    eventbridge = sqs_record({"detail-type": "Object Created", "source": "aws.s3",
                              "detail": {"bucket": {"name": LOG_BUCKET},
                                         "object": {"key": log_key(3)}}})
    test_event = sqs_record({"Service": "Amazon S3", "Event": "s3:TestEvent"})
    skipped = sqs_record(created(f"{LOGS_ROOT}/amazon-bedrock-logs-permission-check",
                                 f"{HOUR}/data/5b1d0c2e-0001-4000-8000-000000000001_input"
                                 ".json.gz"))
    event = {"Records": [good, missing, eventbridge, test_event, skipped]}

    response = importer_module.handler(event, LambdaContext())

    assert response == {"batchItemFailures": [{"itemIdentifier": missing["messageId"]}]}
    rows = landed_rows()
    assert sorted(r["event_id"][-4:] for r in rows) == ["0001", "0002", "0003", "0004",
                                                        "0005"]
    assert {r["source"] for r in rows} == {"bedrock_invocation_log"}
    by_id = {r["event_id"][-4:]: r for r in rows}
    assert (by_id["0001"]["input_tokens"], by_id["0001"]["cache_read_tokens"]) == (8450, 6000)
    assert (by_id["0001"]["owner"], by_id["0003"]["owner"]) == ("payments", None)
    assert by_id["0005"]["error_type"] == "ThrottlingException"

    logged = [json.dumps(vars(record), default=str) for record in caplog.records]
    assert canary not in json.dumps(rows)
    assert [line for line in logged if canary in line] == []
    failures = [r for r in caplog.records if r.levelname == "ERROR"]
    assert [(r.getMessage(), r.error) for r in failures] == [
        ("message not imported", "NoSuchKey")]


def test_unreadable_message_body_is_a_batch_item_failure(importer_module):
    bad = sqs_record({})
    bad["body"] = "not json"
    good = sqs_record(created(log_key(2)))

    response = importer_module.handler({"Records": [bad, good]}, LambdaContext())

    assert response == {"batchItemFailures": [{"itemIdentifier": bad["messageId"]}]}
    assert sorted(r["event_id"][-4:] for r in landed_rows()) == ["0003", "0004"]


def test_rows_firehose_does_not_take_fail_the_message(importer_module, monkeypatch):
    from p402.adapters import firehose

    def refuse_all(self, indexes, records):
        return indexes

    monkeypatch.setattr(firehose.FirehoseSink, "_send", refuse_all)
    monkeypatch.setattr(firehose.FirehoseSink, "_backoff", lambda self, attempt: 0)
    message = sqs_record(created(log_key(1)))
    nothing_to_send = sqs_record({"Service": "Amazon S3", "Event": "s3:TestEvent"})

    response = importer_module.handler({"Records": [message, nothing_to_send]},
                                       LambdaContext())

    assert response == {"batchItemFailures": [{"itemIdentifier": message["messageId"]}]}


def test_redelivered_message_sends_the_same_event_ids(importer_module):
    message = sqs_record(created(log_key(3)))

    importer_module.handler({"Records": [message]}, LambdaContext())
    importer_module.handler({"Records": [message]}, LambdaContext())

    ids = [r["event_id"] for r in landed_rows()]
    assert sorted(ids) == ["5b1d0c2e-0001-4000-8000-000000000005"] * 2
