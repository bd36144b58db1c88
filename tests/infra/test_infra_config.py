"""Deployment settings: defaults, file overrides, refusals, and the budgets file."""

import json

import pytest

from infra.config import DeployConfig, load_config, read_budgets


def test_defaults_suit_a_first_deploy():
    config = load_config(None)

    assert config == DeployConfig()
    assert config.prefix == "p402-dev"
    assert config.bedrock_log_bucket is None


def test_a_config_file_overrides_the_context(tmp_path):
    path = tmp_path / "prod.json"
    path.write_text(json.dumps({"stage": "prod", "alert_emails": ["a@example.com"]}))

    config = load_config({"stage": "dev", "log_retention_days": 90}, str(path))

    assert (config.stage, config.alert_emails, config.log_retention_days) == (
        "prod", ("a@example.com",), 90)


def test_an_unknown_setting_is_refused_by_name():
    with pytest.raises(ValueError, match=r"unknown settings \['stgae'\]"):
        load_config({"stgae": "prod"})


def test_budgets_file_yaml_or_absent(tmp_path):
    path = tmp_path / "budgets.yaml"
    path.write_text("budgets:\n  - id: all\n    limit_usd: 100\n")

    assert read_budgets(path) == [{"id": "all", "limit_usd": 100}]
    assert read_budgets(tmp_path / "missing.yaml") == []
