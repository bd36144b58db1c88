"""The scheduled job over the ports: rank waste, evaluate budgets, alert once, stamp events.

The same code runs locally (DuckDB, files) and on AWS (Athena, SNS, DynamoDB, S3). It
writes two snapshots through the SnapshotStore:

- `optimize_ranking`: {"generated_at", "windows": {"24h"|"7d"|"30d"|"mtd":
  {"start", "end", "workflows": [rows of optimize_ranking.sql]}}}, money as decimal text.
- `budget_states`: {budget id: {"state", "spend_usd", "limit_usd", "forecast_usd",
  "percent_used", "period", "period_start", "period_end", "evaluated_at"}}, read by ingest
  to stamp each event with the budget that covers it (see `stamp_budget`).

An alert is claimed in AlertState before it is published, so a second run in the same period
never repeats it (and an alert whose publish fails is not retried: at most once).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from p402.budgets import Budget, Evaluation, evaluate, most_specific_first, period_bounds
from p402.ledger import saved_query, window_params
from p402.ports import AlertPublisher, AlertState, LedgerEngine, SnapshotStore
from p402.schema import to_money

RANKING_SNAPSHOT = "optimize_ranking"
BUDGET_STATES_SNAPSHOT = "budget_states"
RANKING_WINDOWS = {"24h": timedelta(hours=24), "7d": timedelta(days=7),
                   "30d": timedelta(days=30), "mtd": None}
UNKNOWN_STATE = "within"


@dataclass(frozen=True)
class StormRule:
    """A retry storm: retry waste in the last `window` at least `min_retry_usd` and at least
    `ratio` times the workflow's usual waste for that long, judged over the `baseline`."""

    window: timedelta = timedelta(minutes=15)
    baseline: timedelta = timedelta(hours=24)
    ratio: Decimal = Decimal(5)
    min_retry_usd: Decimal = Decimal("1.00")


@dataclass
class JobReport:
    """What one run did: windows ranked, budgets evaluated, alerts published."""

    now: datetime
    ranked_workflows: dict[str, int] = field(default_factory=dict)
    evaluations: list[Evaluation] = field(default_factory=list)
    storms: int = 0
    alerts: list[dict[str, Any]] = field(default_factory=list)
    repeats_skipped: int = 0

    def summary(self) -> str:
        states = [e.state for e in self.evaluations]
        counts = ", ".join(f"{states.count(s)} {s}" for s in ("within", "warn", "over"))
        ranked = self.ranked_workflows.get("24h", 0)
        return (f"jobs at {_iso(self.now)}: {ranked} workflows ranked (24h); "
                f"{len(self.evaluations)} budgets ({counts}); {self.storms} retry storms; "
                f"{len(self.alerts)} alerts published, {self.repeats_skipped} already sent")


def run_jobs(engine: LedgerEngine, budgets: Sequence[Budget], now: datetime,
             publisher: AlertPublisher, state: AlertState, snapshots: SnapshotStore,
             storm_rule: StormRule = StormRule()) -> JobReport:
    """One run of the scheduled job, as of `now`."""
    now = _utc(now)
    report = JobReport(now=now)

    ranking = rank_workflows(engine, now)
    snapshots.write(RANKING_SNAPSHOT, ranking)
    windows = ranking["windows"].items()
    report.ranked_workflows = {name: len(window["workflows"]) for name, window in windows}

    report.evaluations = [evaluate(b, budget_spend(engine, b, now), now) for b in budgets]
    snapshots.write(BUDGET_STATES_SNAPSHOT, budget_states(report.evaluations, now))

    storms = find_retry_storms(engine, now, storm_rule)
    report.storms = len(storms)

    candidates = [*budget_alerts(report.evaluations), *storm_alerts(storms, now, storm_rule)]
    for key, alert in candidates:
        if not state.claim(key):
            report.repeats_skipped += 1
            continue
        publisher.publish(alert)
        report.alerts.append(alert)
    return report


# Ledger reads ---------------------------------------------------------------------------

def rank_workflows(engine: LedgerEngine, now: datetime) -> dict[str, Any]:
    """The optimize ranking for each window ending now."""
    windows = {}
    for name, length in RANKING_WINDOWS.items():
        start = period_bounds("month", now)[0] if length is None else now - length
        rows = engine.query(saved_query("optimize_ranking"), window_params(start, now))
        windows[name] = {"start": _iso(start), "end": _iso(now),
                         "workflows": [_plain(row) for row in rows]}
    return {"generated_at": _iso(now), "windows": windows}


def budget_spend(engine: LedgerEngine, budget: Budget, now: datetime) -> Decimal:
    """The budget's spend from the start of its period up to now."""
    start, _ = period_bounds(budget.period, now)
    params = window_params(start, now)
    if budget.scope_column is None:
        rows = engine.query(saved_query("budget_spend_all"), params)
    else:
        sql = saved_query("budget_spend", scope_column=budget.scope_column)
        rows = engine.query(sql, {**params, "scope_value": budget.scope_value})
    return _decimal(rows[0]["spend_usd"]) if rows else Decimal(0)


