"""The dashboard Lambda in-process: keys and session key in Secrets Manager and the jobs'
ranking snapshot in S3 (moto), Athena answered by botocore's Stubber."""

import json
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from p402.adapters.aws.s3_snapshots import S3SnapshotStore
from p402.jobs import rank_workflows
from p402.keys import hash_key

KEY = "p402_dashboard-test-key"
WORKGROUP, DATABASE = "p402-test", "p402_test"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:0:function:dashboard"
CONTEXT = SimpleNamespace(function_name="dashboard", memory_limit_in_mb=512,
                          invoked_function_arn=FUNCTION_ARN, aws_request_id="req-1")
RANKED = [{"workflow_id": "checkout-agent", "events": 40, "calls": 30,
           "spend_usd": Decimal("12.5"), "retry_cost_usd": Decimal("3.25"),
           "context_waste_usd": Decimal("1.5"), "waste_usd": Decimal("4.75"),
           "retry_rate": 0.25, "cache_savings_usd": Decimal("0.4")},
          {"workflow_id": "support-triage", "events": 10, "calls": 10,
           "spend_usd": Decimal("2"), "retry_cost_usd": Decimal("0"),
           "context_waste_usd": Decimal("0.5"), "waste_usd": Decimal("0.5"),
           "retry_rate": 0.0, "cache_savings_usd": Decimal("0")}]


class RankingEngine:
    """The ledger as the scheduled job sees it: every window ranks the same rows."""

    def query(self, sql: str, params: dict) -> list[dict]:
        return [dict(row) for row in RANKED]


def http_event(path: str, headers: dict | None = None, query: str = "", method: str = "GET",
               body: str = "", cookies: list[str] | None = None) -> dict:
    """An HTTP API (payload 2.0) request as a dashboard route, with no authorizer, passes it."""
    return {
        "version": "2.0", "routeKey": f"{method} /dashboard/{{proxy+}}", "rawPath": path,
        "rawQueryString": query, "headers": headers or {}, "cookies": cookies or [],
        "queryStringParameters": dict(p.split("=", 1) for p in query.split("&") if p),
        "requestContext": {"http": {"method": method, "path": path, "sourceIp": "10.0.0.1"},
                           "stage": "$default", "requestId": "r1"},
        "body": body, "isBase64Encoded": False}


def athena_stubbed(monkeypatch, dashboard) -> Stubber:
    """The function's Athena client, stubbed; every other client is moto's."""
    make_client = boto3.client
    athena = make_client("athena")
    monkeypatch.setattr(dashboard.boto3, "client",
                        lambda name, *a, **kw: athena if name == "athena"
                        else make_client(name, *a, **kw))
    return Stubber(athena)


def expect_query(stub: Stubber, query_id: str, state: str) -> None:
    """One query started in the stack's workgroup and database, seen once in `state`."""
    stub.add_response("start_query_execution", {"QueryExecutionId": query_id}, {
        "QueryString": ANY, "WorkGroup": WORKGROUP, "ClientRequestToken": ANY,
        "QueryExecutionContext": {"Database": DATABASE}, "ExecutionParameters": ANY})
    stub.add_response("get_query_execution",
                      {"QueryExecution": {"Status": {"State": state}}},
                      {"QueryExecutionId": query_id})


def expect_trend(stub: Stubber, query_id: str) -> None:
    """The trend beside the ranking (workflow_daily_waste), one row as Athena's text."""
    expect_query(stub, query_id, "SUCCEEDED")
    columns = [("workflow_id", "varchar"), ("bucket_start", "timestamp"),
               ("spend_usd", "decimal"), ("waste_usd", "decimal")]
    today = datetime.now(UTC).strftime("%Y-%m-%d 00:00:00.000")
    rows = [[name for name, _ in columns], ["checkout-agent", today, "12.5", "4.75"]]
    stub.add_response("get_query_results", {"ResultSet": {
        "Rows": [{"Data": [{"VarCharValue": v} for v in row]} for row in rows],
        "ResultSetMetadata": {"ColumnInfo": [{"Name": n, "Type": k} for n, k in columns]}}},
        {"QueryExecutionId": query_id})


