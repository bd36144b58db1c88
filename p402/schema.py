"""The ledger row, defined once: every other shape (API model, Parquet, Glue, SQL) reads it here.

Token convention, held by every normalizer:
  input_tokens counts every input token of the call, cache reads and cache writes included;
  cache_read_tokens and cache_write_tokens are parts of it;
  output_tokens counts every output token, reasoning included; reasoning_tokens is part of it;
  total_tokens = input_tokens + output_tokens.

Money is Decimal in the domain and stored as DECIMAL(18, 12): twelve places after the point
(a millionth of a millionth of a dollar), up to 999,999 USD a call. `to_money` is the one place
where a Decimal is rounded for storage (half-even). Sums over the ledger stay exact because
DECIMAL addition in Parquet, DuckDB and Athena is exact.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from enum import Enum

SCHEMA_VERSION = 1
MONEY_PRECISION = 18
MONEY_SCALE = 12
MONEY_QUANTUM = Decimal(1).scaleb(-MONEY_SCALE)
MONEY_LIMIT = Decimal(10) ** (MONEY_PRECISION - MONEY_SCALE)  # 1,000,000 USD, excluded
PARTITION_COLUMN = "dt"


class Kind(Enum):
    """A column's logical type, with its name in each engine."""

    STRING = ("string", "VARCHAR")
    INT = ("int", "INTEGER")
    BIGINT = ("bigint", "BIGINT")
    BOOL = ("boolean", "BOOLEAN")
    MONEY = (f"decimal({MONEY_PRECISION},{MONEY_SCALE})",
             f"DECIMAL({MONEY_PRECISION},{MONEY_SCALE})")
    TIMESTAMP = ("timestamp", "TIMESTAMP")
    STRING_MAP = ("map<string,string>", "MAP(VARCHAR, VARCHAR)")
    COUNT_MAP = ("map<string,bigint>", "MAP(VARCHAR, BIGINT)")

    @property
    def glue_type(self) -> str:
        return self.value[0]

    @property
    def duckdb_type(self) -> str:
        return self.value[1]


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    doc: str
    client_sets: bool = False  # an application may send it on the event as it is


def _col(name: str, kind: Kind, doc: str, client_sets: bool = False) -> Column:
    return Column(name, kind, doc, client_sets)


S, I, B, BOOL, M, T = Kind.STRING, Kind.INT, Kind.BIGINT, Kind.BOOL, Kind.MONEY, Kind.TIMESTAMP

