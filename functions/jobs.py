"""Lambda entry point of the scheduled job: p402.jobs over Athena, SNS, DynamoDB and S3.

EventBridge Scheduler invokes it (the event carries nothing the job needs). The budgets
come from the BUDGETS variable, the budgets file compacted to JSON at synth time.
"""

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from p402.budgets import Budget, parse_budgets
from p402.errors import BudgetFileError
from p402.jobs import JobReport, run_jobs
from p402.ledger import bind

logger = Logger(service="p402-jobs")
metrics = Metrics(namespace="p402", service="jobs")


@dataclass(frozen=True)
class JobsSettings:
    """Read once, at cold start; a broken BUDGETS document fails the cold start."""

    athena_workgroup: str
    athena_database: str
    sns_topic_arn: str
    alert_table: str
    snapshot_bucket: str
    snapshot_prefix: str
    budgets: tuple[Budget, ...]

    @classmethod
    def from_env(cls) -> "JobsSettings":
        return cls(athena_workgroup=os.environ["ATHENA_WORKGROUP"],
                   athena_database=os.environ["ATHENA_DATABASE"],
                   sns_topic_arn=os.environ["SNS_TOPIC_ARN"],
                   alert_table=os.environ["ALERT_TABLE"],
                   snapshot_bucket=os.environ["SNAPSHOT_BUCKET"],
                   snapshot_prefix=os.environ.get("SNAPSHOT_PREFIX", "snapshots/"),
                   budgets=tuple(budgets_from_env(os.environ.get("BUDGETS"))))


def budgets_from_env(text: str | None) -> list[Budget]:
    if not text or not text.strip():
        return []
    try:
        document = json.loads(text, parse_float=Decimal)
    except ValueError as exc:
        raise BudgetFileError(f"BUDGETS: not JSON ({exc.msg} at {exc.pos})") from None
    return parse_budgets(document)


def aws_ports(settings: JobsSettings) -> dict[str, Any]:
    """The job's ports on AWS (boto3 and the adapters are imported only here)."""
    import boto3

    from p402.adapters.aws.athena_ledger import AthenaLedger
    from p402.adapters.aws.dynamodb_alert_state import DynamoAlertState
    from p402.adapters.aws.s3_snapshots import S3SnapshotStore
    from p402.adapters.aws.sns_alerts import SnsAlertPublisher

    athena = AthenaLedger(boto3.client("athena"), workgroup=settings.athena_workgroup,
                          database=settings.athena_database)
    return {
        "engine": athena,
        "publisher": SnsAlertPublisher(boto3.client("sns"), settings.sns_topic_arn),
        "state": DynamoAlertState(boto3.client("dynamodb"), settings.alert_table),
        "snapshots": S3SnapshotStore(boto3.client("s3"), settings.snapshot_bucket,
                                     settings.snapshot_prefix),
    }


_settings: JobsSettings | None = None
_ports: dict[str, Any] | None = None


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    global _settings, _ports
    if _settings is None:
        _settings = _load_settings()
        _ports = aws_ports(_settings)

    logger.info("jobs started", extra={"budgets": len(_settings.budgets)})
    report = run_jobs(budgets=_settings.budgets, now=datetime.now(UTC), **_ports)
    _record(report)
    return outcome(report)


def _load_settings() -> JobsSettings:
    try:
        return JobsSettings.from_env()
    except BudgetFileError as exc:
        logger.error("budgets are invalid", extra={"problem": str(exc)})
        raise


def _record(report: JobReport) -> None:
    states = [e.state for e in report.evaluations]
    metrics.add_metric(name="AlertsPublished", unit=MetricUnit.Count, value=len(report.alerts))
    metrics.add_metric(name="BudgetsOver", unit=MetricUnit.Count, value=states.count("over"))
    metrics.add_metric(name="RetryStorms", unit=MetricUnit.Count, value=report.storms)
    logger.info("jobs finished", extra=outcome(report))


def outcome(report: JobReport) -> dict[str, Any]:
    """Counts only: no scope values, no money, nothing an application sent."""
    states = [e.state for e in report.evaluations]
    return {"budgets": len(states), "within": states.count("within"),
            "warn": states.count("warn"), "over": states.count("over"),
            "retry_storms": report.storms, "alerts": len(report.alerts),
            "repeats_skipped": report.repeats_skipped,
            "workflows_ranked_24h": report.ranked_workflows.get("24h", 0)}
