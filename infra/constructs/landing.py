"""Landing: a Firehose stream that turns JSON events into Parquet under `ledger/dt=YYYY-MM-DD/`.

Partitions follow the event date (`occurred_at`), through dynamic partitioning. A late event
lands in the partition of the day it happened, in a new file next to that day's others, and
partition projection makes it visible to Athena at once. Queries that filter on `dt` never
miss it; only a budget period that already closed and alerted will not alert again for it.
"""

from aws_cdk import (Duration, Size, aws_cloudwatch as cloudwatch,
                     aws_cloudwatch_actions as cw_actions, aws_glue as glue,
                     aws_iam as iam, aws_kinesisfirehose as firehose, aws_sns as sns,
                     aws_s3 as s3)
from constructs import Construct

from infra.constructs.ledger import LEDGER_PREFIX
from infra.nag import acknowledge, arn_of
from p402.schema import PARTITION_COLUMN

ERROR_PREFIX = "firehose-errors/"
PARTITION_QUERY = "(.occurred_at // .received_at)[0:10]"
BUFFER_INTERVAL = Duration.seconds(60)
BUFFER_SIZE = Size.mebibytes(64)


class Landing(Construct):
    """The delivery stream, and alarms on records it could not convert or deliver."""

    def __init__(self, scope: Construct, construct_id: str, *, bucket: s3.IBucket,
                 table: glue.CfnTable, alarm_topic: sns.ITopic) -> None:
        super().__init__(scope, construct_id)

        destination = firehose.S3Bucket(
            bucket,
            data_output_prefix=f"{LEDGER_PREFIX}{PARTITION_COLUMN}="
                               f"!{{partitionKeyFromQuery:{PARTITION_COLUMN}}}/",
            error_output_prefix=f"{ERROR_PREFIX}!{{firehose:error-output-type}}/"
                                "!{timestamp:yyyy-MM-dd}/",
            buffering_interval=BUFFER_INTERVAL,
            buffering_size=BUFFER_SIZE,
            data_format_conversion=firehose.DataFormatConversionProps(
                schema_configuration=firehose.SchemaConfiguration.from_cfn_table(table),
                input_format=firehose.InputFormat.OPENX_JSON,
                output_format=firehose.OutputFormat.PARQUET),
            dynamic_partitioning=firehose.DynamicPartitioningProps(
                enabled=True, retry_duration=Duration.minutes(5)),
            processors=[
                firehose.RecordDeAggregationProcessor.json(),
                firehose.MetadataExtractionProcessor.jq16({PARTITION_COLUMN: PARTITION_QUERY}),
            ],
        )

        self.stream = firehose.DeliveryStream(
            self, "Stream", destination=destination,
            encryption=firehose.StreamEncryption.aws_owned_key())
        acknowledge(self.stream, "AwsSolutions-IAM5",
                    "CDK's Firehose destination role: writes objects under generated keys "
                    "in the ledger bucket and reads the Glue table versions it converts with.",
                    findings=["Action::s3:Abort*", "Action::s3:DeleteObject*",
                              "Action::s3:GetBucket*", "Action::s3:GetObject*",
                              "Action::s3:List*", f"Resource::{arn_of(bucket)}/*",
                              "Resource::*"])

        self.alarms = self._alarms(alarm_topic)

    @property
    def stream_name(self) -> str:
        return self.stream.delivery_stream_name

    @property
    def stream_arn(self) -> str:
        return self.stream.delivery_stream_arn

    def grant_put(self, role: iam.IRole) -> None:
        """Exactly PutRecord and PutRecordBatch on this stream, nothing else."""
        role.add_to_principal_policy(iam.PolicyStatement(
            actions=["firehose:PutRecord", "firehose:PutRecordBatch"],
            resources=[self.stream_arn]))

    def _alarms(self, topic: sns.ITopic) -> list[cloudwatch.Alarm]:
        checks = [
            ("FailedConversion", "FailedConversion.Records", "Sum", 0,
             "Firehose could not convert records to Parquet (see firehose-errors/)."),
            ("DeliveryFailed", "DeliveryToS3.Success", "Minimum", None,
             "Firehose failed to deliver to S3."),
            ("DeliveryLate", "DeliveryToS3.DataFreshness", "Maximum", 900,
             "The oldest record waiting in Firehose is more than 15 minutes old."),
            ("PartitionLimit", "PartitionCountExceeded", "Maximum", 0,
             "Firehose exceeded its active-partition quota (dynamic partitioning)."),
        ]
        return [self._alarm(topic, *check) for check in checks]

    def _alarm(self, topic: sns.ITopic, name: str, metric_name: str, statistic: str,
               above: float | None, description: str) -> cloudwatch.Alarm:
        metric = cloudwatch.Metric(
            namespace="AWS/Firehose", metric_name=metric_name, statistic=statistic,
            period=Duration.minutes(5),
            dimensions_map={"DeliveryStreamName": self.stream_name})

        below_one = above is None
        alarm = metric.create_alarm(
            self, f"{name}Alarm", alarm_description=description,
            threshold=1 if below_one else above,
            evaluation_periods=1,
            comparison_operator=(cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD if below_one
                                 else cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD),
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING)
        alarm.add_alarm_action(cw_actions.SnsAction(topic))
        return alarm
