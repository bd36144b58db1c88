"""The budgets file model, period math in UTC and a budget's state: pure rules."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from p402.budgets import (
    Budget, evaluate, linear_forecast, most_specific_first, parse_budgets, parse_budgets_text,
    period_bounds,
)
from p402.errors import BudgetFileError


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def budget(**fields) -> Budget:
    base = {"id": "b", "scope": "all", "period": "month", "limit_usd": "100"}
    return Budget.model_validate({**base, **fields})


@pytest.mark.parametrize("period, now, start, end", [
    ("day", "2026-11-30T23:59:59", "2026-11-30T00:00:00", "2026-12-01T00:00:00"),
    ("week", "2026-11-29T23:59:59", "2026-11-23T00:00:00", "2026-11-30T00:00:00"),  # Sunday
    ("week", "2026-11-30T00:00:00", "2026-11-30T00:00:00", "2026-12-07T00:00:00"),  # Monday
    ("week", "2026-12-31T12:00:00", "2026-12-28T00:00:00", "2027-01-04T00:00:00"),
    ("month", "2026-11-30T23:59:59", "2026-11-01T00:00:00", "2026-12-01T00:00:00"),
    ("month", "2026-12-15T08:00:00", "2026-12-01T00:00:00", "2027-01-01T00:00:00"),
    ("month", "2028-02-29T12:00:00", "2028-02-01T00:00:00", "2028-03-01T00:00:00"),
])
def test_periods_are_utc_calendar_periods_with_weeks_from_monday(period, now, start, end):
    assert period_bounds(period, at(now)) == (at(start), at(end))


def test_a_time_in_another_zone_is_placed_in_its_utc_period():
    tokyo_monday_morning = datetime.fromisoformat("2026-11-30T08:00:00+09:00")  # Sun 23:00 UTC

    assert period_bounds("week", tokyo_monday_morning)[0] == at("2026-11-23T00:00:00")


@pytest.mark.parametrize("spend, crossed, state", [
    ("0", (), "within"),
    ("49.99", (), "within"),
    ("50", (Decimal(50),), "warn"),
    ("80", (Decimal(50), Decimal(80)), "warn"),
    ("99.999999999999", (Decimal(50), Decimal(80)), "warn"),
    ("100", (Decimal(50), Decimal(80), Decimal(100)), "over"),
    ("7500", (Decimal(50), Decimal(80), Decimal(100)), "over"),
])
def test_thresholds_are_crossed_at_their_exact_percent_of_the_limit(spend, crossed, state):
    result = evaluate(budget(), Decimal(spend), at("2026-11-02T00:00:00"))

    assert (result.crossed, result.state) == (crossed, state)


def test_percent_used_is_spend_over_limit_to_the_hundredth():
    assert evaluate(budget(), Decimal("33.333"), at("2026-11-02T00:00:00")).percent_used == \
        Decimal("33.33")


def test_the_forecast_projects_spend_so_far_linearly_to_the_end_of_the_period():
    # 10 days of a 30-day month gone, 40 USD spent: 120 USD by the end.
    result = evaluate(budget(forecast=True), Decimal(40), at("2026-11-11T00:00:00"))

    assert result.forecast_usd == Decimal(120)
    assert (result.forecast_over, result.state) == (True, "warn")


def test_a_forecast_over_the_limit_makes_warn_only_when_the_budget_asks_for_it():
    result = evaluate(budget(forecast=False), Decimal(40), at("2026-11-11T00:00:00"))

    assert (result.forecast_usd, result.state) == (Decimal(120), "within")


def test_no_forecast_before_a_tenth_of_the_period_has_passed():
    start, end = at("2026-11-01T00:00:00"), at("2026-12-01T00:00:00")

    assert linear_forecast(Decimal(5), start, end, at("2026-11-03T23:59:59")) is None
    assert linear_forecast(Decimal(5), start, end, at("2026-11-04T00:00:00")) == Decimal(50)


@pytest.mark.parametrize("document, message", [
    ([{"id": "a", "scope": {"team": "x"}, "period": "month", "limit_usd": 1}],
     "budgets[0].scope: got {'team': 'x'}, expected a scope column among action_type,"),
    ([{"id": "a", "scope": "all", "period": "month", "limit_usd": 1},
      {"id": "b", "scope": "all", "period": "year", "limit_usd": 1}],
     "budgets[1].period: got 'year', expected 'day', 'week' or 'month'"),
    ([{"id": "a", "scope": "all", "period": "day", "limit_usd": -5}],
     "budgets[0].limit_usd: got -5, expected greater than 0"),
    ([{"id": "a", "scope": "all", "period": "day", "limit_usd": "ten"}],
     "budgets[0].limit_usd: got 'ten', expected a valid decimal"),
    ([{"id": "a", "scope": "all", "period": "day", "limit_usd": 1, "thresholds": [50, 0]}],
     "budgets[0].thresholds.1: got 0, expected greater than 0"),
    ([{"id": "a", "scope": "all", "period": "day"}],
     "budgets[0].limit_usd: missing, expected a value"),
    ([{"id": "a", "scope": "all", "period": "day", "limit_usd": 1, "limit": 2}],
     "budgets[0].limit: got an unknown field, expected one of id, scope, period,"),
    ([{"id": "a", "scope": {"workflow_id": "w", "customer_id": "c"}, "period": "day",
       "limit_usd": 1}],
     "budgets[0].scope: got {'workflow_id': 'w', 'customer_id': 'c'}, expected \"all\", or "
     "one attribution column"),
    ([{"id": "a", "scope": "all", "period": "day", "limit_usd": 1},
      {"id": "a", "scope": "all", "period": "week", "limit_usd": 1}],
     "budgets[1].id: got 'a', expected an id not already used (budgets[0] has it)"),
    ({"budget": []}, "budgets: got {'budget': []}, expected a list of budgets"),
])
def test_budget_file_errors_name_the_budget_the_field_the_value_and_the_expectation(
        document, message):
    with pytest.raises(BudgetFileError) as error:
        parse_budgets(document)

    assert message in str(error.value)


def test_every_broken_budget_is_named_in_one_error():
    document = [{"id": "a", "scope": "all", "period": "year", "limit_usd": 1},
                {"id": "b", "scope": "all", "period": "day", "limit_usd": 0}]

    with pytest.raises(BudgetFileError) as error:
        parse_budgets(document)

    assert "budgets[0].period" in str(error.value)
    assert "budgets[1].limit_usd" in str(error.value)


def test_yaml_and_json_files_read_the_same_with_exact_decimal_limits():
    yaml_text = """
