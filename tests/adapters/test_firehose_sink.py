"""The Firehose adapter at its boundary: limits, retries of only what failed, 503 after."""

import base64
import json
from datetime import UTC, datetime
from decimal import Decimal

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from p402.adapters.firehose import (
    MAX_BYTES_PER_CALL, MAX_RECORDS_PER_CALL, PACKED_RECORD_BYTES, FirehoseSink, chunks,
    firehose_record, pack_lines,
)
from p402.api.app import IngestDependencies, create_app
from p402.events import build_row
from p402.keys import ALL_PROJECTS, KeyGrant, KeyRing, hash_key
from p402.pricing import PriceBook

RECEIVED_AT = datetime(2026, 12, 1, tzinfo=UTC)
STREAM = "p402-test"


def rows(count: int) -> list[dict]:
    book = PriceBook()
    return [build_row({"event_id": f"e{i}", "provider": "openai", "model": "gpt-4o",
                       "occurred_at": "2026-11-30T10:00:00Z",
                       "usage": {"prompt_tokens": 1000, "completion_tokens": 100}},
                      book, RECEIVED_AT) for i in range(count)]


def client():
    return boto3.client("firehose", region_name="us-east-1", aws_access_key_id="x",
                        aws_secret_access_key="x")


def test_calls_stay_within_500_records_and_4_mib():
    many_small = [b"x" * 100] * 1201
    few_large = [b"y" * (900 * 1024)] * 10

    small_groups = list(chunks(many_small))
    large_groups = list(chunks(few_large))

    assert [len(g) for g in small_groups] == [500, 500, 201]
    assert all(sum(len(few_large[i]) for i in g) <= MAX_BYTES_PER_CALL for g in large_groups)
    assert [len(g) for g in large_groups] == [4, 4, 2]
    assert MAX_RECORDS_PER_CALL == 500


def test_rows_are_packed_into_records_under_the_packing_size():
    lines = [b"z" * 1000] * 200

    packs = pack_lines(list(range(200)), lines)

    assert [len(p) for p in packs] == [65, 65, 65, 5]
    assert all(sum(len(lines[i]) for i in p) <= PACKED_RECORD_BYTES for p in packs)


def test_record_keeps_money_exact_and_timestamps_with_z():
    line = firehose_record(rows(1)[0])

    record = json.loads(line, parse_float=Decimal)
    assert record["cost_usd"] == Decimal("0.003500000000")
    assert record["occurred_at"] == "2026-11-30T10:00:00.000Z"
    assert line.endswith(b"}\n")


def test_only_the_failed_record_is_sent_again():
    firehose = client()
    stub = Stubber(firehose)
    stub.add_response("put_record_batch", {
        "FailedPutCount": 1, "RequestResponses": [
            {"RecordId": "1"}, {"ErrorCode": "ServiceUnavailableException",
                                "ErrorMessage": "slow down"}]},
        {"DeliveryStreamName": STREAM, "Records": ANY})
    stub.add_response("put_record_batch", {"FailedPutCount": 0,
                                           "RequestResponses": [{"RecordId": "2"}]},
                      {"DeliveryStreamName": STREAM, "Records": ANY})
    sink = FirehoseSink(STREAM, client=firehose, sleep=lambda _: None)
    batch = rows(130)  # about 1 KB each: two packed records

    with stub:
        failed = sink.put(batch)
        stub.assert_no_pending_responses()

    assert failed == []


def test_rows_still_failing_after_retries_are_reported():
    firehose = client()
    stub = Stubber(firehose)
    for _ in range(3):
        stub.add_client_error("put_record_batch", "ServiceUnavailableException")
    sink = FirehoseSink(STREAM, client=firehose, attempts=3, sleep=lambda _: None)

    with stub:
        failed = sink.put(rows(3))

    assert failed == [0, 1, 2]


def test_api_answers_503_when_firehose_keeps_failing():
    firehose = client()
    stub = Stubber(firehose)
    for _ in range(2):
        stub.add_client_error("put_record_batch", "ServiceUnavailableException")
    sink = FirehoseSink(STREAM, client=firehose, attempts=2, sleep=lambda _: None)
    keys = KeyRing([KeyGrant(hash_key("k"), frozenset({ALL_PROJECTS}))])
    app = create_app(IngestDependencies(sink=sink, prices=PriceBook(), keys=keys))
    body = json.dumps([{"provider": "openai", "model": "gpt-4o", "event_id": "a",
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1}}])

    with stub:
        answer = app.resolve({
            "version": "2.0", "rawPath": "/v1/events", "headers": {"authorization": "Bearer k"},
            "requestContext": {"http": {"method": "POST", "path": "/v1/events"},
                               "stage": "$default"},
            "body": body, "isBase64Encoded": False}, None)

    assert answer["statusCode"] == 503
    assert json.loads(answer["body"])["failed"] == 1


@pytest.fixture
def delivery_stream():
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="landing")
        firehose = boto3.client("firehose", region_name="us-east-1")
        firehose.create_delivery_stream(
            DeliveryStreamName=STREAM, DeliveryStreamType="DirectPut",
            ExtendedS3DestinationConfiguration={
                "RoleARN": "arn:aws:iam::123456789012:role/firehose",
                "BucketARN": "arn:aws:s3:::landing", "Prefix": "ledger/"})
        yield firehose, s3


def test_rows_land_through_a_delivery_stream(delivery_stream, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    firehose, s3 = delivery_stream
    batch = rows(5)

    failed = FirehoseSink(STREAM, client=firehose).put(batch)

    landed = b"".join(s3.get_object(Bucket="landing", Key=o["Key"])["Body"].read()
                      for o in s3.list_objects_v2(Bucket="landing")["Contents"])
    ids = [json.loads(line)["event_id"] for line in landed.splitlines()]
    assert failed == []
    assert ids == [r["event_id"] for r in batch]
