"""The ledger as Athena sees it: Glue database and table, workgroup, saved queries, the view."""

from aws_cdk import (CustomResource, Duration, Stack, aws_athena as athena, aws_glue as glue,
                     aws_iam as iam, aws_lambda, aws_s3 as s3, custom_resources as cr)
from constructs import Construct

from infra import sql_files
from infra.constructs.lambda_function import LedgerFunction
from infra.nag import acknowledge, arn_of
from p402 import ledger
from p402.schema import PARTITION_COLUMN, glue_columns

LANDED_TABLE = ledger.LANDED_TABLE
VIEW_NAME = ledger.VIEW
LEDGER_PREFIX = "ledger/"
RESULTS_PREFIX = "athena-results/"
PROJECTION_START = "2020-01-01"


class Ledger(Construct):
    """Glue and Athena over the Parquet files that Firehose lands under `ledger/dt=.../`."""

    def __init__(self, scope: Construct, construct_id: str, *, prefix: str,
                 ledger_bucket: s3.IBucket, results_bucket: s3.IBucket,
                 bytes_scanned_cutoff: int, code: aws_lambda.Code,
                 log_retention_days: int) -> None:
        super().__init__(scope, construct_id)
        self.database_name = prefix.replace("-", "_")
        self.table_name = LANDED_TABLE
        self.view_name = VIEW_NAME
        self.results_bucket = results_bucket

        self.database = glue.CfnDatabase(
            self, "Database", catalog_id=Stack.of(self).account,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=self.database_name,
                description="p402: the AI economic events ledger"))

        self.table = self._landed_table(ledger_bucket)
        self.workgroup = self._workgroup(prefix, results_bucket, bytes_scanned_cutoff)
        self.named_queries = self._saved_queries()
        self.view = self._view(code, log_retention_days)

    @property
    def workgroup_name(self) -> str:
        return self.workgroup.name

    def _landed_table(self, bucket: s3.IBucket) -> glue.CfnTable:
        location = f"s3://{bucket.bucket_name}/{LEDGER_PREFIX}"
        table = glue.CfnTable(
            self, "LandedTable", catalog_id=Stack.of(self).account,
            database_name=self.database_name,
            table_input=glue.CfnTable.TableInputProperty(
                name=LANDED_TABLE,
                description="One row per AI call, as Firehose lands it (Parquet).",
                table_type="EXTERNAL_TABLE",
                parameters=projection_parameters(location),
                partition_keys=[glue.CfnTable.ColumnProperty(
                    name=PARTITION_COLUMN, type="string",
                    comment="UTC date of occurred_at, YYYY-MM-DD")],
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    columns=[glue.CfnTable.ColumnProperty(**column) for column in glue_columns()],
                    location=location,
                    input_format="org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                    output_format="org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                    serde_info=glue.CfnTable.SerdeInfoProperty(
                        serialization_library=(
                            "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"))),
            ))
        table.add_resource_dependency(self.database)
        return table

    def _workgroup(self, prefix: str, results: s3.IBucket, cutoff: int) -> athena.CfnWorkGroup:
        return athena.CfnWorkGroup(
            self, "WorkGroup", name=prefix,
            description="p402 ledger queries (results kept briefly, scans capped per query)",
            recursive_delete_option=True,
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=cutoff,
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=f"s3://{results.bucket_name}/{RESULTS_PREFIX}",
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_S3")),
            ))

    def _saved_queries(self) -> list[athena.CfnNamedQuery]:
        queries = []
        for query in sql_files.saved_queries():
            named = athena.CfnNamedQuery(
                self, f"Query-{query.name}", name=query.name, description=query.description,
                database=self.database_name, query_string=query.sql,
                work_group=self.workgroup.name)
            named.add_resource_dependency(self.workgroup)
            named.add_resource_dependency(self.database)
            queries.append(named)
        return queries

    def _view(self, code: aws_lambda.Code, log_retention_days: int) -> CustomResource:
        """CREATE OR REPLACE VIEW at deploy time, waiting for Athena so a bad view fails deploy."""
        statement = sql_files.view_statement()

        installer = LedgerFunction(
            self, "ViewInstaller", handler="functions.ledger_ddl.handler",
            service="ledger-ddl", code=code, log_retention_days=log_retention_days,
            timeout_seconds=300, memory_mb=256,
            environment=self.athena_environment())
        self.grant_query(installer.role, ddl=True)

        provider = cr.Provider(self, "ViewProvider", on_event_handler=installer.function)
        acknowledge_provider(provider, installer.function)

        view = CustomResource(self, "View", service_token=provider.service_token,
                              resource_type="Custom::AthenaView",
                              properties={"ViewName": VIEW_NAME, "Statement": statement})
        view.node.add_dependency(self.table, self.workgroup)
        return view

    def athena_environment(self) -> dict[str, str]:
        return {"ATHENA_WORKGROUP": self.workgroup.name,
                "ATHENA_DATABASE": self.database_name,
                "ATHENA_TABLE": LANDED_TABLE,
                "ATHENA_VIEW": VIEW_NAME}

    def grant_query(self, role: iam.IRole, ddl: bool = False) -> None:
        """Let `role` run queries in this workgroup over this database (and, if ddl, views)."""
        stack = Stack.of(self)
        workgroup_arn = stack.format_arn(service="athena",
                                         resource=f"workgroup/{self.workgroup.name}")
        catalog = stack.format_arn(service="glue", resource="catalog")
        database = stack.format_arn(service="glue", resource=f"database/{self.database_name}")
        tables = stack.format_arn(service="glue", resource=f"table/{self.database_name}/*")

        role.add_to_principal_policy(iam.PolicyStatement(
            actions=["athena:StartQueryExecution", "athena:GetQueryExecution",
                     "athena:GetQueryResults", "athena:StopQueryExecution",
                     "athena:GetWorkGroup"],
            resources=[workgroup_arn]))

        glue_actions = ["glue:GetDatabase", "glue:GetTable", "glue:GetTables",
                        "glue:GetPartition", "glue:GetPartitions"]
        if ddl:
            glue_actions += ["glue:CreateTable", "glue:UpdateTable", "glue:DeleteTable"]
        role.add_to_principal_policy(iam.PolicyStatement(
            actions=glue_actions, resources=[catalog, database, tables]))

        role.add_to_principal_policy(iam.PolicyStatement(
            actions=["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload",
                     "s3:ListMultipartUploadParts"],
            resources=[self.results_bucket.arn_for_objects(f"{RESULTS_PREFIX}*")]))
        role.add_to_principal_policy(iam.PolicyStatement(
            actions=["s3:GetBucketLocation", "s3:ListBucket"],
            resources=[self.results_bucket.bucket_arn]))

        acknowledge(role, "AwsSolutions-IAM5",
                    "Athena writes results under generated keys in the results prefix, and "
                    "queries may read any table of this ledger's own database.",
                    findings=[f"Resource::{arn_of(self.results_bucket)}/{RESULTS_PREFIX}*",
                              f"Resource::arn:<AWS::Partition>:glue:<AWS::Region>:"
                              f"<AWS::AccountId>:table/{self.database_name}/*"])


