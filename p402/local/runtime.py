"""What `p402 serve` runs: the API over the local lake, the flusher and the jobs."""

import logging
import threading
from pathlib import Path
from typing import Any

from p402.adapters.local_lake import LocalLake
from p402.api.app import IngestDependencies, create_app
from p402.dashboard import local_dependencies
from p402.keys import KeyRing
from p402.local.jobs_runner import ServeJobs

log = logging.getLogger("p402.serve")


class LocalRuntime:
    def __init__(self, data_dir: Path, keys: KeyRing, prices_path: str | None = None,
                 budgets_path: str | None = None):
        from p402.cli import load_prices

        self.data_dir = data_dir
        self.budgets_path = budgets_path
        self.lake = LocalLake(data_dir)
        self.jobs = ServeJobs(data_dir, budgets_path)
        self.deps = IngestDependencies(sink=self.lake, prices=load_prices(prices_path),
                                       keys=keys, stamp=self.jobs.stamp,
                                       dashboard=local_dependencies(data_dir, keys))
        self._apps = threading.local()
        self._jobs_lock = threading.Lock()

    def handle(self, api_event: dict[str, Any]) -> dict[str, Any]:
        """One API Gateway HTTP API event through the resolver of this thread."""
        app = getattr(self._apps, "app", None)
        if app is None:
            app = self._apps.app = create_app(self.deps)
        return app.resolve(api_event, _LocalContext())

    def recover(self) -> int:
        """Lands what a crashed run left in the write-ahead log."""
        return self.lake.flush()

    def seal(self) -> None:
        """Hands the WAL segment to the housekeeping process (p402.local.flusher)."""
        self.lake.seal()

    def run_jobs(self) -> None:
        """Ranks waste, evaluates budgets and alerts (p402.local.jobs_runner), one at a time."""
        with self._jobs_lock:
            self.jobs.run()

    def load_sample_once(self) -> None:
        """Loads the sample workload into an empty data dir, once (`make run`)."""
        marker = self.data_dir / ".sample-loaded"
        if marker.exists():
            return
        now = self.deps.clock()
        self._install_sample_budgets()
        self.jobs.reload_budgets()

        landed = self._land_sample_events(now) + self._land_sample_bedrock_logs(now)
        self.lake.flush()
        marker.write_text(f"{landed} events\n")
        log.info("sample workload loaded", extra={"events": landed})
        print(f"Loaded the sample workload: {landed} events.", flush=True)

    def _land_sample_events(self, now) -> int:
        from p402.ingest import accept_batch
        from p402.keys import ALL_PROJECTS, KeyGrant
        from p402.sample.workload import sample_events

        grant = KeyGrant("sample", frozenset({ALL_PROJECTS}), "sample")
        events = sample_events(now)
        landed = 0
        for start in range(0, len(events), 500):
            result = accept_batch(events[start:start + 500], grant, self.deps.prices, now,
                                  self.deps.stamp)
            self.lake.put(result.rows)
            landed += len(result.rows)
        return landed

    def _land_sample_bedrock_logs(self, now) -> int:
        import tempfile

        from p402.adapters.bedrock_objects import ReadTally, records_from_paths
        from p402.bedrock_logs import ImportTally, rows_from_records
        from p402.sample.workload import write_bedrock_logs

        with tempfile.TemporaryDirectory() as folder:
            write_bedrock_logs(Path(folder), now)
            records = records_from_paths([folder], ReadTally())
            rows = list(rows_from_records(records, {}, self.deps.prices, now, ImportTally()))
        for row in rows:
            self.deps.stamp(row)
        self.lake.put(rows)
        return len(rows)

    def _install_sample_budgets(self) -> None:
        """The sample's budgets, unless the user gave or placed a budgets file."""
        import shutil

        placed = [self.data_dir / f"budgets.{ext}" for ext in ("yaml", "yml", "json")]
        if self.budgets_path or any(p.exists() for p in placed):
            return
        shutil.copyfile(Path(__file__).parent.parent / "sample" / "budgets.yaml", placed[0])

    def close(self) -> None:
        self.lake.close()


class _LocalContext:
    """The few attributes of a Lambda context that Powertools reads."""

    function_name = "p402-local"
    memory_limit_in_mb = 0
    invoked_function_arn = "arn:aws:lambda:local:000000000000:function:p402-local"
    aws_request_id = "local"