@pytest.fixture
def dashboard(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        secrets = boto3.client("secretsmanager")
        keys = secrets.create_secret(Name="keys", SecretString=json.dumps({"grants": [
            {"key_hash": hash_key(KEY), "projects": ["*"], "name": "finance"}]}))
        session = secrets.create_secret(Name="session", SecretString="s" * 64)

        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="ledger")
        S3SnapshotStore(s3, "ledger", "snapshots/").write(
            "optimize_ranking", rank_workflows(RankingEngine(), datetime.now(UTC)))

        for name, value in {"ATHENA_WORKGROUP": WORKGROUP, "ATHENA_DATABASE": DATABASE,
                            "SNAPSHOT_BUCKET": "ledger", "SNAPSHOT_PREFIX": "snapshots/",
                            "KEYS_SECRET_ARN": keys["ARN"],
                            "DASHBOARD_SECRET_ARN": session["ARN"],
                            "ATHENA_PAGE_WAIT_SECONDS": "0"}.items():
            monkeypatch.setenv(name, value)
        from functions import dashboard

        monkeypatch.setattr(dashboard, "_app", None)
        yield dashboard


def test_without_credentials_the_optimize_page_redirects_to_sign_in(dashboard, monkeypatch):
    stub = athena_stubbed(monkeypatch, dashboard)

    with stub:
        answer = dashboard.handler(http_event("/dashboard/optimize"), CONTEXT)

    assert answer["statusCode"] == 303
    assert answer["headers"]["Location"] == "/dashboard/login?next=%2Fdashboard%2Foptimize"
    assert "checkout-agent" not in answer["body"] and "$" not in answer["body"]
    stub.assert_no_pending_responses()


def test_a_wrong_key_is_refused_like_no_key(dashboard, monkeypatch):
    stub = athena_stubbed(monkeypatch, dashboard)

    with stub:
        answer = dashboard.handler(http_event(
            "/dashboard/optimize", {"authorization": "Bearer p402_not-a-key"}), CONTEXT)

    assert answer["statusCode"] == 303
    assert "checkout-agent" not in answer["body"]


def test_a_bearer_key_sees_the_ranking_from_the_jobs_snapshot(dashboard, monkeypatch):
    stub = athena_stubbed(monkeypatch, dashboard)
    expect_trend(stub, "trend-1")

    with stub:
        answer = dashboard.handler(http_event(
            "/dashboard/optimize", {"authorization": f"Bearer {KEY}"}), CONTEXT)

    body = answer["body"]
    assert answer["statusCode"] == 200
    assert "checkout-agent" in body and "support-triage" in body
    assert body.index("checkout-agent") < body.index("support-triage")
    assert "scheduled job's latest ranking" in body and "$4.75" in body
    stub.assert_no_pending_responses()


def test_a_drill_down_still_running_on_athena_says_so(dashboard, monkeypatch):
    stub = athena_stubbed(monkeypatch, dashboard)
    for name in ("models", "calls", "context"):
        expect_query(stub, f"{name}-1", "RUNNING")

    with stub:
        answer = dashboard.handler(http_event(
            "/dashboard/workflows/checkout-agent", {"authorization": f"Bearer {KEY}"},
            "window=7d"), CONTEXT)

    body = answer["body"]
    assert answer["statusCode"] == 200
    assert 'class="running" role="status"' in body
    assert "Athena query models-1 is still running" in body
    assert 'http-equiv="refresh"' in body
    stub.assert_no_pending_responses()


def test_the_sign_in_form_trades_a_key_for_a_signed_cookie_that_opens_the_page(
        dashboard, monkeypatch):
    stub = athena_stubbed(monkeypatch, dashboard)
    expect_trend(stub, "trend-2")
    form = f"key={KEY}&next=%2Fdashboard%2Foptimize"

    with stub:
        signed_in = dashboard.handler(http_event(
            "/dashboard/login", {"content-type": "application/x-www-form-urlencoded"},
            method="POST", body=form), CONTEXT)
        cookie = signed_in["cookies"][0]
        page = dashboard.handler(http_event(
            "/dashboard/optimize", cookies=[cookie.split(";")[0]]), CONTEXT)

    assert signed_in["statusCode"] == 303
    assert signed_in["headers"]["Location"] == "/dashboard/optimize"
    assert cookie.startswith("p402_session=") and KEY not in cookie
    assert {"HttpOnly", "Secure", "SameSite=Strict", "Max-Age=3600"} <= {
        part.strip() for part in cookie.split(";")}
    assert page["statusCode"] == 200 and "checkout-agent" in page["body"]
    stub.assert_no_pending_responses()
