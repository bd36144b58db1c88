"""S3 buckets as p402 makes them: encrypted, TLS only, private, access-logged, with lifecycle."""

from aws_cdk import Duration, RemovalPolicy, aws_s3 as s3
from constructs import Construct

from infra.nag import acknowledge


def access_log_bucket(scope: Construct, expire_days: int) -> s3.Bucket:
    """The bucket that receives the server access logs of every other bucket."""
    bucket = s3.Bucket(
        scope, "AccessLogs",
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        lifecycle_rules=[s3.LifecycleRule(id="expire-access-logs",
                                          expiration=Duration.days(expire_days))],
        removal_policy=RemovalPolicy.RETAIN,
    )

    acknowledge(bucket, "AwsSolutions-S1",
                "This is the access-log bucket itself; logging it into itself would loop.")
    return bucket


def secure_bucket(scope: Construct, construct_id: str, access_logs: s3.IBucket,
                  lifecycle_rules: list[s3.LifecycleRule], versioned: bool = False) -> s3.Bucket:
    """A private bucket holding ledger data; retained on teardown so no data is lost."""
    return s3.Bucket(
        scope, construct_id,
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        server_access_logs_bucket=access_logs,
        server_access_logs_prefix=f"{construct_id.lower()}/",
        lifecycle_rules=lifecycle_rules,
        versioned=versioned,
        removal_policy=RemovalPolicy.RETAIN,
    )


def expire_prefix(rule_id: str, prefix: str, days: int) -> s3.LifecycleRule:
    return s3.LifecycleRule(id=rule_id, prefix=prefix, expiration=Duration.days(days))


def abort_uploads() -> s3.LifecycleRule:
    return s3.LifecycleRule(id="abort-incomplete-uploads",
                            abort_incomplete_multipart_upload_after=Duration.days(2))
