"""The dashboard in headless chromium: signed in, its figures are the ledger's own SQL answers;
signed out, it shows nothing but the sign-in form."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from dashboard_servers import STORM
from dashboard_servers import ARTIFACTS

from p402.dashboard.pages import inline_values
from p402.ledger import saved_query, window_params

RANKING_FIGURES = {"Waste": "waste_usd", "Retry waste": "retry_cost_usd",
                   "Context waste": "context_waste_usd", "Spend": "spend_usd",
                   "Cache savings": "cache_savings_usd", "Calls": "calls", "Events": "events"}


def ledger_answer(server, name: str, group_by: str | None = None, period: str | None = None,
                  **values) -> list[dict]:
    """A saved query over the last 30 days, run by `p402 query` like a user would."""
    now = datetime.now(UTC)
    params = {**window_params(now - timedelta(days=30), now + timedelta(minutes=5)), **values}
    identifiers = {k: v for k, v in (("group_by", group_by), ("period", period)) if v}
    return server.query(inline_values(saved_query(name, **identifiers), params))


def test_a_signed_out_browser_sees_the_sign_in_form_and_no_figure(browsed):
    anonymous = browsed["anonymous"]
    assert "/dashboard/login?next=" in anonymous["url"]
    assert STORM not in anonymous["html"] and "$" not in anonymous["html"]
    assert browsed["wrongKey"]["alert"] == "That key was not accepted."
    assert STORM not in browsed["afterSignOut"]["html"]


def test_signing_in_sets_a_short_lived_httponly_strict_cookie(browsed):
    cookie, = browsed["cookies"]
    assert cookie["name"] == "p402_session" and cookie["httpOnly"]
    assert cookie["sameSite"] == "Strict"
    assert 0 < cookie["expires"] - datetime.now(UTC).timestamp() <= 3600
    assert browsed["signedIn"]["url"].endswith("/dashboard/optimize?window=30d")


def test_the_ranking_is_the_ledgers_optimize_ranking(browsed, dashboard):
    expected = ledger_answer(dashboard, "optimize_ranking")
    shown = browsed["ranking"]
    assert [r["Workflow"]["value"] for r in shown] == [r["workflow_id"] for r in expected]
    for row, want in zip(shown, expected):
        for label, column in RANKING_FIGURES.items():
            if want[column] is None:  # every event of the workflow unpriced: never $0
                assert (row[label]["value"], row[label]["text"]) == ("", "unpriced")
                continue
            assert Decimal(row[label]["value"]) == Decimal(str(want[column])), (label, row)
        assert float(row["Retry rate"]["value"]) == float(want["retry_rate"])


def test_money_shows_to_the_cent_with_the_exact_value_on_hover(browsed):
    storm = next(r for r in browsed["ranking"] if r["Workflow"]["value"] == STORM)
    exact = Decimal(storm["Retry waste"]["value"])
    assert exact > 0
    assert storm["Retry waste"]["title"] == f"{storm['Retry waste']['value']} USD"
    assert storm["Retry waste"]["text"] == f"${exact.quantize(Decimal('0.01')):,}"


def test_the_ranking_has_a_chart_a_filter_a_grouping_and_a_csv_export(browsed):
    assert browsed["chart"] and browsed["chart"][0].startswith("Waste of the top")
    assert [r["Workflow"]["value"] for r in browsed["filtered"]] == [STORM]
    lines = browsed["csv"].strip().splitlines()
    assert lines[0].startswith("Rank,Workflow,Waste,Retry waste")
    assert len(lines) == 2 and f",{STORM}," in lines[1]
    assert browsed["csvName"] == "p402-optimize-30d.csv"
    assert browsed["grouped"] >= 1


def test_a_workflow_shows_each_retried_call_with_its_attempts(browsed, dashboard):
    page = browsed["workflow"]
    assert page["url"].endswith(f"/dashboard/workflows/{STORM}?window=30d")
    expected = ledger_answer(dashboard, "workflow_retried_calls", workflow_id=STORM)
    assert {r["call_key"] for r in expected} == set(dashboard.calls)

    shown = [(r["Call"]["value"], int(r["Attempt"]["value"]), r["Outcome"]["value"],
              Decimal(r["Cost"]["value"]), Decimal(r["Retry waste"]["value"]))
             for r in page["calls"]]
    want = [(r["call_key"], r["attempt"], r["outcome"], Decimal(r["cost_usd"]),
             Decimal(r["retry_cost_usd"])) for r in expected]
    assert shown == want
    assert len(page["groups"]) == len(dashboard.calls)


def test_a_workflow_shows_its_models_as_the_ledger_counts_them(browsed, dashboard):
    expected = ledger_answer(dashboard, "workflow_models", workflow_id=STORM)
    shown = browsed["workflow"]["models"]
    assert [r["Model"]["value"] for r in shown] == [r["model"] for r in expected]
    for row, want in zip(shown, expected):
        assert Decimal(row["Spend"]["value"]) == Decimal(want["spend_usd"])
        assert Decimal(row["Retry waste"]["value"]) == Decimal(want["retry_cost_usd"])
        assert int(row["Retried attempts"]["value"]) == want["retried_attempts"]


def test_the_sql_link_shows_queries_that_return_the_same_rows(browsed, dashboard):
    models_sql = next(sql for sql in browsed["sql"] if "AS retried_attempts" in sql)
    assert f"'{STORM}'" in models_sql
    rows = dashboard.query(models_sql)
    assert [r["model"] for r in rows] == [r["Model"]["value"]
                                          for r in browsed["workflow"]["models"]]


def test_the_spend_page_shows_spend_by_the_chosen_column_and_budgets(browsed, dashboard):
    shown = {r["model"]["value"]: Decimal(r["Spend"]["value"])
             for r in browsed["overview"]["spend"]}
    expected: dict[str, Decimal] = {}
    for row in ledger_answer(dashboard, "spend_by", group_by="model", period="day"):
        expected[row["model"]] = expected.get(row["model"], Decimal(0)) + Decimal(
            row["spend_usd"])
    assert shown == expected

    states = json.loads((dashboard.data_dir / "snapshots" / "budget_states.json").read_text())
    budgets = {r["Budget"]["value"]: r["State"]["value"] for r in browsed["overview"]["budgets"]}
    assert budgets == {name: state["state"] for name, state in states.items()}


def test_the_pages_are_keyboard_usable_and_fit_a_phone(browsed):
    assert browsed["firstFocus"] == "Skip to content"
    assert browsed["phone"]["scrollWidth"] <= browsed["phone"]["width"]


def test_the_tour_leaves_screenshots_as_artifacts(browsed):
    names = {"01-login.png", "02-optimize.png", "03-workflow.png", "04-sql.png",
             "05-spend.png", "06-optimize-phone.png"}
    assert names <= {p.name for p in ARTIFACTS.glob("*.png")}
