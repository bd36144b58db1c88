"""The local lake's housekeeping in a process of its own, beside `p402 serve`.

Turns sealed WAL segments into Parquet every second, compacts small files every minute and
settles quiet days every ten seconds, on the second core, so the serving process spends its
interpreter on requests alone. It stops when its parent is gone.
"""

import logging
import os
import sys
import time
from pathlib import Path

from p402.adapters.local_lake import LocalLake

log = logging.getLogger("p402.flusher")
FLUSH_EVERY_SECONDS = 1.0
SETTLE_EVERY_SECONDS = 10.0
COMPACT_EVERY_SECONDS = 60.0


def run(data_dir: Path, parent_pid: int) -> None:
    from p402.adapters.duckdb_ledger import DuckLedger

    lake = LocalLake(data_dir)
    settler = DuckLedger(data_dir, memory_limit="512MB", threads=1)
    last_compact = time.monotonic()
    last_settle = last_compact - SETTLE_EVERY_SECONDS

    while os.getppid() == parent_pid:
        time.sleep(FLUSH_EVERY_SECONDS)
        _keep_going("flush", lake.flush)
        now = time.monotonic()
        if now - last_compact >= COMPACT_EVERY_SECONDS:
            _keep_going("compact", lake.compact)
            last_compact = now
        if now - last_settle >= SETTLE_EVERY_SECONDS:
            _keep_going("settle", settler.settle)
            last_settle = time.monotonic()


def _keep_going(task: str, action) -> None:
    """A failed turn is logged and tried again on the next: acknowledged events stay safe
    in the WAL meanwhile, and the next turn picks them up."""
    try:
        action()
    except Exception:
        log.exception("housekeeping task failed", extra={"task": task})


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    run(Path(sys.argv[1]), int(sys.argv[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
