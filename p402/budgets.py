"""Budgets: the budgets file model, period math in UTC, and a budget's state from its spend.

A budget watches the spend of one scope (one attribution column equal to one value, or
everything) over a calendar period in UTC: a day, a week starting Monday, or a month.
Thresholds are percents of the limit; a forecast projects the spend so far linearly to the
end of the period. Money is Decimal throughout.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from p402.errors import BudgetFileError, FieldProblem
from p402.schema import ATTRIBUTION_COLUMNS

ALL = "all"
PERIODS = ("day", "week", "month")
DEFAULT_THRESHOLDS = (Decimal(50), Decimal(80), Decimal(100))
HUNDRED = Decimal(100)
# A forecast from the first minutes of a period is noise (one call at 00:05 projects to a
# fortune by the month's end), so it counts only once this share of the period has passed.
FORECAST_AFTER = Decimal("0.1")
# Which scope is the most specific when several budgets cover one event: the narrowest
# attribution first. Budgets on the same column keep their order in the file; "all" is last.
SPECIFICITY = ("employee_id", "customer_id", "workflow_id", "feature_id", "task_type",
               "action_type", "model", "project_id", "owner", "department_id", "provider",
               "source")

Period = Literal["day", "week", "month"]
State = Literal["within", "warn", "over"]
_Name = Annotated[str, Field(min_length=1, max_length=256)]
_Percent = Annotated[Decimal, Field(gt=0, le=10_000)]


class Budget(BaseModel):
    """One entry of the budgets file."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    id: Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:/-]+$")]
    scope: dict[str, str] | Literal["all"]
    period: Period
    limit_usd: Annotated[Decimal, Field(gt=0, le=Decimal("1e12"))]
    thresholds: tuple[_Percent, ...] = DEFAULT_THRESHOLDS
    forecast: bool = False
    notify: tuple[_Name, ...] = ()
    owner: _Name | None = None

    @field_validator("scope", mode="before")
    @classmethod
    def _one_attribution_column(cls, scope: Any) -> Any:
        if isinstance(scope, str) and scope.strip().lower() == ALL:
            return ALL
        if not isinstance(scope, Mapping) or len(scope) != 1:
            raise ValueError('"all", or one attribution column and its value, like '
                             '{"workflow_id": "checkout"}')
        column, value = next(iter(scope.items()))
        if column not in ATTRIBUTION_COLUMNS:
            raise ValueError(f"a scope column among {', '.join(ATTRIBUTION_COLUMNS)}")
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"a non-empty text value for {column}")
        return {column: value.strip()}

    @field_validator("notify", mode="before")
    @classmethod
    def _one_target_is_a_list(cls, notify: Any) -> Any:
        return [notify] if isinstance(notify, str) else notify

    @field_validator("thresholds")
    @classmethod
    def _sorted_thresholds(cls, thresholds: tuple[Decimal, ...]) -> tuple[Decimal, ...]:
        if not thresholds:
            raise ValueError("at least one percent, like [50, 80, 100]")
        return tuple(sorted(set(thresholds)))

    @property
    def scope_column(self) -> str | None:
        return None if self.scope == ALL else next(iter(self.scope))

    @property
    def scope_value(self) -> str | None:
        return None if self.scope == ALL else next(iter(self.scope.values()))

    def scope_text(self) -> str:
        return "all spend" if self.scope == ALL else f"{self.scope_column} = {self.scope_value}"

    def covers(self, row: Mapping[str, Any]) -> bool:
        return self.scope == ALL or row.get(self.scope_column) == self.scope_value


@dataclass(frozen=True)
class Evaluation:
    """A budget's standing at one moment of its period."""

    budget: Budget
    period_start: datetime
    period_end: datetime
    spend_usd: Decimal
    forecast_usd: Decimal | None
    crossed: tuple[Decimal, ...]
    state: State

    @property
    def percent_used(self) -> Decimal:
        return (self.spend_usd * HUNDRED / self.budget.limit_usd).quantize(Decimal("0.01"))

    @property
    def forecast_over(self) -> bool:
        return self.forecast_usd is not None and self.forecast_usd > self.budget.limit_usd


def parse_budgets(document: Any) -> list[Budget]:
    """Budgets from a parsed file: a list, or {"budgets": [...]}; None means no budgets."""
    if document is None:
        return []
    if isinstance(document, Mapping) and set(document) == {"budgets"}:
        document = document["budgets"] or []
    if not isinstance(document, list):
        raise BudgetFileError(str(FieldProblem(
            "budgets", document, 'a list of budgets, or {"budgets": [...]}')))

    budgets, problems = [], []
    for index, entry in enumerate(document):
        try:
            budgets.append(Budget.model_validate(entry))
        except ValidationError as exc:
            problems += [_problem(index, error) for error in exc.errors()]
    problems += _duplicate_ids(budgets)
    if problems:
        raise BudgetFileError("; ".join(problems))
    return budgets


