"""Operational alarms on the functions and the dead-letter queue, sent to the alerts topic."""

from aws_cdk import (Duration, aws_cloudwatch as cloudwatch,
                     aws_cloudwatch_actions as cw_actions, aws_lambda, aws_sns as sns,
                     aws_sqs as sqs)
from constructs import Construct


def function_errors_alarm(scope: Construct, construct_id: str, function: aws_lambda.IFunction,
                          topic: sns.ITopic) -> cloudwatch.Alarm:
    """Any invocation error in five minutes (a handler reports each failure once)."""
    alarm = function.metric_errors(period=Duration.minutes(5), statistic="Sum").create_alarm(
        scope, construct_id, threshold=0, evaluation_periods=1,
        alarm_description=f"{construct_id}: the function reported errors",
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING)
    alarm.add_alarm_action(cw_actions.SnsAction(topic))
    return alarm


def dead_letters_alarm(scope: Construct, construct_id: str, queue: sqs.IQueue,
                       topic: sns.ITopic) -> cloudwatch.Alarm:
    """A message in the dead-letter queue: a Bedrock log object was not imported."""
    metric = queue.metric_approximate_number_of_messages_visible(
        period=Duration.minutes(5), statistic="Maximum")
    alarm = metric.create_alarm(
        scope, construct_id, threshold=0, evaluation_periods=1,
        alarm_description="Bedrock log objects failed import 5 times (see the DLQ)",
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING)
    alarm.add_alarm_action(cw_actions.SnsAction(topic))
    return alarm
