"""The scheduled job: EventBridge Scheduler runs the jobs Lambda on the configured schedule."""

from aws_cdk import (Duration, aws_iam as iam, aws_scheduler as scheduler,
                     aws_scheduler_targets as targets)
from constructs import Construct

from infra.constructs.lambda_function import LedgerFunction
from infra.nag import acknowledge, arn_of


class Jobs(Construct):
    """A schedule invoking the jobs function; missed runs are retried twice within an hour."""

    def __init__(self, scope: Construct, construct_id: str, *, function: LedgerFunction,
                 expression: str, prefix: str) -> None:
        super().__init__(scope, construct_id)

        self.role = iam.Role(self, "InvokeRole",
                             assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com"))
        acknowledge(self.role, "AwsSolutions-IAM5",
                    "CDK's scheduler target grants invoke on the jobs function and its "
                    "versions (function:*), nothing else.",
                    findings=[f"Resource::{arn_of(function.function)}:*"])

        self.schedule = scheduler.Schedule(
            self, "Schedule",
            description=f"{prefix}: rank waste, evaluate budgets, publish alerts",
            schedule=scheduler.ScheduleExpression.expression(expression),
            target=targets.LambdaInvoke(
                function.function,
                input=scheduler.ScheduleTargetInput.from_object({"job": "scheduled"}),
                role=self.role,
                retry_attempts=2,
                max_event_age=Duration.hours(1)))
