"""The ledger view's rules, run as SQL on DuckDB: once per event, retry and context waste."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from p402.adapters.duckdb_ledger import DuckLedger
from p402.adapters.local_lake import LocalLake
from p402.events import build_row
from p402.ledger import saved_query, window_params
from p402.pricing import PriceBook

BOOK = PriceBook()
RECEIVED_AT = datetime(2026, 12, 1, tzinfo=UTC)
NOVEMBER = window_params(datetime(2026, 11, 1), datetime(2026, 12, 1))


def row(event_id: str, **fields) -> dict:
    event = {"event_id": event_id, "provider": "openai", "model": "gpt-4o",
             "occurred_at": "2026-11-30T10:00:00Z", "workflow_id": "wf",
             "usage": {"prompt_tokens": 1000, "completion_tokens": 100}}
    return build_row({**event, **fields}, BOOK, RECEIVED_AT)


@pytest.fixture
def ledger(tmp_path):
    lake = LocalLake(tmp_path)

    def land(rows: list[dict], flush: bool = True) -> DuckLedger:
        lake.put(rows)
        if flush:
            lake.flush()
        return DuckLedger(tmp_path)

    return land


def test_an_event_id_landed_twice_counts_once(ledger):
    engine = ledger([row("same"), row("same"), row("other")])

    assert engine.query("SELECT count(*) AS n FROM ai_economic_events") == [{"n": 2}]


def test_every_attempt_but_the_last_is_retry_waste(ledger):
    attempts = [row(f"a{n}", call_id="c", attempt=n) for n in (1, 2, 3)]
    engine = ledger(attempts)

    rows = engine.query("SELECT event_id, retry_cost_usd FROM ai_economic_events "
                        "ORDER BY event_id")

    assert rows == [{"event_id": "a1", "retry_cost_usd": Decimal("0.003500000000")},
                    {"event_id": "a2", "retry_cost_usd": Decimal("0.003500000000")},
                    {"event_id": "a3", "retry_cost_usd": Decimal("0E-12")}]


def test_retry_waste_is_not_counted_twice_when_the_client_also_flags_it(ledger):
    attempts = [row("a1", call_id="c", attempt=1, final_attempt=False),
                row("a2", call_id="c", attempt=2, final_attempt=True)]
    engine = ledger(attempts)

    rows = engine.query("SELECT sum(retry_cost_usd) AS retry FROM ai_economic_events")

    assert rows == [{"retry": Decimal("0.003500000000")}]


def test_a_repeated_prompt_prefix_within_the_hour_is_context_waste(ledger):
    first = row("p1", prompt_prefix_hash="h", prompt_prefix_tokens=800)
    repeat = row("p2", prompt_prefix_hash="h", prompt_prefix_tokens=800,
                 occurred_at="2026-11-30T10:20:00Z")
    cached = row("p3", prompt_prefix_hash="h", prompt_prefix_tokens=800,
                 occurred_at="2026-11-30T10:30:00Z",
                 usage={"prompt_tokens": 1000, "completion_tokens": 100,
                        "prompt_tokens_details": {"cached_tokens": 800}})
    much_later = row("p4", prompt_prefix_hash="h", prompt_prefix_tokens=800,
                     occurred_at="2026-11-30T15:00:00Z")
    engine = ledger([first, repeat, cached, much_later])

    rows = engine.query("SELECT event_id, context_waste_usd FROM ai_economic_events "
                        "ORDER BY event_id")

    # 800 tokens x ($2.50 - $1.25) per 1M = $0.001, only for the uncached repeat
    assert [r["context_waste_usd"] for r in rows] == [
        Decimal(0), Decimal("0.001000000000"), Decimal(0), Decimal(0)]


def test_ranking_sums_reconcile_with_the_rows(ledger):
    rows = [row(f"r{i}", workflow_id=f"wf{i % 3}", call_id=f"c{i % 4}", attempt=i // 4 + 1)
            for i in range(12)]
    engine = ledger(rows[:6] + rows[:2])  # two redelivered
    engine = ledger(rows[6:], flush=False)  # some still in the WAL

    ranking = engine.query(saved_query("optimize_ranking"), NOVEMBER)
    total = engine.query("SELECT sum(cost_usd) AS cost, sum(retry_cost_usd) AS retry "
                         "FROM ai_economic_events")[0]

    assert sum(r["spend_usd"] for r in ranking) == total["cost"]
    assert total["cost"] == sum(Decimal(r["cost_usd"]) for r in rows)
    assert sum(r["retry_cost_usd"] for r in ranking) == total["retry"]
    assert total["retry"] == Decimal("0.003500000000") * 8  # 4 calls x 3 attempts: 2 retried


def test_spend_by_groups_by_any_attribution_column(ledger):
    engine = ledger([row("a", customer_id="acme"), row("b", customer_id="acme"),
                     row("c", customer_id="initech")])

    rows = engine.query(saved_query("spend_by", group_by="customer_id", period="month"),
                        NOVEMBER)

    assert [(r["customer_id"], r["spend_usd"]) for r in rows] == [
        ("acme", Decimal("0.007000000000")), ("initech", Decimal("0.003500000000"))]


def test_a_group_by_outside_the_attribution_columns_is_refused():
    with pytest.raises(ValueError, match="group_by: got 'cost_usd; DROP"):
        saved_query("spend_by", group_by="cost_usd; DROP", period="day")


def test_a_settled_day_answers_exactly_as_the_live_view(ledger, tmp_path):
    rows = [row(f"s{i}", workflow_id=f"wf{i % 3}", call_id=f"c{i % 4}", attempt=i // 4 + 1,
                prompt_prefix_hash="h", prompt_prefix_tokens=500,
                occurred_at=f"2026-11-{28 + i % 3}T10:{i:02d}:00Z") for i in range(12)]
    engine = ledger(rows + rows[:3])
    sql = "SELECT * FROM ai_economic_events ORDER BY event_id"
    live = engine.query(sql)

    settled_days = engine.settle(quiet_seconds=0)

    assert settled_days == 3
    assert len(list(tmp_path.glob("derived/ai_economic_events/dt=*/settled-*.parquet"))) == 3
    assert engine.query(sql) == live
    assert engine.settle(quiet_seconds=0) == 0  # nothing changed since


def test_a_late_event_for_a_settled_day_is_counted_at_once(ledger):
    engine = ledger([row("a1", call_id="late", attempt=1)])
    engine.settle(quiet_seconds=0)

    engine = ledger([row("a2", call_id="late", attempt=2)], flush=False)  # still in the WAL
    in_wal = engine.query("SELECT sum(retry_cost_usd) AS retry FROM ai_economic_events")
    engine = ledger([], flush=True)
    flushed = engine.query("SELECT sum(retry_cost_usd) AS retry FROM ai_economic_events")

    assert in_wal == flushed == [{"retry": Decimal("0.003500000000")}]


def test_a_day_still_changing_is_not_settled(ledger):
    engine = ledger([row("fresh")])

    assert engine.settle(quiet_seconds=3600) == 0