def projection_parameters(location: str) -> dict[str, str]:
    """Partition projection on `dt`: Athena computes the partitions, no crawler, no MSCK."""
    return {
        "classification": "parquet",
        "EXTERNAL": "TRUE",
        "parquet.compression": "SNAPPY",
        "projection.enabled": "true",
        f"projection.{PARTITION_COLUMN}.type": "date",
        f"projection.{PARTITION_COLUMN}.format": "yyyy-MM-dd",
        f"projection.{PARTITION_COLUMN}.range": f"{PROJECTION_START},NOW+1DAYS",
        f"projection.{PARTITION_COLUMN}.interval": "1",
        f"projection.{PARTITION_COLUMN}.interval.unit": "DAYS",
        "storage.location.template": f"{location}{PARTITION_COLUMN}=${{{PARTITION_COLUMN}}}/",
    }


def acknowledge_provider(provider: cr.Provider, handler: aws_lambda.IFunction) -> None:
    """The CDK provider framework's own function and role are CDK's, not ours to shape."""
    acknowledge(provider, "AwsSolutions-IAM4",
                "CDK's custom-resource provider framework attaches the basic execution policy.",
                findings=["Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                          "AWSLambdaBasicExecutionRole"])
    acknowledge(provider, "AwsSolutions-IAM5",
                "CDK's provider framework may invoke every version of our own handler (:*).",
                findings=[f"Resource::{arn_of(handler)}:*"])
    acknowledge(provider, "AwsSolutions-L1",
                "CDK's provider framework pins its own Node.js runtime.")
