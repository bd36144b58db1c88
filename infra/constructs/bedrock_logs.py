"""Bedrock invocation logs in: log bucket -> object-created -> SQS (with a DLQ) -> importer.

An opt-in custom resource turns on model invocation logging into the bucket, with text,
image, embedding and video delivery off: only the metadata (model, tokens, caller) is kept.
"""

from aws_cdk import (Duration, Stack, aws_iam as iam, aws_s3 as s3,
                     aws_s3_notifications as s3n, aws_sqs as sqs, custom_resources as cr)
from aws_cdk.aws_lambda_event_sources import SqsEventSource
from constructs import Construct

from infra.constructs.lambda_function import LedgerFunction
from infra.nag import acknowledge, arn_of

LOG_SUFFIX = ".json.gz"
MAX_RECEIVES = 5


class BedrockLogs(Construct):
    """Feeds every new Bedrock log object to the importer, which reports partial failures."""

    def __init__(self, scope: Construct, construct_id: str, *, bucket: s3.IBucket,
                 key_prefix: str, importer: LedgerFunction, enable_logging: bool) -> None:
        super().__init__(scope, construct_id)
        self.bucket = bucket

        self.dead_letters = sqs.Queue(
            self, "DeadLetters", retention_period=Duration.days(14),
            encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True)
        acknowledge(self.dead_letters, "AwsSolutions-SQS3",
                    "This queue is the dead-letter queue of the log-object queue.")

        visibility = Duration.seconds(importer.function.timeout.to_seconds() * 6)
        self.queue = sqs.Queue(
            self, "LogObjects", visibility_timeout=visibility,
            encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dead_letters,
                                                  max_receive_count=MAX_RECEIVES))

        bucket.add_event_notification(
            s3.EventType.OBJECT_CREATED, s3n.SqsDestination(self.queue),
            s3.NotificationKeyFilter(prefix=key_prefix or None, suffix=LOG_SUFFIX))
        acknowledge_notifications_handler(Stack.of(self))

        self._wire_importer(importer, key_prefix)
        self.logging_switch = self._logging_switch(key_prefix) if enable_logging else None

    def _wire_importer(self, importer: LedgerFunction, key_prefix: str) -> None:
        importer.function.add_event_source(SqsEventSource(
            self.queue, batch_size=10, max_batching_window=Duration.seconds(5),
            report_batch_item_failures=True))
        importer.role.add_to_principal_policy(iam.PolicyStatement(
            actions=["s3:GetObject"],
            resources=[self.bucket.arn_for_objects(f"{key_prefix}*")]))
        acknowledge(importer.role, "AwsSolutions-IAM5",
                    "Bedrock names its log objects itself; the importer reads only those.",
                    findings=[f"Resource::{bucket_arn_finding(self.bucket)}/{key_prefix}*"])

    def _logging_switch(self, key_prefix: str) -> cr.AwsCustomResource:
        s3_config = {"bucketName": self.bucket.bucket_name}
        if key_prefix:
            s3_config["keyPrefix"] = key_prefix.rstrip("/")
        logging_config = {
            "s3Config": s3_config,
            "textDataDeliveryEnabled": False,
            "imageDataDeliveryEnabled": False,
            "embeddingDataDeliveryEnabled": False,
            "videoDataDeliveryEnabled": False,
        }
        switch = cr.AwsCustomResource(
            self, "InvocationLogging",
            on_update=cr.AwsSdkCall(
                service="bedrock", action="PutModelInvocationLoggingConfiguration",
                parameters={"loggingConfig": logging_config},
                physical_resource_id=cr.PhysicalResourceId.of("bedrock-invocation-logging")),
            on_delete=cr.AwsSdkCall(
                service="bedrock", action="DeleteModelInvocationLoggingConfiguration"),
            policy=cr.AwsCustomResourcePolicy.from_statements([iam.PolicyStatement(
                actions=["bedrock:PutModelInvocationLoggingConfiguration",
                         "bedrock:DeleteModelInvocationLoggingConfiguration"],
                resources=["*"])]),
            install_latest_aws_sdk=False)
        if isinstance(self.bucket, s3.Bucket) and self.bucket.policy is not None:
            switch.node.add_dependency(self.bucket.policy)

        acknowledge(switch, "AwsSolutions-IAM5",
                    "Bedrock's logging configuration is account-wide; its actions take no "
                    "resource ARN.", findings=["Resource::*"])
        return switch


def bucket_arn_finding(bucket: s3.IBucket) -> str:
    """cdk-nag's spelling of the bucket ARN: a reference when we own it, literal otherwise."""
    if isinstance(bucket, s3.Bucket):
        return arn_of(bucket)
    return f"arn:<AWS::Partition>:s3:::{bucket.bucket_name}"


def allow_bedrock_delivery(bucket: s3.Bucket, key_prefix: str) -> None:
    """Let Bedrock of this account and region write its logs into a bucket we own."""
    stack = Stack.of(bucket)
    bucket.add_to_resource_policy(iam.PolicyStatement(
        principals=[iam.ServicePrincipal("bedrock.amazonaws.com")],
        actions=["s3:PutObject"],
        resources=[bucket.arn_for_objects(f"{key_prefix}AWSLogs/{stack.account}/*")],
        conditions={
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {"aws:SourceArn": stack.format_arn(service="bedrock", resource="*")},
        }))


def acknowledge_notifications_handler(stack: Stack) -> None:
    """CDK adds one stack-level function that configures bucket notifications."""
    reason = ("CDK's bucket-notifications handler (a CDK singleton) uses the basic execution "
              "policy and s3:PutBucketNotification on the buckets it configures.")
    acknowledge(stack, "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
                       "service-role/AWSLambdaBasicExecutionRole]", reason)
