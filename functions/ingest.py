"""Lambda entry point of the HTTP API: the same resolver `p402 serve` runs, over Firehose."""

import os
from dataclasses import dataclass
from pathlib import Path

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths

from p402.adapters.firehose import FirehoseSink
from p402.api.app import IngestDependencies, create_app
from p402.pricing import PriceBook, load_price_file

logger = Logger(service="p402-ingest")
metrics = Metrics(namespace="p402", service="ingest")


@dataclass(frozen=True)
class IngestSettings:
    """Read once, at cold start."""

    stream_name: str
    prices_file: str | None

    @classmethod
    def from_env(cls) -> "IngestSettings":
        return cls(stream_name=os.environ["FIREHOSE_STREAM_NAME"],
                   prices_file=os.environ.get("PRICES_FILE") or None)


def build_dependencies(settings: IngestSettings, firehose_client=None) -> IngestDependencies:
    prices = PriceBook()
    if settings.prices_file:
        prices = PriceBook(*load_price_file(Path(settings.prices_file).read_text()))
    sink = FirehoseSink(settings.stream_name, client=firehose_client)
    # keys=None: the API Gateway authorizer checked the key and names its projects.
    return IngestDependencies(sink=sink, prices=prices, keys=None)


_app = None


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    global _app
    if _app is None:
        _app = create_app(build_dependencies(IngestSettings.from_env()))
    return _app.resolve(event, context)
