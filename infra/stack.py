"""The one p402 stack: storage, landing, ledger, API, jobs, alerts and Bedrock log import."""

import json
from pathlib import Path

from aws_cdk import (CfnOutput, RemovalPolicy, Stack, Tags, aws_iam as iam, aws_s3 as s3,
                     aws_secretsmanager as secrets)
from constructs import Construct

from infra import packaging
from infra.config import DeployConfig, read_budgets
from infra.constructs import alarms, storage
from infra.constructs.alerts import Alerts
from infra.constructs.bedrock_logs import BedrockLogs, allow_bedrock_delivery
from infra.constructs.ingest_api import IngestApi
from infra.constructs.jobs import Jobs
from infra.constructs.lambda_function import LedgerFunction
from infra.constructs.landing import ERROR_PREFIX, Landing
from infra.constructs.ledger import LEDGER_PREFIX, RESULTS_PREFIX, Ledger
from infra.nag import acknowledge, arn_of

SNAPSHOT_PREFIX = "snapshots/"
MAX_BUDGETS_ENV_BYTES = 3000


class P402Stack(Stack):
    """Everything `cdk deploy` puts into the user's account, configured by DeployConfig."""

    def __init__(self, scope: Construct, construct_id: str, *, config: DeployConfig,
                 **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        for key, value in {"project": "p402", "stage": config.stage, **config.tags}.items():
            Tags.of(self).add(key, value)

        acknowledge(self, "CloudFormation-Validate::W7001",
                    "The Firehose L2 always adds its CIDR mapping; only VPC destinations use it.")
        code = packaging.lambda_code(self)
        self._buckets()

        self.alerts = Alerts(self, "Alerts", prefix=config.prefix, emails=config.alert_emails)
        self.ledger = Ledger(self, "Ledger", prefix=config.prefix,
                             ledger_bucket=self.ledger_bucket,
                             results_bucket=self.results_bucket,
                             bytes_scanned_cutoff=config.athena_bytes_scanned_cutoff,
                             code=code, log_retention_days=config.log_retention_days)
        self.landing = Landing(self, "Landing", bucket=self.ledger_bucket,
                               table=self.ledger.table, alarm_topic=self.alerts.topic)

        self.ingest = self._function("Ingest", "functions.ingest.handler", "ingest", code)
        self.dashboard = self._function("Dashboard", "functions.dashboard.handler",
                                        "dashboard", code, timeout_seconds=30)
        self.jobs_function = self._function("JobsFunction", "functions.jobs.handler", "jobs",
                                            code, timeout_seconds=600, memory_mb=1024)
        self.importer = self._function("BedrockImporter", "functions.bedrock_import.handler",
                                       "bedrock-import", code, timeout_seconds=120)
        self._grant()

        self.api = IngestApi(self, "IngestApi", prefix=config.prefix, code=code,
                             ingest=self.ingest, dashboard=self.dashboard,
                             log_retention_days=config.log_retention_days,
                             cache_seconds=config.authorizer_cache_seconds,
                             rate_limit=config.ingest_rate_limit,
                             burst_limit=config.ingest_burst_limit,
                             iam_route=config.iam_ingest_route)
        self._dashboard_access()
        self.jobs = Jobs(self, "Jobs", function=self.jobs_function,
                         expression=config.job_schedule, prefix=config.prefix)
        self.bedrock = BedrockLogs(self, "BedrockLogs", bucket=self.bedrock_bucket,
                                   key_prefix=self.bedrock_prefix, importer=self.importer,
                                   enable_logging=config.enable_bedrock_logging)
        self._alarms()
        self._outputs()

    def _alarms(self) -> None:
        topic = self.alerts.topic
        for name, function in (("IngestErrors", self.ingest), ("JobsErrors", self.jobs_function),
                               ("DashboardErrors", self.dashboard),
                               ("ImporterErrors", self.importer),
                               ("AuthorizerErrors", self.api.authorizer_function)):
            alarms.function_errors_alarm(self, name, function.function, topic)
        alarms.dead_letters_alarm(self, "BedrockDeadLetters", self.bedrock.dead_letters, topic)

    def _buckets(self) -> None:
        cfg = self.config
        self.access_logs = storage.access_log_bucket(self, cfg.access_log_days)

        ledger_rules = [storage.abort_uploads(),
                        storage.expire_prefix("expire-errors", ERROR_PREFIX,
                                              cfg.firehose_error_days)]
        if cfg.ledger_retention_days:
            ledger_rules.append(storage.expire_prefix("expire-ledger", LEDGER_PREFIX,
                                                      cfg.ledger_retention_days))
        self.ledger_bucket = storage.secure_bucket(self, "LedgerData", self.access_logs,
                                                   ledger_rules)
        self.results_bucket = storage.secure_bucket(
            self, "AthenaResults", self.access_logs,
            [storage.abort_uploads(),
             storage.expire_prefix("expire-results", RESULTS_PREFIX, cfg.athena_results_days)])
        self._bedrock_bucket()

    def _bedrock_bucket(self) -> None:
        prefix = self.config.bedrock_log_prefix.strip("/")
        self.bedrock_prefix = f"{prefix}/" if prefix else ""

        if self.config.bedrock_log_bucket:
            self.bedrock_bucket = s3.Bucket.from_bucket_name(
                self, "BedrockLogBucket", self.config.bedrock_log_bucket)
            return

        bucket = storage.secure_bucket(self, "BedrockLogBucket", self.access_logs,
                                       [storage.abort_uploads()])
        allow_bedrock_delivery(bucket, self.bedrock_prefix)
        self.bedrock_bucket = bucket

    def _function(self, construct_id: str, handler: str, service: str, code,
                  timeout_seconds: int = 10, memory_mb: int = 512) -> LedgerFunction:
        return LedgerFunction(self, construct_id, handler=handler, service=service, code=code,
                              log_retention_days=self.config.log_retention_days,
                              timeout_seconds=timeout_seconds, memory_mb=memory_mb,
                              environment=self._environment())

    def _environment(self) -> dict[str, str]:
        """The same settings for every handler; each role decides what it may touch."""
        return {
            "P402_STAGE": self.config.stage,
            "FIREHOSE_STREAM_NAME": self.landing.stream_name,
            "SNAPSHOT_BUCKET": self.ledger_bucket.bucket_name,
            "SNAPSHOT_PREFIX": SNAPSHOT_PREFIX,
            "SNS_TOPIC_ARN": self.alerts.topic.topic_arn,
            "ALERT_TABLE": self.alerts.state.table_name,
            "BUDGETS": budgets_json(self.config),
            **self.ledger.athena_environment(),
        }

    def _grant(self) -> None:
        self.landing.grant_put(self.ingest.role)
        self.landing.grant_put(self.importer.role)
        self._grant_snapshots(self.ingest.role, write=False)
        self._grant_snapshots(self.dashboard.role, write=False)

        for role in (self.dashboard.role, self.jobs_function.role):
            self.ledger.grant_query(role)
            self._grant_ledger_read(role)

        self._grant_snapshots(self.jobs_function.role, write=True)
        self.alerts.grant_publish(self.jobs_function.role)
        self.alerts.grant_claim(self.jobs_function.role)

    def _dashboard_access(self) -> None:
        """The dashboard checks keys itself (its routes have no authorizer) and signs its
        session cookies with a key CloudFormation generates, readable by its role alone."""
        self.session_key = secrets.Secret(
            self, "DashboardSessionKey",
            description=f"{self.config.prefix}: signs dashboard session cookies",
            generate_secret_string=secrets.SecretStringGenerator(
                password_length=64, exclude_punctuation=True),
            removal_policy=RemovalPolicy.DESTROY)
        acknowledge(self.session_key, "AwsSolutions-SMG4",
                    "It only signs one-hour session cookies; replacing it signs everyone "
                    "out, and nothing else depends on it, so no rotation function is needed.")

        self.session_key.grant_read(self.dashboard.role)
        self.api.keys.grant_read(self.dashboard.role)
        self.dashboard.function.add_environment("KEYS_SECRET_ARN", self.api.keys.secret_arn)
        self.dashboard.function.add_environment("DASHBOARD_SECRET_ARN",
                                                self.session_key.secret_arn)

    def _grant_ledger_read(self, role: iam.IRole) -> None:
        """Athena reads the Parquet files with the caller's own permissions."""
        role.add_to_principal_policy(iam.PolicyStatement(
            actions=["s3:GetObject"],
            resources=[self.ledger_bucket.arn_for_objects(f"{LEDGER_PREFIX}*")]))
        role.add_to_principal_policy(iam.PolicyStatement(
            actions=["s3:ListBucket", "s3:GetBucketLocation"],
            resources=[self.ledger_bucket.bucket_arn]))
        acknowledge(role, "AwsSolutions-IAM5",
                    "Ledger files have generated names under the ledger prefix only.",
                    findings=[f"Resource::{arn_of(self.ledger_bucket)}/{LEDGER_PREFIX}*"])

    def _grant_snapshots(self, role: iam.IRole, write: bool) -> None:
        actions = ["s3:GetObject"] + (["s3:PutObject"] if write else [])
        role.add_to_principal_policy(iam.PolicyStatement(
            actions=actions,
            resources=[self.ledger_bucket.arn_for_objects(f"{SNAPSHOT_PREFIX}*")]))
        acknowledge(role, "AwsSolutions-IAM5",
                    "Snapshots are one object per job result, all under the snapshot prefix.",
                    findings=[f"Resource::{arn_of(self.ledger_bucket)}/{SNAPSHOT_PREFIX}*"])

    def _outputs(self) -> None:
        CfnOutput(self, "ApiUrl", value=self.api.url,
                  description="POST events to <ApiUrl>v1/events with 'Authorization: Bearer <key>'")
        CfnOutput(self, "DashboardUrl", value=f"{self.api.url}dashboard/optimize",
                  description="Open in a browser; sign in with an API key (one-hour cookie)")
        CfnOutput(self, "ApiKeysSecretArn", value=self.api.keys.secret_arn,
                  description="Secret holding API key hashes; add one with p402 keys (docs)")
        CfnOutput(self, "AthenaWorkGroup", value=self.ledger.workgroup_name)
        CfnOutput(self, "GlueDatabase", value=self.ledger.database_name)
        CfnOutput(self, "LedgerBucketName", value=self.ledger_bucket.bucket_name)
        CfnOutput(self, "FirehoseStreamName", value=self.landing.stream_name)
        CfnOutput(self, "AlertsTopicArn", value=self.alerts.topic.topic_arn)
        CfnOutput(self, "BedrockLogBucketName", value=self.bedrock_bucket.bucket_name)


def budgets_json(config: DeployConfig) -> str:
    """The budgets file, compacted to JSON for the BUDGETS variable (Lambda allows 4 KB)."""
    budgets = read_budgets(packaging.REPO_ROOT / Path(config.budgets_file))
    text = json.dumps(budgets, separators=(",", ":"), sort_keys=True, default=str)
    if len(text.encode()) > MAX_BUDGETS_ENV_BYTES:
        raise ValueError(f"budgets file {config.budgets_file}: {len(text)} bytes as JSON, "
                         f"expected at most {MAX_BUDGETS_ENV_BYTES} (Lambda environment limit)")
    return text
