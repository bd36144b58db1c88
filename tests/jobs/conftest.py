"""The `ledger` fixture: a fresh data dir with its lake, ledger and local adapters."""

import pytest
from jobs_fixtures import Ledger


@pytest.fixture
def ledger(tmp_path):
    ledger = Ledger(tmp_path / "data")
    yield ledger
    ledger.engine.close()
