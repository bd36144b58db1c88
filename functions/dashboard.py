"""Lambda entry point of the dashboard routes: the same pages `p402 serve` shows, over AWS.

The `/dashboard` routes have no API Gateway authorizer (a browser holds only its cookie), so
this function checks access itself: a bearer key against the key secret, or a session cookie
signed with the secret the stack generated. Figures come from the jobs' S3 snapshot and from
Athena in the stack's workgroup, whose per-query scan limit applies to every page.
"""

import os
from dataclasses import dataclass

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.logging import correlation_paths

from functions.authorizer import CachedKeyRing
from p402.adapters.aws.key_store import SecretKeyStore
from p402.adapters.aws.s3_snapshots import S3SnapshotStore
from p402.dashboard import DashboardDependencies, aws_dependencies, register_dashboard
from p402.keys import KeyGrant

logger = Logger(service="p402-dashboard")


@dataclass(frozen=True)
class DashboardSettings:
    """Read once, at cold start."""

    workgroup: str
    database: str
    snapshot_bucket: str
    snapshot_prefix: str
    keys_secret_arn: str
    session_secret_arn: str
    keys_cache_seconds: float
    page_wait_seconds: float

    @classmethod
    def from_env(cls) -> "DashboardSettings":
        return cls(workgroup=os.environ["ATHENA_WORKGROUP"],
                   database=os.environ["ATHENA_DATABASE"],
                   snapshot_bucket=os.environ["SNAPSHOT_BUCKET"],
                   snapshot_prefix=os.environ.get("SNAPSHOT_PREFIX", "snapshots/"),
                   keys_secret_arn=os.environ["KEYS_SECRET_ARN"],
                   session_secret_arn=os.environ["DASHBOARD_SECRET_ARN"],
                   keys_cache_seconds=float(os.environ.get("KEYS_CACHE_SECONDS", "60")),
                   page_wait_seconds=float(os.environ.get("ATHENA_PAGE_WAIT_SECONDS", "6")))


class SecretKeys:
    """The key secret as the dashboard's KeyFinder, re-read at most once per cache interval
    (so a new key works, and a removed one stops working, within about a minute)."""

    def __init__(self, ring: CachedKeyRing):
        self._ring = ring

    def find(self, presented: str | None) -> KeyGrant | None:
        return self._ring.ring().find(presented)


def build_dependencies(settings: DashboardSettings) -> DashboardDependencies:
    secrets = boto3.client("secretsmanager")
    session_secret = secrets.get_secret_value(
        SecretId=settings.session_secret_arn)["SecretString"].encode()

    keys = SecretKeys(CachedKeyRing(SecretKeyStore(secrets, settings.keys_secret_arn),
                                    settings.keys_cache_seconds))
    snapshots = S3SnapshotStore(boto3.client("s3"), settings.snapshot_bucket,
                                settings.snapshot_prefix)
    return aws_dependencies(boto3.client("athena"), settings.workgroup, settings.database,
                            snapshots, session_secret, keys,
                            wait_seconds=settings.page_wait_seconds)


def create_dashboard_app(deps: DashboardDependencies) -> APIGatewayHttpResolver:
    """Only the dashboard's routes: this function never takes events."""
    app = APIGatewayHttpResolver()
    register_dashboard(app, deps)
    return app


_app: APIGatewayHttpResolver | None = None


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict, context) -> dict:
    global _app
    if _app is None:
        _app = create_dashboard_app(build_dependencies(DashboardSettings.from_env()))

    answer = _app.resolve(event, context)
    logger.info("dashboard request", extra={"route": event.get("routeKey"),
                                            "status": answer.get("statusCode")})
    return answer
