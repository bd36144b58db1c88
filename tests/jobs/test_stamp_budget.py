"""Ingest stamps a row with the most specific budget that covers it and that budget's
latest state, unless the client sent its own."""

import pytest
from jobs_fixtures import costing, run

from p402.budgets import Budget
from p402.jobs import stamp_budget

BUDGETS = [
    Budget(id="company", scope="all", period="month", limit_usd="1000"),
    Budget(id="dept-support", scope={"department_id": "support"}, period="month",
           limit_usd="100"),
    Budget(id="wf-tickets", scope={"workflow_id": "tickets"}, period="week", limit_usd="10"),
    Budget(id="cust-acme", scope={"customer_id": "acme"}, period="day", limit_usd="1"),
]
STATES = {
    "company": {"state": "within", "period_end": "2026-12-01T00:00:00Z"},
    "dept-support": {"state": "warn", "period_end": "2026-12-01T00:00:00Z"},
    "wf-tickets": {"state": "over", "period_end": "2026-12-07T00:00:00Z"},
}


def row(**fields) -> dict:
    return {"occurred_at": "2026-11-30T10:00:00.000Z", "budget_id": None,
            "policy_decision": None, **fields}


@pytest.mark.parametrize("fields, budget_id, decision", [
    ({"workflow_id": "tickets", "department_id": "support"}, "wf-tickets", "over"),
    ({"workflow_id": "search", "department_id": "support"}, "dept-support", "warn"),
    ({"workflow_id": "search"}, "company", "within"),
    ({"workflow_id": "tickets", "customer_id": "acme"}, "cust-acme", "within"),  # no state yet
])
def test_the_most_specific_covering_budget_stamps_the_row(fields, budget_id, decision):
    stamped = stamp_budget(row(**fields), STATES, BUDGETS)

    assert (stamped["budget_id"], stamped["policy_decision"]) == (budget_id, decision)


def test_a_client_sent_decision_is_kept_as_sent():
    sent = row(workflow_id="tickets", budget_id="their-own", policy_decision="within")

    assert stamp_budget(dict(sent), STATES, BUDGETS) == sent


def test_a_client_sent_budget_gets_that_budget_state():
    stamped = stamp_budget(row(workflow_id="search", budget_id="wf-tickets"), STATES, BUDGETS)

    assert (stamped["budget_id"], stamped["policy_decision"]) == ("wf-tickets", "over")


def test_a_state_from_an_earlier_period_stamps_within():
    december = row(workflow_id="tickets", occurred_at="2026-12-07T00:00:00.000Z")

    assert stamp_budget(december, STATES, BUDGETS)["policy_decision"] == "within"


def test_a_row_no_budget_covers_is_left_unstamped():
    budgets = [b for b in BUDGETS if b.id != "company"]

    assert stamp_budget(row(workflow_id="search"), STATES, budgets)["budget_id"] is None


def test_rows_are_stamped_from_the_state_the_jobs_wrote(ledger):
    from p402.local.jobs_runner import LocalBudgetStamp

    budgets = [Budget(id="wf-tickets", scope={"workflow_id": "tickets"}, period="month",
                      limit_usd="1")]
    stamp = LocalBudgetStamp(ledger.data_dir, budgets)
    before = row(workflow_id="tickets")
    stamp(before)

    ledger.land(costing("0.85", workflow_id="tickets", occurred_at="2026-11-30T09:00:00Z"))
    run(ledger, budgets, "2026-11-30T10:00:00Z")
    after = row(workflow_id="tickets")
    stamp(after)

    assert before["policy_decision"] == "within"
    assert (after["budget_id"], after["policy_decision"]) == ("wf-tickets", "warn")