budgets:
  - id: support-bot
    scope: {workflow_id: support-bot}
    period: month
    limit_usd: 0.01
    notify: ops@example.com
"""
    json_text = ('[{"id": "support-bot", "scope": {"workflow_id": "support-bot"}, '
                 '"period": "month", "limit_usd": 0.01, "notify": ["ops@example.com"]}]')

    from_yaml, from_json = parse_budgets_text(yaml_text), parse_budgets_text(json_text)

    assert from_yaml == from_json
    assert from_yaml[0].limit_usd == Decimal("0.01")
    assert from_yaml[0].thresholds == (Decimal(50), Decimal(80), Decimal(100))
    assert from_yaml[0].notify == ("ops@example.com",)
    assert (from_yaml[0].forecast, from_yaml[0].owner) == (False, None)


def test_a_file_that_is_neither_json_nor_yaml_is_named_with_its_line():
    text = "- id: a\n  scope: all\n period: day\n"  # line 3 is indented wrongly

    with pytest.raises(BudgetFileError, match=r"budgets.yaml: neither JSON nor YAML at line 3"):
        parse_budgets_text(text, "budgets.yaml")


def test_an_empty_file_means_no_budgets():
    assert parse_budgets_text("", "budgets.yaml") == []


def test_the_most_specific_scope_claims_first_and_all_last_in_file_order_otherwise():
    budgets = [budget(id="everything"), budget(id="team", scope={"department_id": "d"}),
               budget(id="flow", scope={"workflow_id": "w"}),
               budget(id="flow-2", scope={"workflow_id": "v"}),
               budget(id="client", scope={"customer_id": "c"})]

    order = [b.id for b in most_specific_first(budgets)]

    assert order == ["client", "flow", "flow-2", "team", "everything"]
