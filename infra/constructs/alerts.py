"""Where alerts go and what they remember: a KMS-encrypted SNS topic and a DynamoDB state table."""

from aws_cdk import (RemovalPolicy, aws_dynamodb as dynamodb, aws_iam as iam, aws_kms as kms,
                     aws_sns as sns, aws_sns_subscriptions as subscriptions)
from constructs import Construct

ALERT_KEY_ATTRIBUTE = "alert_key"
EXPIRY_ATTRIBUTE = "expires_at"


class Alerts(Construct):
    """Budget alerts (with budget/owner/severity attributes) and operational alarms."""

    def __init__(self, scope: Construct, construct_id: str, *, prefix: str,
                 emails: tuple[str, ...]) -> None:
        super().__init__(scope, construct_id)

        self.key = kms.Key(self, "TopicKey", enable_key_rotation=True,
                           description=f"{prefix}: encrypts the alerts topic",
                           removal_policy=RemovalPolicy.DESTROY)
        self.key.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["kms:Decrypt", "kms:GenerateDataKey*"], resources=["*"]))

        self.topic = sns.Topic(self, "Topic", master_key=self.key, enforce_ssl=True,
                               display_name=f"{prefix} alerts")
        for email in emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))

        self.state = dynamodb.Table(
            self, "State",
            partition_key=dynamodb.Attribute(name=ALERT_KEY_ATTRIBUTE,
                                             type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True),
            time_to_live_attribute=EXPIRY_ATTRIBUTE,
            removal_policy=RemovalPolicy.DESTROY)

    def grant_publish(self, role: iam.IRole) -> None:
        role.add_to_principal_policy(iam.PolicyStatement(
            actions=["sns:Publish"], resources=[self.topic.topic_arn]))
        role.add_to_principal_policy(iam.PolicyStatement(
            actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[self.key.key_arn]))

    def grant_claim(self, role: iam.IRole) -> None:
        """Conditional puts and reads of alert state; no scans, no deletes."""
        role.add_to_principal_policy(iam.PolicyStatement(
            actions=["dynamodb:PutItem", "dynamodb:GetItem"],
            resources=[self.state.table_arn]))