def parse_budgets_text(text: str, name: str = "budgets file") -> list[Budget]:
    """Budgets from JSON or YAML text (JSON numbers are read as exact decimals)."""
    try:
        document = json.loads(text, parse_float=Decimal)
    except ValueError:
        document = _yaml(text, name)
    try:
        return parse_budgets(document)
    except BudgetFileError as exc:
        raise BudgetFileError(f"{name}: {exc}") from None


def _yaml(text: str, name: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise BudgetFileError(f"{name}: neither JSON nor YAML{where}") from None


def _problem(index: int, error: Mapping[str, Any]) -> str:
    field = ".".join(str(part) for part in error["loc"] if part not in ("str", "dict"))
    where = f"budgets[{index}]" + (f".{field}" if field else "")
    if error["type"] == "missing":
        return f"{where}: missing, expected a value (this field is required)"
    if error["type"] == "extra_forbidden":
        fields = ", ".join(Budget.model_fields)
        return f"{where}: got an unknown field, expected one of {fields}"
    return str(FieldProblem(where, error.get("input"), _expected(error["msg"])))


def _expected(message: str) -> str:
    """pydantic's "Input should be 'day', 'week' or 'month'" reads as the expectation."""
    for prefix in ("Value error, ", "Input should be ", "Value should be "):
        if message.startswith(prefix):
            message = message[len(prefix):]
    return message


def _duplicate_ids(budgets: Sequence[Budget]) -> list[str]:
    seen: dict[str, int] = {}
    problems = []
    for index, budget in enumerate(budgets):
        if budget.id in seen:
            problems.append(f"budgets[{index}].id: got {budget.id!r}, expected an id not "
                            f"already used (budgets[{seen[budget.id]}] has it)")
        seen.setdefault(budget.id, index)
    return problems


def period_bounds(period: str, now: datetime) -> tuple[datetime, datetime]:
    """The UTC period [start, end) that holds `now`: a day, a week from Monday, a month."""
    moment = _utc(now)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return day, day + timedelta(days=1)
    if period == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=7)
    if period == "month":
        start = day.replace(day=1)
        return start, _next_month(start)
    raise ValueError(f"period: got {period!r}, expected one of {', '.join(PERIODS)}")


def _next_month(start: datetime) -> datetime:
    if start.month == 12:
        return start.replace(year=start.year + 1, month=1)
    return start.replace(month=start.month + 1)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def evaluate(budget: Budget, spend_usd: Decimal, now: datetime) -> Evaluation:
    """The budget's state given its spend so far in the period that holds `now`."""
    start, end = period_bounds(budget.period, now)
    limit = budget.limit_usd
    crossed = tuple(t for t in budget.thresholds if spend_usd * HUNDRED >= t * limit)

    forecast = linear_forecast(spend_usd, start, end, _utc(now))
    forecast_counts = budget.forecast and forecast is not None and forecast > limit
    state = _state(budget, spend_usd, crossed, forecast_counts)
    return Evaluation(budget=budget, period_start=start, period_end=end,
                      spend_usd=spend_usd, forecast_usd=forecast, crossed=crossed, state=state)


def linear_forecast(spend_usd: Decimal, start: datetime, end: datetime, now: datetime
                    ) -> Decimal | None:
    """Spend so far, projected at the same rate to the end of the period; None while too
    little of the period has passed to project from (see FORECAST_AFTER)."""
    elapsed = _microseconds(min(now, end) - start)
    length = _microseconds(end - start)
    if elapsed <= 0 or Decimal(elapsed) < FORECAST_AFTER * length:
        return None
    return spend_usd * length / elapsed


def _microseconds(span: timedelta) -> int:
    return (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds


def _state(budget: Budget, spend: Decimal, crossed: tuple[Decimal, ...],
           forecast_over: bool) -> State:
    if spend >= budget.limit_usd:
        return "over"
    if any(t < HUNDRED for t in crossed) or forecast_over:
        return "warn"
    return "within"


def most_specific_first(budgets: Sequence[Budget]) -> list[Budget]:
    """The order in which budgets claim an event: narrow scopes first, "all" last."""
    def rank(indexed: tuple[int, Budget]) -> tuple[int, int]:
        index, budget = indexed
        column = budget.scope_column
        return (len(SPECIFICITY) if column is None else SPECIFICITY.index(column), index)

    return [budget for _, budget in sorted(enumerate(budgets), key=rank)]
