"""An event as an application sends it, turned into one ledger row (JSON form).

The input model is generated from the row definition in p402.schema: every column an
application may set is a field, plus the usage in one of three forms (`usage`, the
provider's own object; `tokens`, counts in the ledger's convention; `stream`, the
provider's chunks). Prompt or response text is dropped before anything else looks at it.
"""

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, TypeAdapter, ValidationError
from typing_extensions import Required, TypedDict

from p402.economics import CallFacts, Economics, price_call
from p402.errors import EventRefused, FieldProblem
from p402.normalizers import (
    is_mapping,
    COUNT_EXPECTED, MAX_TOKENS, UNKNOWN_USAGE, Usage, accumulate_stream, canonical_tokens,
    normalize_usage,
)
from p402.pricing import PriceBook, canonical_provider
from p402.schema import (
    COLUMN_NAMES, COLUMNS, MONEY_LIMIT, SCHEMA_VERSION, Kind, to_money,
)
from p402.schema import money_text as stored_money_text

# Keys that carry prompt or response text. They are dropped, wherever they appear at the
# top of an event or in its metadata, before the event is validated, stored or logged.
CONTENT_KEYS = frozenset({
    "prompt", "prompts", "messages", "message", "input", "inputs", "output", "outputs",
    "response", "responses", "completion", "completions", "content", "contents", "text",
    "system", "instructions", "choices", "candidates", "body", "request_body",
    "response_body", "prompt_text", "response_text", "input_text", "output_text",
})
OUTCOMES = ("success", "error", "timeout", "rate_limited", "cancelled", "content_filtered",
            "invalid_output")
USAGE_FORMS = ("usage", "tokens", "stream")
MAX_METADATA_KEYS = 64
MAX_EXTRA_TEXT = 256
EARLIEST = datetime(2015, 1, 1, tzinfo=UTC)
CLOCK_SKEW = timedelta(days=1)

_Text = Annotated[str, Field(min_length=1, max_length=512)]
_Count = Annotated[int, Field(ge=0, le=MAX_TOKENS)]
_Map = Annotated[dict[str, Annotated[str, Field(max_length=2048)]],
                 Field(max_length=MAX_METADATA_KEYS)]
_FIELD_TYPES: dict[Kind, Any] = {
    Kind.STRING: _Text,
    Kind.INT: Annotated[int, Field(ge=0, le=1_000_000)],
    Kind.BIGINT: _Count,
    Kind.BOOL: bool,
    Kind.TIMESTAMP: datetime,
    Kind.STRING_MAP: _Map,
}
# Columns whose values come from a closed set, or that are required.
_NARROWER: dict[str, Any] = {
    "provider": Required[_Text],
    "model": Required[_Text],
    "outcome": Literal[OUTCOMES] | None,  # type: ignore[valid-type]
    "policy_decision": Literal["within", "warn", "over"] | None,
    "attempt": Annotated[int, Field(ge=1, le=1000)] | None,
    "latency_ms": Annotated[int, Field(ge=0, le=86_400_000)] | None,
    "time_to_first_token_ms": Annotated[int, Field(ge=0, le=86_400_000)] | None,
}


def _input_fields() -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for column in COLUMNS:
        if column.client_sets:
            fields[column.name] = _NARROWER.get(column.name, _FIELD_TYPES[column.kind] | None)
    fields.update(usage=Any, tokens=Any, stream=Any)
    return fields


# The input model: a TypedDict validated by pydantic, so a valid event comes back as a plain
# dict holding only the keys that were sent (validation and the row's assembly stay cheap).
EventIn = TypedDict("EventIn", _input_fields(), total=False)  # type: ignore[misc]
EventIn.__pydantic_config__ = ConfigDict(extra="allow", str_strip_whitespace=True)
_EVENT_IN = TypeAdapter(EventIn)
INPUT_FIELDS = frozenset(EventIn.__annotations__)


def strip_content(event: Mapping[str, Any]) -> dict[str, Any]:
    """The event without any key that can carry prompt or response text."""
    clean = {k: v for k, v in event.items() if k not in CONTENT_KEYS}
    metadata = clean.get("metadata")
    if is_mapping(metadata):
        clean["metadata"] = {k: v for k, v in metadata.items() if k not in CONTENT_KEYS}
    return clean


