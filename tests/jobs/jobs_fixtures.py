"""Helpers of tests/jobs: real rows in a temporary local lake, read back through the real
ledger SQL on DuckDB. (A module of its own name: every test folder has a conftest.)

Prices come from a small override (1 USD per million input tokens, 2 per million output
tokens), so every cost below is exact: 250_000 input tokens cost 0.25 USD.
"""

import json
from datetime import UTC, datetime
from decimal import Decimal

from p402.adapters.duckdb_ledger import DuckLedger
from p402.adapters.local_alerts import LocalAlertPublisher, LocalAlertState, LocalSnapshotStore
from p402.adapters.local_lake import LocalLake
from p402.events import build_row
from p402.pricing import PriceBook, load_price_file

MODEL = "p402-test-model"
PRICES = json.dumps([{"provider": "openai", "model": MODEL, "input": 1, "output": 2}])
RECEIVED_AT = datetime(2027, 1, 1, tzinfo=UTC)
TOKENS_PER_DOLLAR = 1_000_000


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def costing(usd: str, **fields) -> dict:
    """An event whose cost_usd is exactly `usd` (input tokens at 1 USD per million)."""
    tokens = int(Decimal(usd) * TOKENS_PER_DOLLAR)
    event = {"provider": "openai", "model": MODEL, "workflow_id": "wf-default",
             "tokens": {"input_tokens": tokens, "output_tokens": 0}}
    event.update(fields)
    return event


class Ledger:
    """A data dir with its lake, its DuckDB ledger and the jobs' local adapters."""

    def __init__(self, data_dir):
        self.data_dir = data_dir
        self.lake = LocalLake(data_dir)
        self.engine = DuckLedger(data_dir)
        self.prices = PriceBook(*load_price_file(PRICES))
        self.state = LocalAlertState(data_dir)
        self.snapshots = LocalSnapshotStore(data_dir)

    def land(self, *events: dict) -> list[dict]:
        rows = [build_row(e, self.prices, RECEIVED_AT) for e in events]
        self.lake.put(rows)
        self.lake.flush()
        return rows

    def publisher(self, stream) -> LocalAlertPublisher:
        return LocalAlertPublisher(self.data_dir, stream)

    def alerts_file(self) -> list[dict]:
        path = self.data_dir / "alerts.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines()]


def run(ledger: Ledger, budgets, now: str, **options):
    """One run of the jobs as of `now`, alerts to a throwaway stream and alerts.jsonl."""
    import io

    from p402.jobs import run_jobs

    return run_jobs(ledger.engine, budgets, utc(now), ledger.publisher(io.StringIO()),
                    ledger.state, ledger.snapshots, **options)
