"""Budgets evaluated from real rows through the ledger SQL: alerts once per budget,
threshold and period; scopes by workflow, customer and everything; period boundaries."""

from decimal import Decimal

from jobs_fixtures import costing, run

from p402.budgets import Budget


def budget(**fields) -> Budget:
    base = {"id": "ticket-budget", "scope": {"workflow_id": "ticket-summary"},
            "period": "month", "limit_usd": "0.01", "owner": "support-team",
            "notify": ["ops@example.com"]}
    return Budget.model_validate({**base, **fields})


def test_a_far_exceeded_budget_alerts_at_each_threshold_once_in_its_period(ledger):
    ledger.land(costing("0.75", workflow_id="ticket-summary", occurred_at="2026-11-30T10:00:00Z"))

    first = run(ledger, [budget()], "2026-11-30T23:00:00Z")
    second = run(ledger, [budget()], "2026-11-30T23:30:00Z")

    assert [(a["kind"], a["threshold"], a["severity"]) for a in first.alerts] == [
        ("budget_threshold", "50", "info"), ("budget_threshold", "80", "warning"),
        ("budget_threshold", "100", "critical")]
    assert (second.alerts, second.repeats_skipped) == ([], 3)
    assert ledger.alerts_file() == first.alerts


def test_a_threshold_alert_carries_money_as_decimal_text_and_says_it_in_plain_english(ledger):
    ledger.land(costing("0.75", workflow_id="ticket-summary", occurred_at="2026-11-30T10:00:00Z"))

    alert = run(ledger, [budget()], "2026-11-30T23:00:00Z").alerts[-1]

    assert {k: alert[k] for k in ("budget_id", "threshold", "period_start", "spend_usd",
                                  "limit_usd", "owner", "notify", "state")} == {
        "budget_id": "ticket-budget", "threshold": "100",
        "period_start": "2026-11-01T00:00:00Z", "spend_usd": "0.75", "limit_usd": "0.01",
        "owner": "support-team", "notify": ["ops@example.com"], "state": "over"}
    assert alert["message"] == (
        "Budget ticket-budget (workflow_id = ticket-summary, month from 2026-11-01): spend "
        "$0.7500 is 7500.00% of the $0.0100 limit, past the 100% threshold.")


def test_the_same_budget_alerts_again_in_the_next_period(ledger):
    ledger.land(costing("0.75", workflow_id="ticket-summary", occurred_at="2026-11-30T10:00:00Z"),
                costing("0.02", workflow_id="ticket-summary", occurred_at="2026-12-01T00:10:00Z"))

    november = run(ledger, [budget()], "2026-11-30T23:00:00Z")
    december = run(ledger, [budget()], "2026-12-01T01:00:00Z")

    assert len(november.alerts) == 3
    assert [(a["threshold"], a["period_start"], a["spend_usd"]) for a in december.alerts] == [
        ("50", "2026-12-01T00:00:00Z", "0.02"), ("80", "2026-12-01T00:00:00Z", "0.02"),
        ("100", "2026-12-01T00:00:00Z", "0.02")]


def test_a_threshold_crossed_later_in_the_period_alerts_then_and_only_then(ledger):
    ledger.land(costing("0.006", workflow_id="ticket-summary",
                        occurred_at="2026-11-10T10:00:00Z"))
    early = run(ledger, [budget()], "2026-11-10T12:00:00Z")

    ledger.land(costing("0.003", workflow_id="ticket-summary",
                        occurred_at="2026-11-11T10:00:00Z"))
    later = run(ledger, [budget()], "2026-11-11T12:00:00Z")

    assert [a["threshold"] for a in early.alerts] == ["50"]
    assert [(a["threshold"], a["spend_usd"]) for a in later.alerts] == [("80", "0.009")]


def test_a_forecast_over_the_limit_alerts_once_per_period(ledger):
    # 10 of 30 days gone, 40 USD spent: 120 USD projected against a 100 USD limit.
    ledger.land(costing("40", workflow_id="ticket-summary", occurred_at="2026-11-05T10:00:00Z"))
    forecasting = budget(limit_usd="100", forecast=True)

    first = run(ledger, [forecasting], "2026-11-11T00:00:00Z")
    second = run(ledger, [forecasting], "2026-11-12T00:00:00Z")

    assert [(a["kind"], a["forecast_usd"], a["severity"]) for a in first.alerts] == [
        ("budget_forecast", "120", "warning")]
    assert second.alerts == []
    assert first.alerts[0]["message"] == (
        "Budget ticket-budget (workflow_id = ticket-summary, month from 2026-11-01): at this "
        "rate spend reaches $120.00 by 2026-12-01 00:00 UTC, over the $100.00 limit "
        "($40.00 so far).")