def build_row(event: Any, prices: PriceBook, received_at: datetime, source: str = "api",
              *, caller_arn: str | None = None) -> dict[str, Any]:
    """One ledger row from one event, or EventRefused naming every problem found.

    `caller_arn` is not a field an application may send: only a trusted source (the
    Bedrock log importer, which reads it from AWS's own record) passes it here.
    """
    if not is_mapping(event):
        raise EventRefused([FieldProblem("event", event, "a JSON object")])
    sent = _validate(event)  # content keys pass as extras; _row never stores them
    provider = canonical_provider(sent["provider"])
    usage = _usage_of(sent, provider)
    facts = _call_facts(sent, usage)

    tier = (sent.get("service_tier") or _usage_tier(sent.get("usage")) or "").lower()
    batch = tier == "batch" or (sent.get("operation") or "").lower() == "batch"
    sheet = prices.sheet(provider, sent["model"], tier, batch)
    economics = price_call(usage, sheet, facts)

    occurred_at = _occurred_at(sent.get("occurred_at"), received_at)
    row = _row(sent, provider, usage, economics, occurred_at, received_at, source,
               prices.version)
    row["caller_arn"] = caller_arn
    return row


def _validate(event: dict[str, Any]) -> dict[str, Any]:
    try:
        return _EVENT_IN.validate_python(event)
    except ValidationError as exc:
        raise EventRefused([_problem(error) for error in exc.errors()]) from None


def _problem(error: Mapping[str, Any]) -> FieldProblem:
    field = ".".join(str(part) for part in error["loc"]) or "event"
    if error["type"] == "missing":
        return FieldProblem(field, None, "a value (this field is required)")
    return FieldProblem(field, error.get("input"), _expected(error["msg"]))


def _expected(message: str) -> str:
    """pydantic's "Input should be a valid integer" reads as "a valid integer" here."""
    for prefix in ("Input should be ", "Value should be ", "Value should have "):
        if message.startswith(prefix):
            return message[len(prefix):]
    return message[:1].lower() + message[1:]


def _usage_of(sent: dict[str, Any], provider: str) -> Usage:
    given = [form for form in USAGE_FORMS if sent.get(form) is not None]
    if len(given) > 1:
        raise EventRefused([FieldProblem(given[1], "...", f"only one of {USAGE_FORMS}")])
    if not given:
        return UNKNOWN_USAGE

    try:
        if given[0] == "tokens":
            return canonical_tokens(sent["tokens"])
        if given[0] == "stream":
            return accumulate_stream(provider, sent["stream"])
        return normalize_usage(provider, sent["usage"])
    except FieldProblem as problem:
        raise EventRefused([problem]) from None


def _usage_tier(usage: Any) -> str | None:
    tier = usage.get("service_tier") if is_mapping(usage) else None
    return tier if isinstance(tier, str) else None


def _call_facts(sent: dict[str, Any], usage: Usage) -> CallFacts:
    problems = []
    for name in ("context_waste_tokens", "prompt_prefix_tokens"):
        value = sent.get(name)
        if value is not None and usage.known and value > usage.input_tokens:
            expected = f"at most input_tokens ({usage.input_tokens})"
            problems.append(FieldProblem(name, value, expected))
    if problems:
        raise EventRefused(problems)
    return CallFacts(
        cache_hit=bool(sent.get("cache_hit")),
        superseded=sent.get("final_attempt") is False,
        context_waste_tokens=sent.get("context_waste_tokens"),
        prompt_prefix_tokens=sent.get("prompt_prefix_tokens"),
    )


def _occurred_at(value: datetime | None, received_at: datetime) -> datetime:
    if value is None:
        return received_at
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if not EARLIEST <= value <= received_at + CLOCK_SKEW:
        raise EventRefused([FieldProblem(
            "occurred_at", value.isoformat(),
            f"an ISO-8601 time between {EARLIEST.date()} and a day after now")])
    return value.astimezone(UTC)


def iso_z(moment: datetime) -> str:
    """ISO-8601 in UTC with milliseconds and `Z`, as Firehose and the lake read it."""
    if moment.utcoffset():
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


_ZERO_TEXT = stored_money_text(Decimal(0))
_last_received: tuple[datetime | None, str] = (None, "")


def _received_text(received_at: datetime) -> str:
    """A batch shares one received_at: its text is made once, not once per event."""
    global _last_received
    moment, text = _last_received
    if moment != received_at:
        text = iso_z(received_at)
        _last_received = (received_at, text)
    return text


def money_text(amount: Decimal | None) -> str | None:
    """Money in the row's JSON form: a decimal string at the stored scale."""
    if amount is None:
        return None
    if not amount:
        return _ZERO_TEXT
    return stored_money_text(amount)


_EMPTY_ROW = dict.fromkeys(COLUMN_NAMES)


