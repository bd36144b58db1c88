"""A p402 Lambda function: arm64, JSON logs into its own retained log group, its own role."""

from aws_cdk import Duration, RemovalPolicy, Stack, aws_iam as iam, aws_lambda, aws_logs as logs
from constructs import Construct

from infra import packaging

METRICS_NAMESPACE = "p402"


class LedgerFunction(Construct):
    """One handler of the shared code asset, with a role that starts with logging only.

    The role is made here (not by the Function) so that no managed policy is attached:
    each function is granted exactly what it uses by the construct that owns it.
    """

    def __init__(self, scope: Construct, construct_id: str, *, handler: str, service: str,
                 code: aws_lambda.Code, log_retention_days: int,
                 environment: dict[str, str] | None = None, timeout_seconds: int = 10,
                 memory_mb: int = 512) -> None:
        super().__init__(scope, construct_id)

        self.log_group = self._log_group(log_retention_days)
        self.role = iam.Role(self, "Role",
                             assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        self.role.add_to_policy(iam.PolicyStatement(
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[self.log_group.log_group_arn]))

        self.function = aws_lambda.Function(
            self, "Function",
            runtime=packaging.RUNTIME,
            architecture=packaging.ARCHITECTURE,
            code=code,
            handler=handler,
            role=self.role,
            timeout=Duration.seconds(timeout_seconds),
            memory_size=memory_mb,
            log_group=self.log_group,
            logging_format=aws_lambda.LoggingFormat.JSON,
            application_log_level_v2=aws_lambda.ApplicationLogLevel.INFO,
            system_log_level_v2=aws_lambda.SystemLogLevel.WARN,
            environment=_powertools_env(service) | (environment or {}),
        )
        self.function.node.add_dependency(self.role)

    def _log_group(self, retention_days: int) -> logs.LogGroup:
        return logs.LogGroup(self, "Logs",
                             retention=log_retention(retention_days),
                             removal_policy=RemovalPolicy.DESTROY)


def _powertools_env(service: str) -> dict[str, str]:
    return {
        "POWERTOOLS_SERVICE_NAME": service,
        "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }


_RETENTION_BY_DAYS = {
    1: logs.RetentionDays.ONE_DAY, 3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS, 7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS, 30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS, 90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS, 365: logs.RetentionDays.ONE_YEAR,
    731: logs.RetentionDays.TWO_YEARS, 1827: logs.RetentionDays.FIVE_YEARS,
}


def log_retention(days: int) -> logs.RetentionDays:
    """The shortest CloudWatch retention that keeps logs at least `days` days."""
    for allowed in sorted(_RETENTION_BY_DAYS):
        if allowed >= days:
            return _RETENTION_BY_DAYS[allowed]
    return logs.RetentionDays.FIVE_YEARS


def stack_arn(scope: Construct, service: str, resource: str) -> str:
    """An ARN in this stack's account and region (e.g. service='athena', resource='workgroup/x')."""
    stack = Stack.of(scope)
    return stack.format_arn(service=service, resource=resource)
