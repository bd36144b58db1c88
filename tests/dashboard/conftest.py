"""Fixtures: one `p402 serve` with the sample workload and a known retry storm, browsed once."""

import os
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from dashboard_servers import ARTIFACTS, ROOT, STORM, DashboardServer, browse



def storm_events(now: datetime) -> tuple[list[dict], list[str]]:
    """Three calls of the storm workflow: two failed attempts then a success, each."""
    calls = [f"storm-call-{n}-{uuid.uuid4().hex[:6]}" for n in range(3)]
    events = []
    for index, call in enumerate(calls):
        for attempt in (1, 2, 3):
            moment = now - timedelta(minutes=30 - index * 5 - attempt)
            events.append({
                "event_id": f"{call}-a{attempt}", "provider": "openai", "model": "gpt-4o",
                "call_id": call, "attempt": attempt, "workflow_id": STORM,
                "outcome": "success" if attempt == 3 else "rate_limited",
                "occurred_at": moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "usage": {"prompt_tokens": 20000 + index * 1000, "completion_tokens": 500,
                          "total_tokens": 20500 + index * 1000}})
    return events, calls


@pytest.fixture(scope="session")
def dashboard(tmp_path_factory):
    server = DashboardServer(tmp_path_factory.mktemp("dashboard") / "data", sample=True).start()
    events, calls = storm_events(datetime.now(UTC))
    assert server.post(events)["accepted"] == len(events)
    server.calls = calls
    _wait_landed(server, len(events))
    server.run_jobs()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browsed(dashboard):
    """What headless chromium saw on one signed-in tour of the dashboard."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    readme = ROOT / "docs" / "optimize.png" if os.environ.get("P402_README_SHOT") else None
    return browse("flow", {"base": dashboard.url, "key": dashboard.key, "workflow": STORM,
                           "artifacts": str(ARTIFACTS), "readme": str(readme or "")})


def _wait_landed(server: DashboardServer, count: int) -> None:
    sql = f"SELECT count(*) AS n FROM ai_economic_events WHERE workflow_id = '{STORM}'"
    deadline = time.monotonic() + 20
    while server.query(sql)[0]["n"] < count and time.monotonic() < deadline:
        time.sleep(0.3)
