"""The jobs on a laptop: p402.jobs over DuckDB and files in the data dir, and the budget stamp
that local ingest applies to each accepted row.

Budgets come from the file given, else `<data-dir>/budgets.yaml|yml|json` when present,
else there are none (the ranking and retry storms still run).
"""

import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from p402.budgets import Budget, parse_budgets_text
from p402.errors import BudgetFileError
from p402.jobs import BUDGET_STATES_SNAPSHOT, JobReport, run_jobs, stamp_budget

DEFAULT_BUDGET_FILES = ("budgets.yaml", "budgets.yml", "budgets.json")
_COMMAND = "p402 run-jobs"
_log = logging.getLogger("p402.jobs")


def budgets_path(data_dir: Path | str, given: str | None) -> Path | None:
    """The budgets file to use: the one given, else the first default one in the data dir."""
    if given:
        return Path(given)
    found = (Path(data_dir) / name for name in DEFAULT_BUDGET_FILES)
    return next((path for path in found if path.is_file()), None)


def load_budgets(path: Path | None) -> list[Budget]:
    """The budgets of a file (JSON or YAML); no file means no budgets."""
    if path is None:
        return []
    try:
        text = path.read_text()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise BudgetFileError(f"budgets file {path}: cannot be read ({reason})") from None
    return parse_budgets_text(text, f"budgets file {path}")


def parse_now(text: str | None) -> datetime:
    """--now as an aware UTC time; a time without a zone is read as UTC."""
    if not text:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"--now: got {text!r}, expected an ISO-8601 time like "
                         "2026-11-30T23:00:00Z") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def run_local_jobs(data_dir: Path | str, budgets: list[Budget], now: datetime,
                   stream: IO[str] | None = None) -> JobReport:
    """One run of the jobs over the data dir's ledger; alerts go to `stream` and a file."""
    from p402.adapters.duckdb_ledger import DuckLedger
    from p402.adapters.local_alerts import (
        LocalAlertPublisher, LocalAlertState, LocalSnapshotStore,
    )

    engine = DuckLedger(data_dir)
    try:
        engine.settle()
        return run_jobs(engine, budgets, now, LocalAlertPublisher(data_dir, stream),
                        LocalAlertState(data_dir), LocalSnapshotStore(data_dir))
    finally:
        engine.close()


def run_jobs_command(args) -> int:
    """`p402 run-jobs`: alerts as JSON lines on stdout, a one-line summary on stderr.

    Exit 0 after a run (alerts or not); 2 when the budgets file or --now cannot be used.
    """
    try:
        budgets = load_budgets(budgets_path(args.data_dir, args.budgets))
        now = parse_now(args.now)
    except (BudgetFileError, ValueError) as exc:
        print(f"{_COMMAND}: {exc}", file=sys.stderr)
        return 2

    report = run_local_jobs(args.data_dir, budgets, now)
    print(report.summary(), file=sys.stderr)
    return 0


class LocalBudgetStamp:
    """The ingest Stamp for `p402 serve`: the covering budget and its latest state, read
    from the budget_states snapshot again whenever the jobs have rewritten it."""

    def __init__(self, data_dir: Path | str, budgets: list[Budget]):
        from p402.adapters.local_alerts import LocalSnapshotStore

        self.budgets = budgets
        self._store = LocalSnapshotStore(data_dir)
        self._path = Path(self._store.root) / f"{BUDGET_STATES_SNAPSHOT}.json"
        self._seen: float | None = None
        self._states: dict[str, Any] = {}

    def __call__(self, row: dict[str, Any]) -> None:
        if self.budgets:
            stamp_budget(row, self._latest_states(), self.budgets)

    def _latest_states(self) -> dict[str, Any]:
        try:
            changed = self._path.stat().st_mtime
        except FileNotFoundError:
            return {}
        if changed != self._seen:
            self._states = self._store.read(BUDGET_STATES_SNAPSHOT) or {}
            self._seen = changed
        return self._states


class ServeJobs:
    """The jobs as `p402 serve` runs them on its timer: the budgets file is read again at
    each run (an edit takes effect without a restart), and a failed run is logged and the
    next one tried, so the timer thread (which also flushes the lake) never dies."""

    def __init__(self, data_dir: Path | str, budgets_option: str | None):
        self.data_dir = Path(data_dir)
        self.budgets_option = budgets_option
        self.stamp = LocalBudgetStamp(self.data_dir, self._budgets_or_none())

    def reload_budgets(self) -> list[Budget]:
        """Reads the budgets file again, so ingest stamps by it before the next run."""
        self.stamp.budgets = self._budgets_or_none()
        return self.stamp.budgets

    def run(self, now: datetime | None = None) -> JobReport | None:
        budgets = self.reload_budgets()
        try:
            report = run_local_jobs(self.data_dir, budgets, now or datetime.now(UTC))
        except Exception as exc:  # noqa: BLE001 - logged; the timer must outlive one bad run
            _log.error("jobs failed: %s: %s", type(exc).__name__, exc)
            return None
        _log.info(report.summary())
        return report

    def _budgets_or_none(self) -> list[Budget]:
        try:
            return load_budgets(budgets_path(self.data_dir, self.budgets_option))
        except BudgetFileError as exc:
            _log.error("%s; running without budgets until it is fixed", exc)
            return []