def test_no_forecast_alert_without_forecast_on(ledger):
    ledger.land(costing("40", workflow_id="ticket-summary", occurred_at="2026-11-05T10:00:00Z"))

    report = run(ledger, [budget(limit_usd="100")], "2026-11-11T00:00:00Z")

    assert (report.alerts, report.evaluations[0].state) == ([], "within")


def test_scopes_count_only_their_own_spend(ledger):
    ledger.land(
        costing("1.25", workflow_id="ticket-summary", customer_id="acme",
                occurred_at="2026-11-30T09:00:00Z"),
        costing("2.50", workflow_id="search", customer_id="acme",
                occurred_at="2026-11-30T09:30:00Z"),
        costing("4.00", workflow_id="search", customer_id="globex",
                occurred_at="2026-11-30T10:00:00Z"))
    budgets = [budget(id="by-workflow"),
               budget(id="by-customer", scope={"customer_id": "acme"}),
               budget(id="everything", scope="all")]

    report = run(ledger, budgets, "2026-11-30T12:00:00Z")

    assert {e.budget.id: e.spend_usd for e in report.evaluations} == {
        "by-workflow": Decimal("1.25"), "by-customer": Decimal("3.75"),
        "everything": Decimal("7.75")}


def test_a_week_starts_on_monday_at_midnight_utc(ledger):
    ledger.land(
        costing("3", workflow_id="ticket-summary", occurred_at="2026-11-29T23:59:59Z"),  # Sun
        costing("2", workflow_id="ticket-summary", occurred_at="2026-11-30T00:00:00Z"),  # Mon
        costing("1", workflow_id="ticket-summary", occurred_at="2026-12-02T08:00:00Z"))

    report = run(ledger, [budget(period="week", limit_usd="100")], "2026-12-02T12:00:00Z")

    assert report.evaluations[0].spend_usd == Decimal(3)
    assert report.evaluations[0].period_start.isoformat() == "2026-11-30T00:00:00+00:00"


def test_a_month_holds_its_first_and_last_second_and_nothing_after_now(ledger):
    ledger.land(
        costing("5", workflow_id="ticket-summary", occurred_at="2026-10-31T23:59:59Z"),
        costing("7", workflow_id="ticket-summary", occurred_at="2026-11-01T00:00:00Z"),
        costing("11", workflow_id="ticket-summary", occurred_at="2026-11-30T23:59:58Z"),
        costing("13", workflow_id="ticket-summary", occurred_at="2026-12-01T00:00:00Z"))

    mid = run(ledger, [budget(limit_usd="1000")], "2026-11-15T00:00:00Z")
    last = run(ledger, [budget(limit_usd="1000")], "2026-11-30T23:59:59Z")
    next_month = run(ledger, [budget(limit_usd="1000")], "2026-12-01T00:00:01Z")

    assert mid.evaluations[0].spend_usd == Decimal(7)
    assert last.evaluations[0].spend_usd == Decimal(18)
    assert next_month.evaluations[0].spend_usd == Decimal(13)


def test_a_day_budget_counts_today_only(ledger):
    ledger.land(costing("5", workflow_id="ticket-summary", occurred_at="2026-11-29T22:00:00Z"),
                costing("2", workflow_id="ticket-summary", occurred_at="2026-11-30T01:00:00Z"))

    report = run(ledger, [budget(period="day", limit_usd="10")], "2026-11-30T12:00:00Z")

    assert report.evaluations[0].spend_usd == Decimal(2)


def test_the_budget_states_snapshot_holds_each_budget_latest_standing(ledger):
    ledger.land(costing("0.75", workflow_id="ticket-summary", occurred_at="2026-11-30T10:00:00Z"))

    # 29.5 of 30 days gone: 0.75 x 30 / 29.5 projected, rounded to 12 places.
    run(ledger, [budget(), budget(id="roomy", limit_usd="10")], "2026-11-30T12:00:00Z")

    states = ledger.snapshots.read("budget_states")
    assert states["ticket-budget"] == {
        "state": "over", "spend_usd": "0.75", "limit_usd": "0.01",
        "forecast_usd": "0.762711864407", "percent_used": "7500.00", "period": "month",
        "period_start": "2026-11-01T00:00:00Z", "period_end": "2026-12-01T00:00:00Z",
        "evaluated_at": "2026-11-30T12:00:00Z"}
    assert (states["roomy"]["state"], states["roomy"]["percent_used"]) == ("within", "7.50")
