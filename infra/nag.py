"""cdk-nag wiring: the AWS Solutions pack on the app, and acknowledgments with their reason."""

from collections.abc import Iterable

from aws_cdk import Acknowledgment, App, CfnResource, Stack, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct


def add_security_checks(app: App) -> None:
    """Run the AWS Solutions pack at synth; any finding not acknowledged fails synth."""
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def acknowledge(scope: IConstruct, rule: str, reason: str,
                findings: Iterable[str] = ()) -> None:
    """Record why `rule` (or only its listed findings) does not apply to `scope` and below.

    Rules that report one finding per wildcard (IAM4, IAM5) need each finding named:
    acknowledging the bare rule does not cover them, which keeps every wildcard deliberate.
    """
    ids = [f"{rule}[{finding}]" for finding in findings] or [rule]
    Validations.of(scope).acknowledge(*(Acknowledgment(id=i, reason=reason) for i in ids))


def arn_of(resource: IConstruct) -> str:
    """How cdk-nag spells the ARN of a resource in a finding: `<LogicalId.Arn>`."""
    cfn = resource.node.default_child if not isinstance(resource, CfnResource) else resource
    return f"<{Stack.of(resource).resolve(cfn.logical_id)}.Arn>"