@dataclass(frozen=True)
class RetryStorm:
    workflow_id: str
    window_start: datetime
    window_end: datetime
    retries: int
    retry_usd: Decimal
    baseline_retry_usd: Decimal


def find_retry_storms(engine: LedgerEngine, now: datetime, rule: StormRule
                      ) -> list[RetryStorm]:
    """Workflows whose retry waste in the window ending now is far above their usual."""
    start = now - rule.window
    params = window_params(start - rule.baseline, now)
    params.update(baseline_start=params["window_start"],
                  window_start=window_params(start, now)["window_start"],
                  ratio=str(rule.ratio), min_retry_usd=str(rule.min_retry_usd),
                  window_minutes=str(rule.window / timedelta(minutes=1)),
                  baseline_minutes=str(rule.baseline / timedelta(minutes=1)))

    rows = engine.query(saved_query("retry_storms"), params)
    return [RetryStorm(workflow_id=row["workflow_id"], window_start=start, window_end=now,
                       retries=int(row["window_retries"]),
                       retry_usd=_decimal(row["window_retry_usd"]),
                       baseline_retry_usd=_decimal(row["baseline_retry_usd"]))
            for row in rows]


# Snapshots and alerts -------------------------------------------------------------------

def budget_states(evaluations: Sequence[Evaluation], now: datetime) -> dict[str, Any]:
    """The budget_states snapshot: each budget's latest standing, by id."""
    return {e.budget.id: {
        "state": e.state,
        "spend_usd": money_text(e.spend_usd),
        "limit_usd": money_text(e.budget.limit_usd),
        "forecast_usd": money_text(e.forecast_usd),
        "percent_used": str(e.percent_used),
        "period": e.budget.period,
        "period_start": _iso(e.period_start),
        "period_end": _iso(e.period_end),
        "evaluated_at": _iso(now),
    } for e in evaluations}


def budget_alerts(evaluations: Sequence[Evaluation]) -> list[tuple[str, dict[str, Any]]]:
    """(claim key, alert) for every crossed threshold and every forecast over the limit."""
    alerts = []
    for e in evaluations:
        period = f"budget:{e.budget.id}:{e.budget.period}:{_iso(e.period_start)}"
        for threshold in e.crossed:
            alerts.append((f"{period}:threshold:{_number(threshold)}",
                           _threshold_alert(e, threshold)))
        if e.budget.forecast and e.forecast_over:
            alerts.append((f"{period}:forecast", _forecast_alert(e)))
    return alerts


def _threshold_alert(e: Evaluation, threshold: Decimal) -> dict[str, Any]:
    severity = "critical" if threshold >= 100 else "warning" if threshold >= 80 else "info"
    message = (f"Budget {e.budget.id} ({e.budget.scope_text()}, {e.budget.period} from "
               f"{e.period_start:%Y-%m-%d}): spend {_usd(e.spend_usd)} is {e.percent_used}% "
               f"of the {_usd(e.budget.limit_usd)} limit, past the {_number(threshold)}% "
               "threshold.")
    return _budget_alert("budget_threshold", e, _number(threshold), severity, message)


def _forecast_alert(e: Evaluation) -> dict[str, Any]:
    message = (f"Budget {e.budget.id} ({e.budget.scope_text()}, {e.budget.period} from "
               f"{e.period_start:%Y-%m-%d}): at this rate spend reaches "
               f"{_usd(e.forecast_usd)} by {e.period_end:%Y-%m-%d %H:%M} UTC, over the "
               f"{_usd(e.budget.limit_usd)} limit ({_usd(e.spend_usd)} so far).")
    alert = _budget_alert("budget_forecast", e, None, "warning", message)
    return {**alert, "forecast_usd": money_text(e.forecast_usd)}


def _budget_alert(kind: str, e: Evaluation, threshold: str | None, severity: str,
                  message: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "budget_id": e.budget.id,
        "scope": e.budget.scope,
        "period": e.budget.period,
        "threshold": threshold,
        "period_start": _iso(e.period_start),
        "period_end": _iso(e.period_end),
        "spend_usd": money_text(e.spend_usd),
        "limit_usd": money_text(e.budget.limit_usd),
        "percent_used": str(e.percent_used),
        "state": e.state,
        "owner": e.budget.owner,
        "notify": list(e.budget.notify),
        "severity": severity,
        "message": message,
    }


def storm_alerts(storms: Sequence[RetryStorm], now: datetime, rule: StormRule
                 ) -> list[tuple[str, dict[str, Any]]]:
    """One alert per workflow and window slot: a storm that lasts alerts once a window."""
    slot = _slot_start(now, rule.window)
    return [(f"retry_storm:{s.workflow_id}:{_iso(slot)}", _storm_alert(s, slot, rule))
            for s in storms]


