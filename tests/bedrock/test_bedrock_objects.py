"""Reading log objects in Bedrock's S3 layout: what is a log, what is skipped, what is bad."""

import gzip
import json

import pytest

from bedrock_fixtures import HOUR, LOGS_ROOT, write_gzip_lines
from p402.adapters.bedrock_objects import (
    ObjectRef, ReadTally, UnknownMessage, is_log_object, object_refs, records_from_body,
    records_from_paths,
)


@pytest.mark.parametrize("key, is_log", [
    (f"{HOUR}/20261130T140000Z_0001abcd0001.json.gz", True),
    (f"prefix/{HOUR}/20261130T140000Z_0001abcd0001.json.gz", True),
    (f"data/{HOUR}/20261130T140000Z_0001abcd0001.json.gz", True),  # a bucket prefix "data/"
    (f"{LOGS_ROOT}/amazon-bedrock-logs-permission-check", False),
    (f"{HOUR}/data/5b1d0c2e-0001-4000-8000-000000000001_input.json.gz", False),
    (f"{HOUR}/data/5b1d0c2e-0001-4000-8000-000000000001_output.json.gz", False),
    ("plain/records.json", True),
    ("plain/data/body.json.gz", False),
    ("notes.txt", False),
])
def test_only_log_objects_are_read(key, is_log):
    assert is_log_object(key) is is_log


def test_directory_walk_reads_the_logs_and_skips_check_and_bodies(logs, canary):
    tally = ReadTally()

    records = list(records_from_paths([logs], tally))

    assert [r["requestId"][-4:] for r in records] == ["0001", "0002", "0003", "0004", "0005"]
    assert (tally.files, tally.skipped_objects, tally.bad_lines) == (3, 2, [])


def test_a_data_folder_above_the_given_directory_does_not_hide_logs(tmp_path):
    folder = tmp_path / "data" / "exports"
    write_gzip_lines(folder / "a.json.gz", [json.dumps({"modelId": "m", "requestId": "r"})])
    tally = ReadTally()

    assert len(list(records_from_paths([folder], tally))) == 1
    assert tally.files == 1


def test_malformed_line_is_reported_by_place_and_the_rest_are_read(tmp_path, canary):
    path = write_gzip_lines(tmp_path / "mixed.json.gz", [
        json.dumps({"requestId": "r1"}),
        '{"requestId": "r2", "text": "' + canary + '"',
        "",
        json.dumps({"requestId": "r3"}),
    ])
    tally = ReadTally()

    records = list(records_from_paths([path], tally))

    assert [r["requestId"] for r in records] == ["r1", "r3"]
    assert len(tally.bad_lines) == 1
    bad = tally.bad_lines[0]
    assert (bad.where, bad.line) == (str(path), 2)
    assert bad.reason.startswith("not JSON (")
    assert canary not in bad.reason


def test_truncated_gzip_keeps_the_lines_before_the_cut(tmp_path):
    whole = gzip.compress(b"".join(
        json.dumps({"requestId": f"r{i}", "pad": "x" * 2000}).encode() + b"\n"
        for i in range(50)))
    tally = ReadTally()

    records = list(records_from_body(whole[: len(whole) // 2], "cut.json.gz", tally))

    assert 0 < len(records) < 50
    assert [r["requestId"] for r in records] == [f"r{i}" for i in range(len(records))]
    assert tally.bad_lines[0].line == len(records) + 1
    assert "truncated" in tally.bad_lines[0].reason


@pytest.mark.parametrize("body, ids", [
    (b'{"requestId": "a"}\n{"requestId": "b"}\n', ["a", "b"]),
    (b'{\n  "requestId": "pretty"\n}\n', ["pretty"]),
    (b'[{"requestId": "x"}, {"requestId": "y"}]', ["x", "y"]),
])
def test_plain_json_is_read_as_lines_or_one_document(body, ids):
    tally = ReadTally()

    assert [r["requestId"] for r in records_from_body(body, "plain.json", tally)] == ids
    assert tally.bad_lines == []


def _s3_notification(*keys: str, event: str = "ObjectCreated:Put") -> dict:
    return {"Records": [{"eventSource": "aws:s3", "eventName": event,
                         "s3": {"bucket": {"name": "logs"}, "object": {"key": key}}}
                        for key in keys]}


def test_s3_notification_keys_are_url_decoded():
    message = _s3_notification("AWSLogs/1/a+b%3Ac.json.gz", "AWSLogs/1/d.json.gz")

    assert object_refs(message) == [ObjectRef("logs", "AWSLogs/1/a b:c.json.gz"),
                                    ObjectRef("logs", "AWSLogs/1/d.json.gz")]


def test_removed_objects_are_not_imported():
    assert object_refs(_s3_notification("x.json.gz", event="ObjectRemoved:Delete")) == []


def test_eventbridge_object_created_names_its_object():
    message = {"version": "0", "detail-type": "Object Created", "source": "aws.s3",
               "detail": {"bucket": {"name": "logs"}, "object": {"key": "k/x.json.gz"}}}

    assert object_refs(message) == [ObjectRef("logs", "k/x.json.gz")]


def test_s3_test_event_names_nothing():
    message = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "logs"}

    assert object_refs(message) == []


def test_sns_envelope_is_opened():
    message = {"Type": "Notification", "Message": json.dumps(_s3_notification("x.json.gz"))}

    assert object_refs(message) == [ObjectRef("logs", "x.json.gz")]


@pytest.mark.parametrize("message", [
    {"hello": "world"},
    {"Records": [{"eventName": "ObjectCreated:Put", "s3": {"bucket": {}}}]},
])
def test_unknown_message_shape_is_an_error(message):
    with pytest.raises(UnknownMessage):
        object_refs(message)
