"""The local lake: fsynced WAL before the answer, Parquet after a flush, nothing lost."""

import json
import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime

import pyarrow.parquet as pq

from p402.adapters.duckdb_ledger import DuckLedger
from p402.adapters.local_lake import COMPACT_WHEN_FILES, LocalLake
from p402.events import build_row
from p402.pricing import PriceBook
from p402.schema import arrow_schema

BOOK = PriceBook()
RECEIVED_AT = datetime(2026, 12, 1, tzinfo=UTC)


def make_rows(prefix: str, count: int, day: str = "2026-11-30") -> list[dict]:
    return [build_row({"event_id": f"{prefix}-{i}", "provider": "openai", "model": "gpt-4o",
                       "occurred_at": f"{day}T10:00:00Z",
                       "usage": {"prompt_tokens": 100, "completion_tokens": 10}},
                      BOOK, RECEIVED_AT) for i in range(count)]


def count(data_dir) -> int:
    return DuckLedger(data_dir).query("SELECT count(*) AS n FROM ai_economic_events")[0]["n"]


def test_put_is_in_the_write_ahead_log_before_it_returns(tmp_path):
    lake = LocalLake(tmp_path)

    lake.put(make_rows("a", 3))

    (segment,) = lake.wal_paths()
    lines = segment.read_bytes().splitlines()
    assert [json.loads(line)["event_id"] for line in lines] == ["a-0", "a-1", "a-2"]
    assert count(tmp_path) == 3  # queryable at once, before any flush


def test_flush_writes_parquet_by_event_date_with_the_core_schema(tmp_path):
    lake = LocalLake(tmp_path)
    lake.put(make_rows("a", 2, "2026-11-29") + make_rows("b", 3, "2026-11-30"))

    assert lake.flush() == 5

    files = sorted(tmp_path.glob("lake/ai_economic_events/dt=*/*.parquet"))
    assert [f.parent.name for f in files] == ["dt=2026-11-29", "dt=2026-11-30"]
    assert pq.read_schema(files[0]).remove_metadata() == arrow_schema()
    assert lake.wal_paths() == []
    assert count(tmp_path) == 5


def test_segment_of_a_killed_writer_is_recovered_by_the_next_flush(tmp_path):
    writer = textwrap.dedent(f"""
        import json, os, signal, sys
        sys.path.insert(0, {str(os.getcwd())!r})
        from p402.adapters.local_lake import LocalLake
        rows = [json.loads(line) for line in sys.stdin]
        LocalLake({str(tmp_path)!r}).put(rows)
        print("acknowledged", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    rows = "".join(json.dumps(r) + "\n" for r in make_rows("killed", 4))

    done = subprocess.run([sys.executable, "-c", writer], input=rows, capture_output=True,
                          text=True)

    assert done.returncode == -signal.SIGKILL and "acknowledged" in done.stdout
    assert LocalLake(tmp_path).flush() == 4
    assert count(tmp_path) == 4


def test_a_line_cut_short_by_a_crash_is_skipped(tmp_path):
    lake = LocalLake(tmp_path)
    lake.put(make_rows("whole", 2))
    (segment,) = lake.wal_paths()
    with open(segment, "ab") as handle:
        handle.write(b'{"event_id": "half')
    lake._segment = None  # as after a crash: the writer is gone

    assert LocalLake(tmp_path).flush() == 2
    assert count(tmp_path) == 2


def test_compaction_merges_small_files_and_keeps_every_row(tmp_path):
    lake = LocalLake(tmp_path)
    for n in range(COMPACT_WHEN_FILES):
        lake.put(make_rows(f"batch{n}", 3))
        lake.flush()

    removed = lake.compact()

    files = list(tmp_path.glob("lake/ai_economic_events/dt=*/*.parquet"))
    assert removed == COMPACT_WHEN_FILES
    assert len(files) == 1 and files[0].name.startswith("compact-")
    assert count(tmp_path) == COMPACT_WHEN_FILES * 3


def test_a_damaged_segment_is_quarantined_and_the_rest_still_lands(tmp_path, caplog):
    lake = LocalLake(tmp_path)
    (tmp_path / "wal" / "00000000000000000001-1-deadbeef.sealed").write_bytes(
        bytes(range(256)) * 12)
    lake.put(make_rows("after", 3))

    landed = lake.flush()

    assert landed == 3
    assert count(tmp_path) == 3
    assert (tmp_path / "wal" / "quarantine" / "00000000000000000001-1-deadbeef.sealed").exists()
    assert "WAL segment quarantined" in caplog.text
