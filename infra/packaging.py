"""Where the Lambda code comes from: the local bundle made by `make bundle`, or a placeholder."""

from pathlib import Path

from aws_cdk import Annotations, aws_lambda
from constructs import Construct

REPO_ROOT = Path(__file__).resolve().parent.parent
BUNDLE_DIR = REPO_ROOT / "build" / "lambda"
BUNDLE_MARKER = BUNDLE_DIR / ".bundle-complete"
PLACEHOLDER_DIR = Path(__file__).resolve().parent / "placeholder_asset"

RUNTIME = aws_lambda.Runtime.PYTHON_3_14
ARCHITECTURE = aws_lambda.Architecture.ARM_64


def bundle_ready() -> bool:
    return BUNDLE_MARKER.exists()


def lambda_code(scope: Construct) -> aws_lambda.Code:
    """The one code asset shared by every function (one upload, several handlers).

    The bundle is built without Docker by `make bundle`. Synth in tests and on a clean
    clone must not need it, so a tiny placeholder stands in when it is absent and synth
    warns that such a template must not be deployed.
    """
    if bundle_ready():
        return aws_lambda.Code.from_asset(str(BUNDLE_DIR))

    Annotations.of(scope).add_warning_v2(
        "p402:PlaceholderLambdaCode",
        "build/lambda is missing: Lambda code is a placeholder; run `make bundle` before deploy",
    )
    return aws_lambda.Code.from_asset(str(PLACEHOLDER_DIR))
