"""`p402 query`: Athena-dialect SQL on the local ledger, as a table or as JSON lines."""

import json
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import sqlglot

from p402.adapters.duckdb_ledger import DuckLedger


def query_command(args) -> int:
    if not Path(args.data_dir).is_dir():
        print(f"p402 query: no ledger at {args.data_dir} (give --data-dir, the folder "
              "`p402 serve` writes)", file=sys.stderr)
        return 2
    ledger = DuckLedger(args.data_dir)
    try:
        columns, rows = ledger.execute(args.sql)
    except (sqlglot.errors.SqlglotError, duckdb.Error, ValueError) as exc:
        print(f"p402 query: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        ledger.close()

    if args.json:
        for row in rows:
            print(json.dumps(dict(zip(columns, row)), default=_json_value))
    else:
        _print_table(columns, rows)
    return 0


def _json_value(value: object) -> object:
    """Money stays exact: a Decimal prints as its decimal string, never a float."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds") + "Z"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _print_table(columns: list[str], rows: list[tuple]) -> None:
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)))
    print(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")


def _cell(value: object) -> str:
    if value is None:
        return "NULL"
    return _json_value(value) if not isinstance(value, (int, float, str)) else str(value)
