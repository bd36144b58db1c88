"""Lambda entry point of the HTTP API: the same resolver `p402 serve` runs, over Firehose."""

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from p402.adapters.firehose import FirehoseSink
from p402.adapters.aws.s3_snapshots import S3SnapshotStore
from p402.api.app import IngestDependencies, create_app
from p402.budgets import parse_budgets
from p402.jobs import SnapshotBudgetStamp
from p402.pricing import PriceBook, load_price_file

logger = Logger(service="p402-ingest")
metrics = Metrics(namespace="p402", service="ingest")


STATES_MAX_AGE_SECONDS = 60.0


@dataclass(frozen=True)
class IngestSettings:
    """Read once, at cold start."""

    stream_name: str
    prices_file: str | None
    snapshot_bucket: str | None
    snapshot_prefix: str
    budgets_json: str

    @classmethod
    def from_env(cls) -> "IngestSettings":
        return cls(stream_name=os.environ["FIREHOSE_STREAM_NAME"],
                   prices_file=os.environ.get("PRICES_FILE") or None,
                   snapshot_bucket=os.environ.get("SNAPSHOT_BUCKET") or None,
                   snapshot_prefix=os.environ.get("SNAPSHOT_PREFIX", "snapshots/"),
                   budgets_json=os.environ.get("BUDGETS") or "[]")


def build_dependencies(settings: IngestSettings, firehose_client=None, s3_client=None
                       ) -> IngestDependencies:
    prices = PriceBook()
    if settings.prices_file:
        prices = PriceBook(*load_price_file(Path(settings.prices_file).read_text()))
    sink = FirehoseSink(settings.stream_name, client=firehose_client)
    # keys=None: the API Gateway authorizer checked the key and names its projects.
    return IngestDependencies(sink=sink, prices=prices, keys=None,
                              stamp=_budget_stamp(settings, s3_client),
                              observe=_count_batch)


def _count_batch(received: int, accepted: int, rejected: int, not_stored: int) -> None:
    """Batch counts as metrics; no dimension beyond the service (no per-key cardinality)."""
    metrics.add_metric(name="EventsReceived", unit=MetricUnit.Count, value=received)
    metrics.add_metric(name="EventsAccepted", unit=MetricUnit.Count, value=accepted)
    metrics.add_metric(name="EventsRejected", unit=MetricUnit.Count, value=rejected)
    metrics.add_metric(name="EventsNotStored", unit=MetricUnit.Count, value=not_stored)


def _budget_stamp(settings: IngestSettings, s3_client=None) -> SnapshotBudgetStamp | None:
    """Stamps each event with its budget's latest state, read from the jobs' snapshot."""
    budgets = parse_budgets(json.loads(settings.budgets_json))
    if not budgets or not settings.snapshot_bucket:
        return None
    if s3_client is None:
        import boto3

        s3_client = boto3.client("s3")
    store = S3SnapshotStore(s3_client, settings.snapshot_bucket, settings.snapshot_prefix)
    return SnapshotBudgetStamp(store, budgets, STATES_MAX_AGE_SECONDS, time.monotonic)


_app = None


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics(raise_on_empty_metrics=False)
def handler(event: dict, context) -> dict:
    global _app
    if _app is None:
        _app = create_app(build_dependencies(IngestSettings.from_env()))
    return _app.resolve(event, context)
