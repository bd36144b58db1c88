"""Builds the dashboard's dependencies: over a local data dir, or over Athena and S3 on AWS."""

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from p402.dashboard.access import KeyFinder, Sessions, local_secret
from p402.dashboard.engines import AthenaDashboardLedger, LocalDashboardLedger
from p402.dashboard.figures import FigureSources
from p402.dashboard.routes import DashboardDependencies

LOCAL_SNAPSHOT_MAX_AGE = timedelta(minutes=15)
AWS_SNAPSHOT_MAX_AGE = timedelta(hours=24)


def local_dependencies(data_dir: Path | str, keys: KeyFinder) -> DashboardDependencies:
    """DuckDB over the data dir's lake, its snapshots, and a secret kept in the data dir."""
    from p402.adapters.duckdb_ledger import DuckLedger
    from p402.adapters.local_alerts import LocalSnapshotStore

    ledger = LocalDashboardLedger(DuckLedger(data_dir), data_dir)
    sources = FigureSources(ledger, LocalSnapshotStore(data_dir), LOCAL_SNAPSHOT_MAX_AGE)
    sessions = Sessions(local_secret(data_dir), time.time, secure=False)
    return DashboardDependencies(sources, sessions, keys)


def aws_dependencies(athena: Any, workgroup: str, database: str, snapshots: Any,
                     secret: bytes, keys: KeyFinder | None,
                     wait_seconds: float = 6.0) -> DashboardDependencies:
    """Athena (up to `wait_seconds` per query, then "still running"), the jobs' S3
    snapshots, and a session secret from the function's settings. Cookies are Secure: the
    API is HTTPS."""
    ledger = AthenaDashboardLedger(athena, workgroup, database, wait_seconds=wait_seconds)
    sources = FigureSources(ledger, snapshots, AWS_SNAPSHOT_MAX_AGE)
    return DashboardDependencies(sources, Sessions(secret, time.time, secure=True), keys)
