"""Ledger rows (JSON form) to Arrow tables and Parquet files with the schema from the core."""

import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from p402.schema import COLUMNS, PARTITION_COLUMN, Kind, arrow_schema

SCHEMA = arrow_schema()
# Money and timestamps travel as text in the JSON form; Arrow parses them exactly.
_CAST_FROM_TEXT = {Kind.MONEY, Kind.TIMESTAMP}


def rows_to_table(rows: Sequence[dict[str, Any]]) -> pa.Table:
    arrays = []
    for column, field in zip(COLUMNS, SCHEMA):
        values = [row.get(column.name) for row in rows]
        if column.kind is Kind.TIMESTAMP:
            values = [v[:-1] if v else None for v in values]  # "...Z": always UTC
        if column.kind in _CAST_FROM_TEXT:
            arrays.append(pa.array(values, pa.string()).cast(field.type))
        else:
            arrays.append(pa.array(values, field.type))
    return pa.Table.from_arrays(arrays, schema=SCHEMA)


def partition_of(row: dict[str, Any]) -> str:
    """The dt partition of a row: the UTC date it occurred (YYYY-MM-DD)."""
    return row["occurred_at"][:10]


def group_by_partition(rows: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[partition_of(row)].append(row)
    return groups


def write_atomically(table: pa.Table, target: Path) -> None:
    """Writes to a temporary name, fsyncs, then renames: readers never see half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    pq.write_table(table, temporary, compression="zstd")
    with open(temporary, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, target)
    fsync_dir(target.parent)


def fsync_dir(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def partition_dir(table_root: Path, dt: str) -> Path:
    return table_root / f"{PARTITION_COLUMN}={dt}"
