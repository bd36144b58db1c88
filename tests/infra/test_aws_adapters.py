"""The AWS adapters against moto (S3, SNS+SQS, DynamoDB, Secrets Manager) and Athena's Stubber."""

import json
from decimal import Decimal

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from p402.adapters.aws.athena_ledger import AthenaLedger, AthenaQueryFailed, sql_literal
from p402.adapters.aws.dynamodb_alert_state import DynamoAlertState
from p402.adapters.aws.key_store import SecretKeyStore
from p402.adapters.aws.s3_snapshots import S3SnapshotStore
from p402.adapters.aws.sns_alerts import SnsAlertPublisher
from p402.keys import hash_key

REGION = "us-east-1"


@pytest.fixture
def aws(aws_env):
    with mock_aws():
        yield


def test_snapshot_written_is_read_back_and_absent_is_none(aws):
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="ledger")
    store = S3SnapshotStore(s3, "ledger", "snapshots/")

    store.write("ranking", {"workflows": [{"id": "w1", "waste_usd": Decimal("1.25")}]})

    assert store.read("ranking") == {"workflows": [{"id": "w1", "waste_usd": "1.25"}]}
    assert s3.head_object(Bucket="ledger", Key="snapshots/ranking.json")["ContentType"] == (
        "application/json")
    assert store.read("never-written") is None


def test_snapshot_name_may_not_leave_its_prefix(aws):
    store = S3SnapshotStore(boto3.client("s3", region_name=REGION), "ledger")

    with pytest.raises(ValueError, match="plain file name"):
        store.write("../keys", {})


def test_alert_key_is_claimed_once(aws):
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.create_table(TableName="alerts", BillingMode="PAY_PER_REQUEST",
                          KeySchema=[{"AttributeName": "alert_key", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "alert_key",
                                                 "AttributeType": "S"}])
    state = DynamoAlertState(dynamodb, "alerts", clock=lambda: 1_700_000_000)

    first = state.claim("team-a|2026-12|80")
    again = state.claim("team-a|2026-12|80")
    other = state.claim("team-a|2026-12|100")

    assert (first, again, other) == (True, False, True)
    item = dynamodb.get_item(TableName="alerts", Key={"alert_key": {"S": "team-a|2026-12|80"}})
    assert item["Item"]["expires_at"]["N"] == str(1_700_000_000 + 400 * 24 * 3600)


def test_alert_goes_out_with_budget_owner_and_severity_attributes(aws):
    sns = boto3.client("sns", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    sns.subscribe(TopicArn=topic, Protocol="sqs",
                  Endpoint=queue_arn["Attributes"]["QueueArn"])
    alert = {"title": "Budget team-a at 80%", "budget_id": "team-a", "owner": "ana",
             "severity": "warning", "spend_usd": Decimal("80.5")}

    SnsAlertPublisher(sns, topic).publish(alert)

    body = json.loads(sqs.receive_message(QueueUrl=queue)["Messages"][0]["Body"])
    assert body["Subject"] == "Budget team-a at 80%"
    assert json.loads(body["Message"])["spend_usd"] == "80.5"
    assert {k: v["Value"] for k, v in body["MessageAttributes"].items()} == {
        "budget": "team-a", "owner": "ana", "severity": "warning"}


def test_a_key_added_is_found_by_its_hash_only(aws):
    secrets = boto3.client("secretsmanager", region_name=REGION)
    arn = secrets.create_secret(Name="keys", SecretString='{"grants": []}')["ARN"]
    store = SecretKeyStore(secrets, arn)

    key = store.add("ci", ["checkout", "search"])

    stored = secrets.get_secret_value(SecretId=arn)["SecretString"]
    assert key not in stored
    assert store.grants()[0].key_hash == hash_key(key)
    assert store.grants()[0].projects == frozenset({"checkout", "search"})


def _athena_stubbed():
    client = boto3.client("athena", region_name=REGION, aws_access_key_id="x",
                          aws_secret_access_key="x")
    return client, Stubber(client)


def _results(columns, rows):
    header = {"Data": [{"VarCharValue": name} for name, _ in columns]}
    data = [{"Data": [{} if v is None else {"VarCharValue": v} for v in row]} for row in rows]
    return {"ResultSet": {"Rows": [header, *data], "ResultSetMetadata": {"ColumnInfo": [
        {"Name": name, "Type": kind, "CatalogName": "c", "SchemaName": "s", "TableName": "t",
         "Label": name} for name, kind in columns]}}}


def test_athena_query_runs_in_the_workgroup_and_types_its_rows():
    client, stub = _athena_stubbed()
    stub.add_response("start_query_execution", {"QueryExecutionId": "q1"}, {
        "QueryString": "SELECT * FROM t WHERE dt >= ?", "WorkGroup": "p402-dev",
        "QueryExecutionContext": {"Database": "p402_dev"},
        "ExecutionParameters": ["'2026-01-01'"]})
    stub.add_response("get_query_execution",
                      {"QueryExecution": {"Status": {"State": "RUNNING"}}},
                      {"QueryExecutionId": "q1"})
    stub.add_response("get_query_execution",
                      {"QueryExecution": {"Status": {"State": "SUCCEEDED"}}},
                      {"QueryExecutionId": "q1"})
    stub.add_response("get_query_results", _results(
        [("workflow_id", "varchar"), ("events", "bigint"), ("spend_usd", "decimal"),
         ("cache_hit", "boolean")],
        [["w1", "3", "0.125000000000", "true"], [None, "1", None, "false"]]),
        {"QueryExecutionId": "q1"})

    with stub:
        rows = AthenaLedger(client, "p402-dev", "p402_dev", sleep=lambda _: None).query(
            "SELECT * FROM t WHERE dt >= :since", {"since": "2026-01-01"})

    assert rows == [
        {"workflow_id": "w1", "events": 3, "spend_usd": Decimal("0.125000000000"),
         "cache_hit": True},
        {"workflow_id": None, "events": 1, "spend_usd": None, "cache_hit": False}]


def test_athena_failure_names_the_query_and_reason():
    client, stub = _athena_stubbed()
    stub.add_response("start_query_execution", {"QueryExecutionId": "q2"})
    stub.add_response("get_query_execution", {"QueryExecution": {"Status": {
        "State": "FAILED", "StateChangeReason": "COLUMN_NOT_FOUND: waste"}}})

    with stub, pytest.raises(AthenaQueryFailed, match="q2: got FAILED .COLUMN_NOT_FOUND"):
        AthenaLedger(client, "wg", "db", sleep=lambda _: None).execute("SELECT waste")


@pytest.mark.parametrize("value, literal", [
    ("it's", "'it''s'"), (None, "NULL"), (True, "TRUE"), (7, "7"),
    (Decimal("1.50"), "1.50")])
def test_execution_parameters_are_sql_literals(value, literal):
    assert sql_literal(value) == literal
