"""Synthesizes the app once per test session; every stack test reads that one template."""

import json
import os
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

TEST_CONTEXT = {"p402": {"stage": "test", "alert_emails": ["finops@example.com"],
                         "enable_bedrock_logging": True, "iam_ingest_route": True,
                         "job_schedule": "rate(10 minutes)"}}


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory) -> Path:
    """The template file of the test stage (cdk-nag runs during this synth)."""
    from app import build_app

    outdir = tmp_path_factory.mktemp("cdk.out")
    build_app(outdir=str(outdir), context=TEST_CONTEXT).synth()
    return outdir / "P402-test.template.json"


@pytest.fixture(scope="session")
def template_json(synthesized) -> dict:
    return json.loads(synthesized.read_text())


@pytest.fixture(scope="session")
def template(template_json):
    from aws_cdk.assertions import Template

    return Template.from_json(template_json)


@pytest.fixture
def aws_env(monkeypatch):
    """Fake credentials and region for moto; nothing leaves the process."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