def _storm_alert(storm: RetryStorm, slot: datetime, rule: StormRule) -> dict[str, Any]:
    minutes = _number(Decimal(rule.window / timedelta(minutes=1)))
    usual = storm.baseline_retry_usd * Decimal(rule.window / rule.baseline)
    message = (f"Retry storm in workflow {storm.workflow_id}: {storm.retries} retried "
               f"attempts wasted {_usd(storm.retry_usd)} in the last {minutes} minutes, against "
               f"{_usd(usual)} usual for that long over the previous day.")
    return {
        "kind": "retry_storm",
        "budget_id": None,
        "workflow_id": storm.workflow_id,
        "threshold": None,
        "period_start": _iso(slot),
        "window_start": _iso(storm.window_start),
        "window_end": _iso(storm.window_end),
        "spend_usd": money_text(storm.retry_usd),
        "limit_usd": None,
        "usual_retry_usd": money_text(to_money(usual)),
        "owner": None,
        "notify": [],
        "severity": "warning",
        "message": message,
    }


# Stamping at ingest ---------------------------------------------------------------------

def stamp_budget(row: dict[str, Any], states: Mapping[str, Any] | None,
                 budgets: Sequence[Budget]) -> dict[str, Any]:
    """Sets budget_id and policy_decision on an ingested row, unless the client sent them.

    The budget is the most specific one whose scope covers the row ("all" last); the
    decision is that budget's latest state, or "within" when it was not evaluated yet or
    the state is from an earlier period than the row.
    """
    if row.get("policy_decision"):
        return row
    budget_id = row.get("budget_id") or _covering_budget(row, budgets)
    if budget_id is None:
        return row
    row["budget_id"] = budget_id
    row["policy_decision"] = _decision(budget_id, (states or {}).get(budget_id), row)
    return row


def _covering_budget(row: Mapping[str, Any], budgets: Sequence[Budget]) -> str | None:
    return next((b.id for b in most_specific_first(budgets) if b.covers(row)), None)


def _decision(budget_id: str, state: Mapping[str, Any] | None, row: Mapping[str, Any]) -> str:
    if not isinstance(state, Mapping) or state.get("state") not in ("within", "warn", "over"):
        return UNKNOWN_STATE
    occurred = _parse_time(row.get("occurred_at"))
    period_end = _parse_time(state.get("period_end"))
    if occurred and period_end and occurred >= period_end:
        return UNKNOWN_STATE
    return state["state"]


class SnapshotBudgetStamp:
    """An ingest Stamp over any SnapshotStore: the budget_states snapshot is read again at
    most every `max_age_seconds` (the jobs rewrite it on their schedule), so ingest costs
    one snapshot read per Lambda container per interval, not one per event."""

    def __init__(self, store: SnapshotStore, budgets: Sequence[Budget],
                 max_age_seconds: float, clock):
        self.budgets = list(budgets)
        self._store = store
        self._max_age = max_age_seconds
        self._clock = clock
        self._states: dict[str, Any] = {}
        self._read_at: float | None = None

    def __call__(self, row: dict[str, Any]) -> None:
        if self.budgets:
            stamp_budget(row, self._latest_states(), self.budgets)

    def _latest_states(self) -> dict[str, Any]:
        now = self._clock()
        if self._read_at is None or now - self._read_at >= self._max_age:
            self._states = self._store.read(BUDGET_STATES_SNAPSHOT) or {}
            self._read_at = now
        return self._states


# Small conversions ----------------------------------------------------------------------

def money_text(amount: Decimal | None) -> str | None:
    """Money as exact decimal text without trailing zeros ("12.5", "0.000125")."""
    if amount is None:
        return None
    return format(to_money(amount).normalize(), "f")


def _decimal(value: Any) -> Decimal:
    return Decimal(0) if value is None else Decimal(str(value))


def _plain(row: Mapping[str, Any]) -> dict[str, Any]:
    """A ranking row as JSON-ready values, whichever engine typed it (DuckDB gives numbers,
    Athena text): money as exact decimal text, counts as integers, rates as floats."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if value is None or key == "workflow_id":
            out[key] = value
        elif key.endswith("_usd"):
            out[key] = money_text(_decimal(value))
        elif key in ("events", "calls"):
            out[key] = int(value)
        elif key.endswith("_rate"):
            out[key] = float(value)
        else:
            out[key] = _iso(value) if isinstance(value, datetime) else value
    return out


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _usd(amount: Decimal | None) -> str:
    if amount is None:
        return "$?"
    places = Decimal("0.01") if abs(amount) >= 1 else Decimal("0.0001")
    return f"${amount.quantize(places):,}"


def _iso(moment: datetime) -> str:
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return _utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return None


def _slot_start(now: datetime, window: timedelta) -> datetime:
    """The start of the window-long slot that holds `now`, slots counted from midnight UTC."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    slots = (now - midnight) // window
    return midnight + slots * window
