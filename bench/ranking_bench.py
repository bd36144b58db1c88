"""The optimize ranking over 10 million ledger rows: wall time and peak memory of the query.

Prints figures; asserts nothing. First writes (once, then reuses) 10M rows over 1,000
workflows and 30 days straight into the local lake's layout
(<data>/lake/ai_economic_events/dt=YYYY-MM-DD/part-*.parquet, schema p402.schema), built
column by column with pyarrow.compute: retried calls (call_id with attempts 1 and 2),
prompt prefix hashes that repeat within the hour, and a few redelivered event ids.

Then, for a 7-day and a 30-day window, a fresh process runs
DuckLedger(data).query(saved_query("optimize_ranking"), window_params(...)) three times and
reports the best wall time and the process's peak RSS (VmHWM), so generation memory never
counts. Targets (issue 3): under 1.5 s and under 1 GiB.

    .venv/bin/python bench/ranking_bench.py [--data /tmp/p402-ranking-10m] [--rows 10000000]
    .venv/bin/python bench/ranking_bench.py --explain 30   # EXPLAIN ANALYZE, 30-day window
"""

import argparse
import json
import shutil
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from p402.schema import arrow_schema

FIRST_DAY = datetime(2026, 1, 1, tzinfo=UTC)
DAYS = 30
WORKFLOWS = 1_000
FILES_PER_DAY = 2
DAY_MS = 86_400_000
MODELS = ("gpt-4o-2024-08-06", "gpt-4.1-mini", "gpt-5", "o3", "claude-sonnet-4-5-20250929",
          "claude-haiku-4-5", "gemini-2.5-flash", "gemini-2.5-pro",
          "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "amazon.nova-pro-v1:0")
PROVIDERS = ("openai", "openai", "openai", "openai", "anthropic", "anthropic", "google",
             "google", "bedrock", "bedrock")
MARKER = ".ranking-bench.json"


# --- generation ----------------------------------------------------------------------------

class Draw:
    """Uniform random columns from pyarrow.compute, each from its own seed."""

    def __init__(self, n: int, seed: int):
        self.n, self.seed = n, seed

    def uniform(self) -> pa.Array:
        self.seed += 1
        return pc.random(self.n, initializer=self.seed)

    def below(self, bound: int) -> pa.Array:
        return pc.cast(pc.floor(pc.multiply(self.uniform(), bound)), pa.int64())

    def flag(self, share: float) -> pa.Array:
        return pc.less(self.uniform(), share)

    def between(self, low: int, high: int) -> pa.Array:
        return pc.add(self.below(high - low), low)


def _text(prefix: str, numbers: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(prefix, pc.cast(numbers, pa.string()), "")


def _money(dollars: pa.Array) -> pa.Array:
    return pc.cast(dollars, pa.decimal128(18, 12), safe=False)


def _pick(values: tuple[str, ...], index: pa.Array) -> pa.Array:
    return pc.take(pa.array(values), index)


def day_table(day: int, part: int, n: int, first_row: int) -> pa.Table:
    """n rows of one day, as the flush would have written them."""
    draw = Draw(n, seed=(day * FILES_PER_DAY + part) * 1_000)
    rows = pc.add(pa.array(range(n), pa.int64()), first_row)
    day_start = int(FIRST_DAY.timestamp() * 1000) + day * DAY_MS
    occurred_ms = pc.add(draw.below(DAY_MS - 120_000), day_start)

    # Every 20th odd row is attempt 2 of the call of the row before it (a retried call);
    # every 2000th row repeats the event id of the row before it (a redelivery, received
    # later). Only even rows open calls, so no call gets a third attempt by accident.
    odd = pc.equal(pc.bit_wise_and(rows, 1), 1)
    retry = pc.and_(odd, draw.flag(0.10))
    step_back = pc.cast(retry, pa.int64())
    call = pc.subtract(rows, step_back)
    redelivered = pc.and_(pc.invert(retry), draw.flag(0.0005))
    event = pc.subtract(rows, pc.cast(redelivered, pa.int64()))
    occurred_ms = pc.add(occurred_ms, pc.multiply(step_back, 30_000))
    received_ms = pc.add(occurred_ms, pc.add(draw.below(2_000),
                                             pc.multiply(pc.cast(redelivered, pa.int64()),
                                                         60_000)))

    model_index = draw.below(len(MODELS))
    input_tokens = draw.between(100, 30_000)
    output_tokens = draw.between(20, 3_000)
    cache_read = pc.if_else(draw.flag(0.3), pc.divide(input_tokens, 2), 0)
    cost = pc.add(pc.multiply(pc.cast(input_tokens, pa.float64()), 2.5e-6),
                  pc.multiply(pc.cast(output_tokens, pa.float64()), 1e-5))
    has_prefix = draw.flag(0.3)
    workflow = draw.below(WORKFLOWS)
    prefix_hash = _text("h", pc.add(pc.multiply(workflow, 10), draw.below(5)))
    prefix_tokens = pc.if_else(has_prefix, pc.divide(input_tokens, 3), None)
    has_call = pc.or_(retry, draw.flag(0.7))
    null_text = pa.nulls(n, pa.string())

    columns = {
        "event_id": _text("ev-", event),
        "occurred_at": pc.cast(occurred_ms, pa.timestamp("ms")),
        "received_at": pc.cast(received_ms, pa.timestamp("ms")),
        "source": pa.repeat("api", n),
        "schema_version": pa.repeat(pa.scalar(1, pa.int32()), n),
        "provider": _pick(PROVIDERS, model_index),
        "model": _pick(MODELS, model_index),
        "operation": pa.repeat("chat", n),
        "call_id": pc.if_else(has_call, _text("call-", call), null_text),
        "attempt": pc.cast(pc.add(step_back, 1), pa.int32()),
        "streamed": draw.flag(0.4),
        "outcome": pc.if_else(draw.flag(0.97), "success", "error"),
        "latency_ms": draw.between(150, 30_000),
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "total_tokens": pc.add(input_tokens, output_tokens),
        "cache_read_tokens": cache_read,
        "cache_write_tokens": pa.repeat(pa.scalar(0, pa.int64()), n),
        "reasoning_tokens": pa.repeat(pa.scalar(0, pa.int64()), n),
        "usage_source": pa.repeat("provider_reported", n),
        "cost_usd": _money(cost),
        "price_source": pa.repeat("catalog", n),
        "pricing_version": pa.repeat("genai-prices 0.2.3", n),
        "cache_hit": pa.repeat(False, n),
        "cache_savings_usd": _money(pc.multiply(pc.cast(cache_read, pa.float64()), 2e-6)),
        "retry_cost_usd": _money(pa.repeat(0.0, n)),
        "context_waste_tokens": pa.repeat(pa.scalar(0, pa.int64()), n),
        "context_waste_usd": _money(pa.repeat(0.0, n)),
        "prompt_prefix_hash": pc.if_else(has_prefix, prefix_hash, null_text),
        "prompt_prefix_tokens": prefix_tokens,
        "prefix_rebill_usd": _money(pc.if_else(
            has_prefix, pc.multiply(pc.cast(prefix_tokens, pa.float64()), 2.25e-6), 0.0)),
        "workflow_id": _text("wf-", workflow),
        "project_id": _text("project-", draw.below(20)),
        "feature_id": _text("feature-", draw.below(50)),
        "customer_id": _text("customer-", draw.below(5_000)),
        "owner": _text("team-", draw.below(30)),
    }
    schema = arrow_schema()
    arrays = [_as(columns.get(f.name), f.type, n) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


def _as(values, kind: pa.DataType, n: int) -> pa.Array:
    if values is None:
        return pa.nulls(n, kind)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return values if values.type == kind else pc.cast(values, kind)


def generate(data: Path, total: int) -> None:
    marker = data / MARKER
    wanted = {"rows": total, "days": DAYS, "workflows": WORKFLOWS, "version": 2}
    if marker.exists() and json.loads(marker.read_text()) == wanted:
        print(f"reusing {total:,} rows in {data}")
        return
    started = time.perf_counter()
    root = data / "lake" / "ai_economic_events"
    files = DAYS * FILES_PER_DAY
    per_file = total // files
    for day in range(DAYS):
        folder = root / f"dt={(FIRST_DAY + timedelta(days=day)).date()}"
        folder.mkdir(parents=True, exist_ok=True)
        for part in range(FILES_PER_DAY):
            index = day * FILES_PER_DAY + part
            count = per_file if index < files - 1 else total - per_file * (files - 1)
            table = day_table(day, part, count, index * per_file)
            pq.write_table(table, folder / f"part-bench-{part}.parquet", compression="zstd")
    marker.write_text(json.dumps(wanted))
    size = sum(p.stat().st_size for p in root.rglob("*.parquet"))
    print(f"generated {total:,} rows, {size / 2**20:,.0f} MiB of "
          f"Parquet, in {time.perf_counter() - started:.0f} s")


# --- measurement (in a fresh process) ------------------------------------------------------

def window(days: int) -> tuple[datetime, datetime]:
    end = FIRST_DAY + timedelta(days=DAYS)
    return end - timedelta(days=days), end


def peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(data: Path, days: int, repeat: int) -> dict:
    from p402.adapters.duckdb_ledger import DuckLedger
    from p402.ledger import saved_query, window_params

    ledger = DuckLedger(data)
    sql, params = saved_query("optimize_ranking"), window_params(*window(days))
    runs, rows = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        rows = ledger.query(sql, params)
        runs.append(time.perf_counter() - started)
    return {"runs": runs, "rows": len(rows), "peak_rss_mib": peak_rss_mib(),
            "top": rows[0]["workflow_id"] if rows else None,
            "events": sum(r["events"] for r in rows)}


def in_fresh_process(data: Path, days: int, repeat: int) -> dict:
    command = [sys.executable, __file__, "--data", str(data), "--measure", str(days),
               "--repeat", str(repeat)]
    out = subprocess.run(command, capture_output=True, text=True, timeout=900)
    if out.returncode:
        raise SystemExit(f"measurement failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.splitlines()[-1])


def settle(data: Path) -> float:
    """What `p402 serve` does in the background for days that went quiet."""
    from p402.adapters.duckdb_ledger import DuckLedger

    started = time.perf_counter()
    DuckLedger(data).settle(quiet_seconds=0)
    return time.perf_counter() - started


def explain(data: Path, days: int) -> None:
    from p402.adapters.duckdb_ledger import DuckLedger, to_duckdb
    from p402.ledger import bind, saved_query, window_params

    ledger = DuckLedger(data)
    text, values = bind(saved_query("optimize_ranking"), window_params(*window(days)))
    ledger._define_ledger()
    translated = to_duckdb(text.strip().rstrip(";"))
    plan = ledger._connection.execute("EXPLAIN ANALYZE " + translated, values).fetchall()
    print(plan[0][1])


def report(data: Path, label: str, repeat: int) -> None:
    for days in (7, 30):
        result = in_fresh_process(data, days, repeat)
        runs = ", ".join(f"{r:.2f}" for r in result["runs"])
        print(f"  {label:28} {days:2}-day  {min(result['runs']):6.2f} s "
              f"peak RSS {result['peak_rss_mib']:6.0f} MiB  ({result['events']:,} events, "
              f"{result['rows']} workflows; runs {runs})")


# --- main ------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="/tmp/p402-ranking-10m")
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--explain", type=int, metavar="DAYS")
    args = parser.parse_args()
    data = Path(args.data)

    if args.measure:
        print(json.dumps(measure(data, args.measure, args.repeat)))
        return
    generate(data, args.rows)
    if args.explain:
        return explain(data, args.explain)

    shutil.rmtree(data / "derived", ignore_errors=True)
    print(f"optimize ranking, best of {args.repeat} in a fresh process per line; load average "
          f"{os.getloadavg()[0]:.2f}; targets < 1.5 s and < 1024 MiB")
    report(data, "live (no day settled yet)", args.repeat)
    print(f"  settling 30 days (p402 serve does this in the background): {settle(data):.1f} s")
    report(data, "settled days", args.repeat)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