COLUMNS: tuple[Column, ...] = (
    # identity and time
    _col("event_id", S, "client idempotency key; generated when absent", True),
    _col("occurred_at", T, "when the call started (UTC)", True),
    _col("received_at", T, "when p402 accepted the event (UTC)"),
    _col("source", S, "api, bedrock_invocation_log, ..."),
    _col("schema_version", I, "version of this row definition"),
    # the call
    _col("provider", S, "openai, azure, anthropic, google, bedrock, openrouter, ...", True),
    _col("model", S, "the model id as the application called it", True),
    _col("operation", S, "chat, responses, messages, converse, batch, ...", True),
    _col("service_tier", S, "the provider's tier: default, batch, flex, priority", True),
    _col("call_id", S, "one logical call; its retries share it", True),
    _col("attempt", I, "1 for the first try of a call, 2 for its first retry, ...", True),
    _col("final_attempt", Kind.BOOL, "sent: false when the client knows this attempt was "
         "retried; in the ledger view: whether the event ended its call", True),
    _col("streamed", Kind.BOOL, "the response was streamed", True),
    _col("outcome", S, "success, error, timeout, rate_limited, cancelled, ...", True),
    _col("error_type", S, "the provider's error class or code", True),
    _col("latency_ms", B, "wall time of the call", True),
    _col("time_to_first_token_ms", B, "for streams: wait for the first token", True),
    _col("request_id", S, "the provider's request id", True),
    _col("trace_id", S, "the application's trace id", True),
    _col("region", S, "where the call ran (Bedrock inference region)", True),
    _col("caller_arn", S, "AWS identity that made the call (Bedrock logs)"),
    # usage
    _col("input_tokens", B, "every input token, cache reads and writes included"),
    _col("output_tokens", B, "every output token, reasoning included"),
    _col("total_tokens", B, "input_tokens + output_tokens"),
    _col("cache_read_tokens", B, "input tokens read from the provider's prompt cache"),
    _col("cache_write_tokens", B, "input tokens written to the provider's prompt cache"),
    _col("reasoning_tokens", B, "output tokens spent on reasoning"),
    _col("usage_details", Kind.COUNT_MAP, "the rest: audio, image, tool use, 1h cache writes"),
    _col("usage_source", S, "provider_reported, client_counted or missing"),
    # economics
    _col("cost_usd", M, "what the provider bills for the call; null when unpriced"),
    _col("price_source", S, "provider_reported, catalog, override or unpriced"),
    _col("pricing_version", S, "the price catalogue (and override file) that priced it"),
    _col("cache_hit", Kind.BOOL, "answered from the application's own cache", True),
    _col("cache_savings_usd", M, "what prompt caching or a semantic-cache hit saved"),
    _col("retry_cost_usd", M, "cost of this attempt when the event says it was retried"),
    _col("context_waste_tokens", B, "input tokens the application reports as unused", True),
    _col("context_waste_usd", M, "what the unused context tokens cost"),
    _col("prompt_prefix_hash", S, "hash of the prompt's stable prefix (never its text)", True),
    _col("prompt_prefix_tokens", B, "length of that prefix in tokens", True),
    _col("prefix_rebill_usd", M, "paid above the cache-read price for the uncached prefix"),
    # attribution
    _col("action_type", S, "what the application was doing", True),
    _col("task_type", S, "kind of task: summarise, classify, ...", True),
    _col("workflow_id", S, "the workflow that made the call", True),
    _col("project_id", S, "the project the call is billed to", True),
    _col("feature_id", S, "the product feature", True),
    _col("customer_id", S, "the customer served", True),
    _col("employee_id", S, "the employee who caused it", True),
    _col("department_id", S, "the department that pays", True),
    _col("owner", S, "who answers for this spend", True),
    # governance
    _col("budget_id", S, "the budget that covers the event", True),
    _col("policy_decision", S, "that budget's state: within, warn or over", True),
    _col("evidence", Kind.STRING_MAP, "pointers such as a trace or log URI, never content", True),
    _col("metadata", Kind.STRING_MAP, "free key/values for anything custom", True),
)

COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
COLUMNS_BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}
TOKEN_COLUMNS = ("input_tokens", "output_tokens", "total_tokens", "cache_read_tokens",
                 "cache_write_tokens", "reasoning_tokens")
MONEY_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.kind is Kind.MONEY)
ATTRIBUTION_COLUMNS = ("action_type", "task_type", "workflow_id", "project_id", "feature_id",
                       "customer_id", "employee_id", "department_id", "owner", "provider",
                       "model", "source")


def to_money(amount: Decimal | None) -> Decimal | None:
    """Round a domain amount to the stored scale (half-even): where money is rounded."""
    if amount is None:
        return None
    return amount.quantize(MONEY_QUANTUM, rounding=ROUND_HALF_EVEN)


_MONEY_FORMAT = f".{MONEY_SCALE}f"


def money_text(amount: Decimal) -> str:
    """The same rounding as to_money, straight to text ("0.002137500000"): Decimal's
    fixed-point format rounds half-even under the default decimal context, in one step."""
    return format(amount, _MONEY_FORMAT)


def glue_columns() -> list[dict[str, str]]:
    """The Glue table's columns, in row order (the partition column is apart)."""
    return [{"name": c.name, "type": c.kind.glue_type, "comment": c.doc} for c in COLUMNS]


def duckdb_columns() -> dict[str, str]:
    return {c.name: c.kind.duckdb_type for c in COLUMNS}


def arrow_schema():
    """The Parquet schema of the landed table (pyarrow is imported only when asked)."""
    import pyarrow as pa

    types = {
        Kind.STRING: pa.string(),
        Kind.INT: pa.int32(),
        Kind.BIGINT: pa.int64(),
        Kind.BOOL: pa.bool_(),
        Kind.MONEY: pa.decimal128(MONEY_PRECISION, MONEY_SCALE),
        Kind.TIMESTAMP: pa.timestamp("ms"),  # always UTC, stored without a zone
        Kind.STRING_MAP: pa.map_(pa.string(), pa.string()),
        Kind.COUNT_MAP: pa.map_(pa.string(), pa.int64()),
    }
    return pa.schema([pa.field(c.name, types[c.kind]) for c in COLUMNS])
