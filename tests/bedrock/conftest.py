"""Fixtures for the Bedrock log import tests: the bundled log set and its expected totals."""

import json
import shutil
from pathlib import Path

import pytest

from bedrock_fixtures import BEDROCK_SET


@pytest.fixture
def expected() -> dict:
    return json.loads((BEDROCK_SET / "expected.json").read_text())


@pytest.fixture
def canary(expected) -> str:
    return expected["canary"]


@pytest.fixture
def logs(tmp_path) -> Path:
    """A private copy of the bundled logs, laid out as Bedrock writes them to S3."""
    target = tmp_path / "logs"
    shutil.copytree(BEDROCK_SET / "logs", target)
    return target

