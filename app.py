"""The CDK app: one p402 stack, configured from cdk.json context, checked by cdk-nag."""

import json
import os
from pathlib import Path

from aws_cdk import App

from infra.config import CONFIG_FILE_CONTEXT_KEY, CONTEXT_KEY, load_config
from infra.nag import add_security_checks
from infra.stack import P402Stack


def build_app(outdir: str | None = None, context: dict | None = None) -> App:
    """Build (not synthesize) the app; tests call this with their own context."""
    app = App(outdir=outdir, context=cdk_json_context() | (context or {}))
    config = load_config(app.node.try_get_context(CONTEXT_KEY),
                         app.node.try_get_context(CONFIG_FILE_CONTEXT_KEY))

    P402Stack(app, f"P402-{config.stage}", config=config,
              description="p402: the AI economic events ledger")
    add_security_checks(app)
    return app


def cdk_json_context() -> dict:
    """cdk.json's context, so that `python app.py` (without the CDK CLI) sees it too."""
    cdk_json = Path(__file__).resolve().parent / "cdk.json"
    return json.loads(cdk_json.read_text()).get("context", {})


if __name__ == "__main__":
    build_app(outdir=os.environ.get("CDK_OUTDIR")).synth()
