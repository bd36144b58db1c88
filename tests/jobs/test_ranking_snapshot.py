"""The optimize ranking snapshot: workflows by waste for 24h, 7d, 30d and month to date,
with exact decimal sums that reconcile with the costs of the rows landed."""

from decimal import Decimal

from jobs_fixtures import costing, run


def landed_workload(ledger) -> list[dict]:
    return ledger.land(
        # alpha: a call with 3 attempts at 0.10 (0.20 retry waste) and 0.30 unused context.
        *[costing("0.10", workflow_id="alpha", call_id="a-1", attempt=n,
                  occurred_at=f"2026-11-30T10:00:0{n}Z") for n in (1, 2, 3)],
        costing("1.00", workflow_id="alpha", context_waste_tokens=300_000,
                occurred_at="2026-11-30T10:05:00Z"),
        # beta: a call with 2 attempts at 0.70 (0.70 retry waste).
        *[costing("0.70", workflow_id="beta", call_id="b-1", attempt=n,
                  occurred_at=f"2026-11-30T11:00:0{n}Z") for n in (1, 2)],
        # gamma: the biggest spender, no waste.
        costing("5.00", workflow_id="gamma", occurred_at="2026-11-30T09:00:00Z"),
        # beta six days earlier: in the 7-day window, not in the last 24 hours.
        costing("2.00", workflow_id="beta", occurred_at="2026-11-24T09:00:00Z"),
    )


def test_workflows_are_ranked_by_retry_plus_context_waste(ledger):
    landed_workload(ledger)

    run(ledger, [], "2026-11-30T12:00:00Z")

    day = ledger.snapshots.read("optimize_ranking")["windows"]["24h"]
    assert (day["start"], day["end"]) == ("2026-11-29T12:00:00Z", "2026-11-30T12:00:00Z")
    assert [(w["workflow_id"], w["waste_usd"], w["retry_cost_usd"], w["context_waste_usd"],
             w["spend_usd"], w["events"], w["calls"]) for w in day["workflows"]] == [
        ("beta", "0.7", "0.7", "0", "1.4", 2, 1),
        ("alpha", "0.5", "0.2", "0.3", "1.3", 4, 2),
        ("gamma", "0", "0", "0", "5", 1, 1)]


def test_ranking_sums_reconcile_with_the_costs_of_the_rows_in_each_window(ledger):
    rows = landed_workload(ledger)
    in_day = [r for r in rows if r["occurred_at"] >= "2026-11-29T12:00:00"]

    run(ledger, [], "2026-11-30T12:00:00Z")

    windows = ledger.snapshots.read("optimize_ranking")["windows"]
    for name, expected_rows in (("24h", in_day), ("7d", rows), ("30d", rows), ("mtd", rows)):
        spend = sum(Decimal(w["spend_usd"]) for w in windows[name]["workflows"])
        assert spend == sum(Decimal(r["cost_usd"]) for r in expected_rows), name
    assert sum(Decimal(w["spend_usd"]) for w in windows["7d"]["workflows"]) == Decimal("9.70")


def test_the_month_to_date_window_starts_on_the_first_of_the_month(ledger):
    ledger.land(costing("3", workflow_id="alpha", occurred_at="2026-10-31T23:00:00Z"),
                costing("4", workflow_id="alpha", occurred_at="2026-11-01T01:00:00Z"))

    report = run(ledger, [], "2026-11-01T02:00:00Z")

    windows = ledger.snapshots.read("optimize_ranking")["windows"]
    assert windows["mtd"]["start"] == "2026-11-01T00:00:00Z"
    assert [w["spend_usd"] for w in windows["mtd"]["workflows"]] == ["4"]
    assert [w["spend_usd"] for w in windows["24h"]["workflows"]] == ["7"]
    assert report.ranked_workflows == {"24h": 1, "7d": 1, "30d": 1, "mtd": 1}
