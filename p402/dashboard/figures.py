"""The figures each page shows, read through the ledger's saved queries or the jobs' snapshots.

Money stays Decimal here (the pages round it for display only); a snapshot's decimal text
and Athena's text cells become Decimal the same way DuckDB's values do.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from p402.dashboard.engines import DONE, Answer, DashboardLedger
from p402.ledger import saved_query, window_params
from p402.ports import SnapshotStore

WINDOWS = ("24h", "7d", "30d", "mtd")
DEFAULT_WINDOW = "7d"
_LENGTHS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
RANKING_SNAPSHOT = "optimize_ranking"  # written by p402.jobs
BUDGET_STATES_SNAPSHOT = "budget_states"  # written by p402.jobs
LIVE, SNAPSHOT = "ledger", "snapshot"


@dataclass
class FigureSources:
    """The ledger engine, the jobs' snapshots, and how old a snapshot may be to be shown."""

    ledger: DashboardLedger
    snapshots: SnapshotStore | None = None
    snapshot_max_age: timedelta = timedelta(minutes=15)
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)


@dataclass
class Ranking:
    """The optimize ranking of one window, and where it came from."""

    window: str
    start: datetime
    end: datetime
    answer: Answer
    source: str = LIVE
    totals: dict[str, Decimal] = field(default_factory=dict)


def window_range(window: str, now: datetime) -> tuple[datetime, datetime]:
    """[start, end) of a named window ending now; `mtd` starts at midnight on the 1st, UTC.

    The end is rounded up to the next whole minute: an event of the current minute belongs in
    the window, and every page view within one minute asks the same query (which the local
    engine answers from its cache until the ledger changes).
    """
    moment = now.astimezone(UTC)
    end = moment.replace(second=0, microsecond=0)
    end += timedelta(minutes=1 if moment != end else 0)
    if window == "mtd":
        return end.replace(day=1, hour=0, minute=0, second=0), end
    return end - _LENGTHS[window], end


def ranking(sources: FigureSources, window: str, live: bool = False) -> Ranking:
    """The jobs' snapshot of the ranking when it is current, else the ledger's answer now."""
    now = sources.clock()
    snapshot = None if live else _current_snapshot(sources, window, now)
    if snapshot is not None:
        start, end = _time(snapshot["start"]), _time(snapshot["end"])
        rows = [_typed(row) for row in snapshot.get("workflows", [])]
        return _totalled(Ranking(window, start, end, Answer(DONE, rows), SNAPSHOT))

    start, end = window_range(window, now)
    answer = sources.ledger.ask(saved_query("optimize_ranking"), window_params(start, end))
    answer = Answer(answer.state, [_typed(r) for r in answer.rows], answer.reason)
    return _totalled(Ranking(window, start, end, answer, LIVE))


def trends(sources: FigureSources, start: datetime, end: datetime) -> Answer:
    """Spend and waste by workflow and time bucket (hours for a day, else days)."""
    name = "workflow_hourly_waste" if end - start <= timedelta(days=1) else "workflow_daily_waste"
    answer = sources.ledger.ask(saved_query(name), window_params(start, end))
    return Answer(answer.state, [_typed(r) for r in answer.rows], answer.reason)


WORKFLOW_QUERIES = ("workflow_models", "workflow_retried_calls", "workflow_context_waste")


def workflow_params(workflow_id: str, start: datetime, end: datetime) -> dict[str, str]:
    return {**window_params(start, end), "workflow_id": workflow_id}


def workflow_detail(sources: FigureSources, workflow_id: str, start: datetime,
                    end: datetime) -> dict[str, Answer]:
    """The models, retried calls and costliest context waste of one workflow."""
    params = workflow_params(workflow_id, start, end)
    answers = {}
    for name in WORKFLOW_QUERIES:
        answer = sources.ledger.ask(saved_query(name), params)
        answers[name] = Answer(answer.state, [_typed(r) for r in answer.rows], answer.reason)
    return answers


def spend_by(sources: FigureSources, group_by: str, start: datetime, end: datetime) -> Answer:
    """Spend by day and by one attribution column (the saved query spend_by)."""
    sql = saved_query("spend_by", group_by=group_by, period="day")
    answer = sources.ledger.ask(sql, window_params(start, end))
    return Answer(answer.state, [_typed(r) for r in answer.rows], answer.reason)


def unpriced_models(sources: FigureSources, start: datetime, end: datetime) -> Answer:
    answer = sources.ledger.ask(saved_query("unpriced_models"), window_params(start, end))
    return Answer(answer.state, [_typed(r) for r in answer.rows], answer.reason)


def budget_states(sources: FigureSources) -> list[dict[str, Any]] | None:
    """Each budget's latest evaluation by the jobs, by id; None before the first run."""
    document = sources.snapshots.read(BUDGET_STATES_SNAPSHOT) if sources.snapshots else None
    if not isinstance(document, dict):
        return None
    return [{"budget_id": budget_id, **_typed(state)}
            for budget_id, state in sorted(document.items()) if isinstance(state, dict)]


def _current_snapshot(sources: FigureSources, window: str, now: datetime) -> dict | None:
    """The snapshot's window when no event landed since it was made and it is young enough."""
    document = sources.snapshots.read(RANKING_SNAPSHOT) if sources.snapshots else None
    if not isinstance(document, dict):
        return None
    part = (document.get("windows") or {}).get(window)
    generated = _time(document.get("generated_at"))
    if not part or generated is None or now - generated > sources.snapshot_max_age:
        return None

    changed = sources.ledger.changed_at()
    if changed is not None and changed > generated.timestamp():
        return None
    return part


def _totalled(ranking: Ranking) -> Ranking:
    keys = ("waste_usd", "retry_cost_usd", "context_waste_usd", "spend_usd",
            "cache_savings_usd")
    ranking.totals = {k: sum((r.get(k) or Decimal(0) for r in ranking.answer.rows),
                             Decimal(0)) for k in keys}
    return ranking


def _typed(row: dict[str, Any]) -> dict[str, Any]:
    """Money as Decimal, rates as float, times as aware datetimes, whatever the source."""
    out = {}
    for key, value in row.items():
        if value is not None and (key.endswith("_usd")):
            value = Decimal(str(value))
        elif value is not None and key.endswith("_rate"):
            value = float(value)
        elif isinstance(value, datetime):
            value = value.replace(tzinfo=UTC) if value.tzinfo is None else value
        out[key] = value
    return out


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
