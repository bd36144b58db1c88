"""The ledger's SQL texts (Athena dialect), rendered from the row definition and bound.

Every engine runs the same text: Athena as written, DuckDB after sqlglot translates it.
Templates hold two kinds of holes: `{{name}}` for identifiers and keywords (checked against
a closed list, never free text) and `:name` for values, bound as positional parameters.
"""

import re
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from p402.schema import ATTRIBUTION_COLUMNS, COLUMN_NAMES

SQL_DIR = Path(__file__).parent / "sql"
LANDED_TABLE = "ai_economic_events_landed"
VIEW = "ai_economic_events"
DERIVED_IN_VIEW = ("final_attempt", "retry_cost_usd", "context_waste_usd")
PERIODS = ("day", "week", "month")
_IDENTIFIER_CHOICES = {"group_by": ATTRIBUTION_COLUMNS, "period": PERIODS,
                       "scope_column": ATTRIBUTION_COLUMNS}
_VALUE = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")
_HOLE = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


def view_sql() -> str:
    """CREATE OR REPLACE VIEW ai_economic_events, with the columns of p402.schema."""
    columns = [name for name in COLUMN_NAMES if name not in DERIVED_IN_VIEW]
    text = (SQL_DIR / "ai_economic_events.sql").read_text()
    return text.replace("{{columns}}", ",\n    ".join(columns))


def saved_query_names() -> list[str]:
    return sorted(p.stem for p in (SQL_DIR / "queries").glob("*.sql"))


@cache
def _template(name: str) -> str:
    path = SQL_DIR / "queries" / f"{name}.sql"
    if not path.is_file():
        raise ValueError(f"saved query: got {name!r}, expected one of {saved_query_names()}")
    return path.read_text()


def saved_query(name: str, **identifiers: str) -> str:
    """A saved query with its identifier holes filled from their closed lists."""
    def fill(match: re.Match) -> str:
        hole = match.group(1)
        value = identifiers.get(hole)
        allowed = _IDENTIFIER_CHOICES.get(hole, ())
        if value not in allowed:
            raise ValueError(f"{hole}: got {value!r}, expected one of {list(allowed)}")
        return value

    return _HOLE.sub(fill, _template(name))


def default_identifiers(name: str) -> dict[str, str]:
    """The identifiers a saved query is shown with when nobody chose (Athena named queries)."""
    holes = set(_HOLE.findall(_template(name)))
    defaults = {"group_by": "workflow_id", "period": "day", "scope_column": "workflow_id"}
    return {hole: defaults[hole] for hole in holes}


def bind(sql: str, params: dict[str, Any] | None = None) -> tuple[str, list[Any]]:
    """`:name` holes become positional `?` parameters, in order of appearance."""
    params = params or {}
    values: list[Any] = []

    def take(match: re.Match) -> str:
        name = match.group(1)
        if name not in params:
            raise ValueError(f"query parameter {name!r} has no value")
        values.append(params[name])
        return "?"

    return _VALUE.sub(take, _strip_comments(sql)), values


def _strip_comments(sql: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines())


def window_params(start: datetime, end: datetime) -> dict[str, str]:
    """The parameters of a time window [start, end) in UTC, with its dt range for pruning."""
    last = end - timedelta(microseconds=1)
    return {
        "window_start": start.strftime("%Y-%m-%d %H:%M:%S"),
        "window_end": end.strftime("%Y-%m-%d %H:%M:%S"),
        "first_day": start.strftime("%Y-%m-%d"),
        "last_day": last.strftime("%Y-%m-%d"),
    }
