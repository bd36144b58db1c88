"""The ledger SQL the local engine runs (p402.ledger), shaped for Athena at synth time."""

import re
from dataclasses import dataclass

from p402 import ledger

VALUE_HOLE = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")


@dataclass(frozen=True)
class SavedQuery:
    name: str
    sql: str
    description: str


def view_statement() -> str:
    """CREATE OR REPLACE VIEW ai_economic_events, as one Athena statement."""
    return athena_statement(ledger.view_sql())


def saved_queries() -> list[SavedQuery]:
    """Every saved query with its default identifiers and `?` for each value to enter."""
    queries = []
    for name in ledger.saved_query_names():
        text = ledger.saved_query(name, **ledger.default_identifiers(name))
        sql, parameters = console_parameters(athena_statement(text))
        queries.append(SavedQuery(name=name, sql=sql,
                                  description=describe(text, parameters)))
    return queries


def athena_statement(sql: str) -> str:
    """Drop whole-line comments and the closing semicolon: Athena runs one bare statement."""
    lines = [line for line in sql.splitlines() if not line.strip().startswith("--")]
    return "\n".join(lines).strip().rstrip(";").rstrip()


def console_parameters(sql: str) -> tuple[str, list[str]]:
    """`:name` holes become `?`, which the Athena console asks a value for, in order."""
    names: list[str] = []

    def take(match: re.Match) -> str:
        names.append(match.group(1))
        return "?"

    return VALUE_HOLE.sub(take, sql), names


def describe(sql: str, parameters: list[str]) -> str:
    first = next((line.strip().lstrip("-").strip() for line in sql.splitlines()
                  if line.strip().startswith("--")), "p402 saved query")
    if parameters:
        first += f" Parameters, in order: {', '.join(parameters)}."
    return first[:1024]
