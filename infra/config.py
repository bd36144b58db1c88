"""The deployment's settings, read once from cdk.json context (key `p402`) or a JSON file."""

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

CONTEXT_KEY = "p402"
CONFIG_FILE_CONTEXT_KEY = "p402:config"


@dataclass(frozen=True)
class DeployConfig:
    """Everything a deployment may change; the defaults suit a first try."""

    stage: str = "dev"
    budgets_file: str = "budgets.yaml"
    alert_emails: tuple[str, ...] = ()
    bedrock_log_bucket: str | None = None
    bedrock_log_prefix: str = ""
    enable_bedrock_logging: bool = False
    iam_ingest_route: bool = False
    job_schedule: str = "rate(15 minutes)"
    log_retention_days: int = 30
    ledger_retention_days: int = 0
    firehose_error_days: int = 30
    athena_results_days: int = 7
    access_log_days: int = 90
    athena_bytes_scanned_cutoff: int = 10 * 1024**3
    ingest_rate_limit: int = 2000
    ingest_burst_limit: int = 5000
    authorizer_cache_seconds: int = 300
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        return f"p402-{self.stage}"


def load_config(context: dict[str, Any] | None, config_file: str | None = None) -> DeployConfig:
    """Merge the context dict and an optional JSON file (the file wins) into one config."""
    values = dict(context or {})

    if config_file:
        values.update(json.loads(Path(config_file).read_text()))

    known = {f.name for f in fields(DeployConfig)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"p402 config: unknown settings {unknown}, "
                         f"expected some of {sorted(known)}")

    if "alert_emails" in values:
        values["alert_emails"] = tuple(values["alert_emails"])
    return DeployConfig(**values)


def read_budgets(path: Path) -> list[Any]:
    """The budgets file as plain data (YAML or JSON); an absent file means no budgets."""
    if not path.exists():
        return []

    document = yaml.safe_load(path.read_text()) or []
    if isinstance(document, dict):
        document = document.get("budgets", [])
    if not isinstance(document, list):
        raise ValueError(f"budgets file {path}: got {type(document).__name__}, expected a list")
    return document
