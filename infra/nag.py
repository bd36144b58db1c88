"""cdk-nag wiring: the AWS Solutions pack on the app, and acknowledgments with their reason."""

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct


def add_security_checks(app: App) -> None:
    """Run the AWS Solutions pack at synth; any finding not acknowledged fails synth."""
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Record why `rule` does not apply to `scope` (and what it contains)."""
    Validations.of(scope).acknowledge(Acknowledgment(id=rule, reason=reason))
