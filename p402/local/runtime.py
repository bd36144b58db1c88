"""What `p402 serve` runs: the API over the local lake, the flusher and the jobs."""

import logging
import threading
from pathlib import Path
from typing import Any

from p402.adapters.local_lake import LocalLake
from p402.api.app import IngestDependencies, create_app
from p402.keys import KeyRing

log = logging.getLogger("p402.serve")


class LocalRuntime:
    def __init__(self, data_dir: Path, keys: KeyRing, prices_path: str | None = None,
                 budgets_path: str | None = None):
        from p402.cli import load_prices

        self.data_dir = data_dir
        self.budgets_path = budgets_path
        self.lake = LocalLake(data_dir)
        self.deps = IngestDependencies(sink=self.lake, prices=load_prices(prices_path),
                                       keys=keys)
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

    def flush(self) -> int:
        return self.lake.flush()

    def compact(self) -> int:
        return self.lake.compact()

    def run_jobs(self) -> None:
        """Jobs are wired in by p402.local.jobs_runner when it is present."""

    def load_sample_once(self) -> None:
        """The sample workload is loaded by p402.local.sample when it is present."""

    def close(self) -> None:
        self.lake.close()


class _LocalContext:
    """The few attributes of a Lambda context that Powertools reads."""

    function_name = "p402-local"
    memory_limit_in_mb = 0
    invoked_function_arn = "arn:aws:lambda:local:000000000000:function:p402-local"
    aws_request_id = "local"