def _row(sent: dict[str, Any], provider: str, usage: Usage, economics: Economics,
         occurred_at: datetime, received_at: datetime, source: str, pricing_version: str
         ) -> dict[str, Any]:
    row = _EMPTY_ROW.copy()
    extra = None
    for name, value in sent.items():
        if name in row:
            row[name] = value
        elif name not in INPUT_FIELDS and name not in CONTENT_KEYS:
            extra = extra or {}
            extra[name] = value

    row["event_id"] = sent.get("event_id") or str(uuid.uuid4())
    row["occurred_at"] = iso_z(occurred_at)
    row["received_at"] = _received_text(received_at)
    row["source"] = source
    row["schema_version"] = SCHEMA_VERSION
    row["provider"] = provider
    row["cache_hit"] = bool(row["cache_hit"])
    row["context_waste_tokens"] = row["context_waste_tokens"] or 0
    row["metadata"] = _metadata(row["metadata"], extra)
    row["pricing_version"] = pricing_version
    _put_usage(row, usage)
    _put_money(row, economics)
    return row


def _put_usage(row: dict[str, Any], usage: Usage) -> None:
    known = usage.known
    details = usage.details
    if usage.cache_write_1h_tokens:
        details = {**details, "cache_write_1h": usage.cache_write_1h_tokens}
    row["input_tokens"] = usage.input_tokens
    row["output_tokens"] = usage.output_tokens
    row["total_tokens"] = usage.total_tokens
    row["cache_read_tokens"] = usage.cache_read_tokens if known else None
    row["cache_write_tokens"] = usage.cache_write_tokens if known else None
    row["reasoning_tokens"] = usage.reasoning_tokens
    row["usage_details"] = details or None
    row["usage_source"] = usage.source


def _put_money(row: dict[str, Any], economics: Economics) -> None:
    _check_storable(economics)
    row["cost_usd"] = money_text(economics.cost_usd)
    row["price_source"] = economics.price_source
    row["cache_savings_usd"] = money_text(economics.cache_savings_usd)
    row["retry_cost_usd"] = money_text(economics.retry_cost_usd)
    row["context_waste_usd"] = money_text(economics.context_waste_usd)
    row["prefix_rebill_usd"] = money_text(economics.prefix_rebill_usd)


_NEAR_LIMIT = MONEY_LIMIT - 1  # below it, no rounding can reach the limit


def _check_storable(economics: Economics) -> None:
    """One call costing a million dollars or more is a bad count or a bad price, and it
    would not fit the stored DECIMAL(18, 12): refused, never rounded or dropped."""
    cost = economics.cost_usd
    if cost is not None and abs(cost) >= _NEAR_LIMIT and to_money(abs(cost)) >= MONEY_LIMIT:
        raise EventRefused([FieldProblem(
            "cost_usd", format(cost, "f"),
            f"under {MONEY_LIMIT:,} USD for one call (check the token counts, the "
            "reported cost and the price file)")])
    for name in ("cache_savings_usd", "context_waste_usd", "prefix_rebill_usd"):
        amount = getattr(economics, name)
        if amount and abs(amount) >= _NEAR_LIMIT and to_money(abs(amount)) >= MONEY_LIMIT:
            raise EventRefused([FieldProblem(name, format(amount, "f"),
                                             f"under {MONEY_LIMIT:,} USD for one call")])


def _metadata(sent: dict[str, str] | None, extra: dict[str, Any] | None
              ) -> dict[str, str] | None:
    """The client's metadata less any content key, plus each unknown top-level field as
    text (see _extra_fields)."""
    if sent and not CONTENT_KEYS.isdisjoint(sent):
        sent = {k: v for k, v in sent.items() if k not in CONTENT_KEYS}
    if not extra:
        return sent or None
    metadata = dict(sent or {})
    metadata.update(_extra_fields(extra))
    return metadata or None


def _extra_fields(extra: Mapping[str, Any]) -> dict[str, str]:
    """Unknown fields are kept when they are short scalars, refused otherwise: a long text
    or a nested object may be content sent by mistake, which must never be stored."""
    kept, problems = {}, []
    for key, value in extra.items():
        short_scalar = isinstance(value, (int, float, bool)) or (
            isinstance(value, str) and len(value) <= MAX_EXTRA_TEXT)
        if short_scalar and len(kept) < MAX_METADATA_KEYS:
            kept[key] = value if isinstance(value, str) else str(value).lower()
        else:
            problems.append(FieldProblem(key, "...", "a ledger column, or a short scalar "
                                         f"(text up to {MAX_EXTRA_TEXT} characters) kept in "
                                         "metadata; put custom values in `metadata`"))
    if problems:
        raise EventRefused(problems)
    return kept
