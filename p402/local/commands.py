"""The local commands that work on a data dir, each a function the CLI dispatches to."""

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

# --- import-bedrock-logs ------------------------------------------------------------------

IMPORT_BATCH_ROWS = 500
_IMPORT = "p402 import-bedrock-logs"


def import_bedrock_command(args) -> int:
    """Lands Bedrock invocation logs from local files or folders in the local lake.

    Prints one JSON line of counts. Exit 0 when every record was accepted or skipped,
    1 when any was refused (or could not be stored), 2 when the inputs cannot be used.
    """
    from p402.adapters.bedrock_objects import ReadTally, records_from_paths
    from p402.adapters.local_lake import LocalLake
    from p402.bedrock_logs import ImportTally, rows_from_records
    from p402.cli import load_prices
    from p402.errors import PriceFileError

    try:
        prices = load_prices(args.prices)
        owners = load_owners(args.owners)
        _check_paths(args.paths)
    except (OSError, ValueError, PriceFileError) as exc:
        print(f"{_IMPORT}: {exc}", file=sys.stderr)
        return 2

    reading, tally = ReadTally(), ImportTally()
    records = records_from_paths(args.paths, reading)
    rows = rows_from_records(records, owners, prices, datetime.now(UTC), tally)
    lake = LocalLake(args.data_dir)
    unstored = _put_in_batches(lake, rows)
    lake.flush()

    _report_problems(reading, tally, unstored)
    print(json.dumps(_summary(reading, tally, unstored)))
    return 1 if tally.refused or unstored else 0


def load_owners(path: str | None) -> dict[str, str]:
    """The owners file: a JSON object of caller ARN (or prefix, or role name) -> owner."""
    if not path:
        return {}
    try:
        owners = json.loads(Path(path).read_text())
    except ValueError as exc:
        raise ValueError(f"owners file {path}: not JSON ({exc})") from exc
    if not isinstance(owners, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in owners.items()):
        raise ValueError(f"owners file {path}: expected a JSON object of ARN -> owner text")
    return owners


def _check_paths(paths: list[str]) -> None:
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise FileNotFoundError(f"no such file or directory: {', '.join(missing)}")


def _put_in_batches(lake, rows) -> int:
    """Puts the rows in batches; returns how many the lake could not store."""
    unstored, batch = 0, []
    for row in rows:
        batch.append(row)
        if len(batch) == IMPORT_BATCH_ROWS:
            unstored += len(lake.put(batch))
            batch = []
    if batch:
        unstored += len(lake.put(batch))
    return unstored


def _report_problems(reading, tally, unstored: int) -> None:
    """Where each problem is and what kind it is, never a line's or a body's content."""
    for bad in reading.bad_lines:
        print(f"{_IMPORT}: {bad.where}:{bad.line}: {bad.reason}", file=sys.stderr)
    for refusal in tally.refusals:
        fields = ", ".join(refusal.fields)
        print(f"{_IMPORT}: request {refusal.request_id}: refused ({fields})",
              file=sys.stderr)
    if unstored:
        print(f"{_IMPORT}: {unstored} row(s) could not be stored", file=sys.stderr)


def _summary(reading, tally, unstored: int) -> dict[str, int]:
    return {
        "files": reading.files,
        "records": tally.records,
        "accepted": tally.accepted - unstored,
        "refused": tally.refused,
        "skipped": tally.skipped,
        "skipped_objects": reading.skipped_objects,
        "malformed_lines": len(reading.bad_lines),
    }


# --- run-jobs (the body lives in p402.local.jobs_runner) ----------------------------------

def run_jobs_command(args) -> int:
    """Ranks waste, evaluates budgets and publishes alerts once; see p402.local.jobs_runner."""
    from p402.local.jobs_runner import run_jobs_command as run

    return run(args)
