"""The jobs Lambda: settings from the environment, budgets from BUDGETS, the same run_jobs
over the ports it is given, counts (never content) in its answer."""

import json
from types import SimpleNamespace

import pytest
from jobs_fixtures import costing

from functions import jobs as jobs_function
from p402.errors import BudgetFileError

ENV = {"ATHENA_WORKGROUP": "wg", "ATHENA_DATABASE": "db", "SNS_TOPIC_ARN": "arn:topic",
       "ALERT_TABLE": "alerts", "SNAPSHOT_BUCKET": "bucket", "SNAPSHOT_PREFIX": "snapshots/",
       "POWERTOOLS_METRICS_NAMESPACE": "p402"}
BUDGETS = [{"id": "everything", "scope": "all", "period": "month", "limit_usd": 0.01}]
CONTEXT = SimpleNamespace(function_name="jobs", memory_limit_in_mb=1024,
                          invoked_function_arn="arn:aws:lambda:eu-west-1:0:function:jobs",
                          aws_request_id="req-1")


def test_settings_and_budgets_come_from_the_environment(monkeypatch):
    for name, value in {**ENV, "BUDGETS": json.dumps(BUDGETS)}.items():
        monkeypatch.setenv(name, value)

    settings = jobs_function.JobsSettings.from_env()

    assert (settings.athena_workgroup, settings.alert_table) == ("wg", "alerts")
    assert [(b.id, str(b.limit_usd)) for b in settings.budgets] == [("everything", "0.01")]


def test_broken_budgets_in_the_environment_name_the_field():
    with pytest.raises(BudgetFileError, match=r"budgets\[0\].period: got 'year'"):
        jobs_function.budgets_from_env(json.dumps([{**BUDGETS[0], "period": "year"}]))


def test_the_handler_runs_the_jobs_once_per_invocation_and_answers_counts(
        ledger, monkeypatch):
    for name, value in {**ENV, "BUDGETS": json.dumps(BUDGETS)}.items():
        monkeypatch.setenv(name, value)
    ledger.land(costing("0.75", workflow_id="w", occurred_at="2026-11-30T10:00:00Z"))
    published = []
    ports = {"engine": ledger.engine, "state": ledger.state, "snapshots": ledger.snapshots,
             "publisher": SimpleNamespace(publish=published.append)}
    monkeypatch.setattr(jobs_function, "aws_ports", lambda settings: ports)
    monkeypatch.setattr(jobs_function, "_settings", None)
    monkeypatch.setattr(jobs_function, "datetime", SimpleNamespace(
        now=lambda tz: __import__("datetime").datetime(2026, 11, 30, 12, tzinfo=tz)))

    first = jobs_function.handler({"job": "scheduled"}, CONTEXT)
    second = jobs_function.handler({"job": "scheduled"}, CONTEXT)

    assert first == {"budgets": 1, "within": 0, "warn": 0, "over": 1, "retry_storms": 0,
                     "alerts": 3, "repeats_skipped": 0, "workflows_ranked_24h": 1}
    assert (second["alerts"], second["repeats_skipped"]) == (0, 3)
    assert [a["threshold"] for a in published] == ["50", "80", "100"]
