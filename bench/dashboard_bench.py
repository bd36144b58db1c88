"""How fast the dashboard is usable in a browser with 1,000 workflows and 10 million events.

Writes the events straight to Parquet in the local lake layout (pyarrow, p402.schema's
arrow_schema), runs the jobs once (the ranking snapshot), starts `p402 serve` on 127.0.0.1
and times the pages in headless chromium (tests/dashboard/browse.mjs; `make browser` first).
Also times each ledger query on DuckDB alone, to show where the time goes.

    .venv/bin/python bench/dashboard_bench.py [--events 10000000] [--workflows 1000]
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "dashboard"))
sys.path.insert(0, str(ROOT / "tests" / "support"))

from dashboard_servers import DashboardServer, browse  # noqa: E402

from p402.schema import arrow_schema  # noqa: E402

DAYS = 30
MODELS = [("openai", "gpt-4o", 2.5, 10.0), ("anthropic", "claude-sonnet-4-5", 3.0, 15.0),
          ("openai", "gpt-4o-mini", 0.15, 0.6), ("google", "gemini-2.5-pro", 1.25, 10.0),
          ("bedrock", "amazon.nova-pro-v1:0", 0.8, 3.2)]
# Share of calls with one, two and three attempts (the retried ones carry the retry waste).
CALL_SHAPES = ((1, 0.85), (2, 0.10), (3, 0.05))


def main() -> int:
    args = _arguments()
    data = Path(tempfile.mkdtemp(prefix="p402-dash-bench-")) / "data"
    try:
        now = datetime.now(UTC).replace(microsecond=0)
        seconds = _timed(lambda: write_lake(data, args.events, args.workflows, now))
        print(f"wrote {args.events:,} events of {args.workflows:,} workflows in {seconds:.1f} s")
        print(f"settled 30 days (p402 serve does this once a day goes quiet): "
              f"{_timed(lambda: settle(data)):.1f} s")
        time.sleep(1.1)  # the snapshot's time has whole seconds: make it later than the lake
        print(f"jobs (ranking snapshot, 4 windows): {_timed(lambda: run_jobs(data)):.1f} s")
        _time_queries(data, now)
        _time_pages(data, args.repeats)
    finally:
        shutil.rmtree(data.parent, ignore_errors=True)
    return 0


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--workflows", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    return parser.parse_args()


def settle(data: Path) -> None:
    from p402.adapters.duckdb_ledger import DuckLedger

    DuckLedger(data).settle(quiet_seconds=0)


# The lake -------------------------------------------------------------------------------

def write_lake(data: Path, events: int, workflows: int, now: datetime) -> None:
    """One Parquet file per day for the last DAYS days, ending an hour before now."""
    per_day = events // DAYS
    last = (now - timedelta(hours=1)).replace(hour=0, minute=0, second=0)
    for day in range(DAYS):
        start = last - timedelta(days=DAYS - 1 - day)
        span = min(86_000, int((now - timedelta(hours=1) - start).total_seconds()))
        table = day_table(day, start, span, per_day, workflows)
        folder = data / "lake" / "ai_economic_events" / f"dt={start:%Y-%m-%d}"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, folder / "part-bench.parquet", compression="zstd")


def day_table(day: int, start: datetime, span: int, rows: int, workflows: int) -> pa.Table:
    """The events of one day: calls of one to three attempts; only the last one succeeds."""
    parts = []
    for attempts, share in CALL_SHAPES:
        calls = int(rows * share / attempts)
        parts.append(_calls(day, attempts, calls, start, span, workflows))
    return pa.concat_tables(parts).cast(arrow_schema())


def _calls(day: int, attempts: int, calls: int, start: datetime, span: int,
           workflows: int) -> pa.Table:
    n = calls * attempts
    seed = day * 10 + attempts
    call = pc.cast(pc.divide(pa.array(range(n), pa.int64()), attempts), pa.int64())
    attempt = pc.add(pc.subtract(pa.array(range(n), pa.int64()), pc.multiply(call, attempts)), 1)

    # Retried calls concentrate in fewer workflows (a steeper skew), as retry storms do.
    skew = 2 if attempts == 1 else 4
    workflow = pc.take(_ints(calls, workflows, seed, skew), call)
    model = pc.take(_ints(calls, len(MODELS), seed + 1), call)
    base = pc.take(_ints(calls, span - 10, seed + 2), call)
    moment = pc.add(pc.add(start.timestamp() * 1000, pc.multiply(base, 1000)),
                    pc.multiply(attempt, 2000))

    input_tokens = pc.add(_ints(n, 19_500, seed + 3), 500)
    output_tokens = pc.add(_ints(n, 1_450, seed + 4), 50)
    in_price = pc.take(pa.array([m[2] for m in MODELS]), model)
    out_price = pc.take(pa.array([m[3] for m in MODELS]), model)
    cost = pc.divide(pc.add(pc.multiply(input_tokens, in_price),
                            pc.multiply(output_tokens, out_price)), 1e6)

    wasted = pc.less(pc.random(n, initializer=seed + 5), 0.1)
    waste_tokens = pc.if_else(wasted, _whole(pc.multiply(input_tokens, 0.3)), None)
    cached = pc.less(pc.random(n, initializer=seed + 6), 0.2)
    read_tokens = pc.if_else(cached, _whole(pc.multiply(input_tokens, 0.5)), None)

    columns = {
        "event_id": _text(f"e{day}-{attempts}-", pa.array(range(n), pa.int64())),
        "occurred_at": pc.cast(moment, pa.int64()).cast(pa.timestamp("ms")),
        "received_at": pc.cast(pc.add(moment, 1500), pa.int64()).cast(pa.timestamp("ms")),
        "source": pa.array(["api"] * n), "schema_version": pa.array([1] * n, pa.int32()),
        "provider": pc.take(pa.array([m[0] for m in MODELS]), model),
        "model": pc.take(pa.array([m[1] for m in MODELS]), model),
        "operation": pa.array(["chat"] * n),
        "call_id": _text(f"c{day}-{attempts}-", call),
        "attempt": pc.cast(attempt, pa.int32()),
        "outcome": pc.if_else(pc.equal(attempt, attempts), "success", "rate_limited"),
        "input_tokens": input_tokens, "output_tokens": output_tokens,
        "total_tokens": pc.add(input_tokens, output_tokens),
        "cache_read_tokens": read_tokens, "usage_source": pa.array(["provider_reported"] * n),
        "cost_usd": _money(cost), "price_source": pa.array(["catalog"] * n),
        "pricing_version": pa.array(["bench"] * n),
        "cache_savings_usd": _money(pc.divide(pc.multiply(pc.multiply(read_tokens, in_price),
                                                          0.9), 1e6)),
        "context_waste_tokens": waste_tokens,
        "context_waste_usd": _money(pc.divide(pc.multiply(waste_tokens, in_price), 1e6)),
        "workflow_id": _text("wf-", workflow, pad=4),
        "project_id": _text("project-", pc.cast(pc.divide(workflow, 50), pa.int64())),
    }
    schema = arrow_schema()
    return pa.table({f.name: columns.get(f.name, pa.nulls(n, f.type)) for f in schema})


def _ints(n: int, below: int, seed: int, skew: int = 1) -> pa.Array:
    """n pseudo-random integers in [0, below), skewed toward 0 by the power `skew`."""
    uniform = pc.random(n, initializer=seed)
    return pc.cast(pc.floor(pc.multiply(pc.power(uniform, skew), below)), pa.int64())


def _whole(amount: pa.Array) -> pa.Array:
    return pc.cast(pc.floor(amount), pa.int64())


def _text(prefix: str, numbers: pa.Array, pad: int = 0) -> pa.Array:
    text = pc.cast(numbers, pa.string())
    if pad:
        text = pc.utf8_lpad(text, pad, "0")
    return pc.binary_join_element_wise(prefix, text, "")


def _money(amount: pa.Array) -> pa.Array:
    return pc.cast(pc.round(amount, 9), pa.decimal128(18, 12))


# Measurements -----------------------------------------------------------------------------

def run_jobs(data: Path) -> None:
    from p402.local.jobs_runner import run_local_jobs

    with open(os.devnull, "w") as quiet:
        run_local_jobs(data, [], datetime.now(UTC), quiet)


def _time_queries(data: Path, now: datetime) -> None:
    """Each query of the pages on DuckDB alone (two threads, as `p402 serve` runs it)."""
    from p402.adapters.duckdb_ledger import DuckLedger
    from p402.dashboard.figures import window_range, workflow_params
    from p402.ledger import saved_query, window_params

    ledger = DuckLedger(data)
    start, end = window_range("7d", now)
    window, workflow = window_params(start, end), workflow_params("wf-0000", start, end)
    cases = [("landed table, count(*) over 7 days (no view)",
              "SELECT count(*) FROM ai_economic_events_landed WHERE dt BETWEEN :first_day "
              "AND :last_day", window),
             ("view, count(*) over 7 days", "SELECT count(*) FROM ai_economic_events "
              "WHERE dt BETWEEN :first_day AND :last_day", window),
             ("optimize_ranking 7d", saved_query("optimize_ranking"), window),
             ("workflow_daily_waste 7d", saved_query("workflow_daily_waste"), window)]
    cases += [(f"{name} 7d", saved_query(name), workflow)
              for name in ("workflow_models", "workflow_retried_calls", "workflow_context_waste")]
    start, end = window_range("30d", now)
    cases += [("view, count(*) over 30 days", "SELECT count(*) FROM ai_economic_events "
               "WHERE dt BETWEEN :first_day AND :last_day", window_params(start, end)),
              ("optimize_ranking 30d", saved_query("optimize_ranking"), window_params(start, end)),
              ("workflow_models 30d", saved_query("workflow_models"),
               workflow_params("wf-0500", start, end))]
    try:
        for label, sql, params in cases:
            print(f"  DuckDB {label}: {_timed(lambda: ledger.query(sql, params)):.2f} s")
    finally:
        ledger.close()


def _time_pages(data: Path, repeats: int) -> None:
    server = DashboardServer(data).start()
    paths = ["/dashboard/optimize", "/dashboard/workflows/wf-0000",
             "/dashboard/optimize?window=30d", "/dashboard/workflows/wf-0500?window=30d"]
    try:
        runs = browse("timing", {"base": server.url, "key": server.key, "paths": paths,
                                 "repeats": repeats}, timeout=3600)
    finally:
        server.stop()
    print("pages in chromium (usable = navigation start until the table script ran):")
    for run in runs:
        print(f"  {run['path']:<44} run {run['run']}: usable {run['usable_ms']:>6} ms, "
              f"first byte {run['ttfb']:>7.0f} ms, {run['bytes'] / 1024:>6.0f} KiB")
    print(json.dumps(runs))


def _timed(step) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


if __name__ == "__main__":
    sys.exit(main())
