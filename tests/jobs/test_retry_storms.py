"""Retry storms: retry waste in the last 15 minutes far above the workflow's usual rate
over the day before, with an absolute floor; one alert per workflow and 15-minute slot."""

from datetime import timedelta
from decimal import Decimal

from jobs_fixtures import costing, run, utc

from p402.jobs import StormRule


def attempts(call_id: str, workflow: str, at: str, count: int, usd: str) -> list[dict]:
    """`count` attempts of one call a second apart; all but the last are retry waste."""
    start = utc(at)
    return [costing(usd, workflow_id=workflow, call_id=call_id, attempt=n + 1,
                    occurred_at=(start + timedelta(seconds=n)).isoformat())
            for n in range(count)]


def storm_day(ledger) -> None:
    events = []
    # storm: 4 calls of 3 attempts at 0.50 in the last 15 minutes = 4.00 retry waste;
    # the day before it wasted 2.40 (0.025 per 15 minutes).
    for n in range(4):
        events += attempts(f"storm-{n}", "storm", f"2026-11-30T11:5{5 + n // 2}:{n}0Z", 3, "0.50")
    events += attempts("storm-old", "storm", "2026-11-30T03:00:00Z", 5, "0.60")
    # steady: 1.50 retry waste now against 96.00 the day before (1.00 per 15 minutes).
    events += attempts("steady-now", "steady", "2026-11-30T11:50:00Z", 4, "0.50")
    events += attempts("steady-old", "steady", "2026-11-30T06:00:00Z", 97, "1.00")
    # small: a burst from nothing, but under the 1.00 floor.
    events += attempts("small-now", "small", "2026-11-30T11:55:00Z", 2, "0.50")
    ledger.land(*events)


def test_a_workflow_retrying_far_above_its_usual_rate_is_a_storm(ledger):
    storm_day(ledger)

    report = run(ledger, [], "2026-11-30T12:00:00Z")

    assert [(a["kind"], a["workflow_id"], a["spend_usd"], a["usual_retry_usd"])
            for a in report.alerts] == [("retry_storm", "storm", "4", "0.025")]
    assert report.alerts[0]["message"] == (
        "Retry storm in workflow storm: 8 retried attempts wasted $4.00 in the last 15 "
        "minutes, against $0.0250 usual for that long over the previous day.")


def test_a_storm_alerts_once_per_workflow_and_fifteen_minute_slot(ledger):
    storm_day(ledger)

    first = run(ledger, [], "2026-11-30T12:00:00Z")
    same_slot = run(ledger, [], "2026-11-30T12:05:00Z")
    ledger.land(*attempts("storm-later", "storm", "2026-11-30T12:10:00Z", 5, "0.50"))
    next_slot = run(ledger, [], "2026-11-30T12:15:00Z")

    assert [a["period_start"] for a in first.alerts] == ["2026-11-30T12:00:00Z"]
    assert (same_slot.storms, same_slot.alerts, same_slot.repeats_skipped) == (1, [], 1)
    assert [(a["period_start"], a["spend_usd"]) for a in next_slot.alerts] == [
        ("2026-11-30T12:15:00Z", "2")]


def test_the_storm_rule_takes_its_ratio_and_floor_as_parameters(ledger):
    storm_day(ledger)
    strict = StormRule(ratio=Decimal("1.2"), min_retry_usd=Decimal("0.40"))

    report = run(ledger, [], "2026-11-30T12:00:00Z", storm_rule=strict)

    assert sorted(a["workflow_id"] for a in report.alerts) == ["small", "steady", "storm"]


def test_retries_older_than_the_window_raise_no_storm(ledger):
    storm_day(ledger)

    report = run(ledger, [], "2026-11-30T12:30:00Z")

    assert report.alerts == []
