"""The money on a row: cost, cache savings, retry waste and context waste. Each rule once.

All amounts are Decimal USD; rates are USD per million tokens (see p402.pricing).
"""

from dataclasses import dataclass
from decimal import Decimal

from p402.normalizers import Usage
from p402.pricing import PROVIDER_REPORTED, UNPRICED, PriceSheet, Rates

ZERO = Decimal(0)


@dataclass(slots=True)  # values, made once per event; not frozen, for a cheaper __init__
class CallFacts:
    """What the event says about the call beyond its tokens."""

    cache_hit: bool = False  # answered from the application's own (semantic) cache
    superseded: bool = False  # the client says this attempt was retried
    context_waste_tokens: int | None = None
    prompt_prefix_tokens: int | None = None


@dataclass(slots=True)
class Economics:
    cost_usd: Decimal | None
    price_source: str
    cache_savings_usd: Decimal | None
    retry_cost_usd: Decimal | None
    context_waste_usd: Decimal | None
    prefix_rebill_usd: Decimal | None


def billed_cost(usage: Usage, rates: Rates, multiplier: Decimal) -> Decimal:
    """What the provider bills: each token kind at its own rate, times the batch multiplier.

    Uncached input at the input rate (audio input at the audio rate where one is given);
    cache reads at the cache-read rate; 5-minute cache writes at the cache-write rate and
    1-hour writes at the 1-hour rate; output, reasoning included, at the output rate (audio
    output at its own). A kind with no rate of its own falls back to the input rate (cache
    reads and writes) or to the text rate (audio), never to zero.
    """
    uncached = usage.input_tokens - usage.cache_read_tokens - usage.cache_write_tokens
    per_million = uncached * rates.input + usage.output_tokens * rates.output
    if usage.details:
        per_million += _audio_difference(usage, uncached, rates)
    if usage.cache_read_tokens:
        per_million += usage.cache_read_tokens * _first(rates.cache_read, rates.input)
    if usage.cache_write_tokens:
        write_rate = _first(rates.cache_write, rates.input)
        writes_5m = usage.cache_write_tokens - usage.cache_write_1h_tokens
        per_million += writes_5m * write_rate + usage.cache_write_1h_tokens * _first(
            rates.cache_write_1h, write_rate)
    return _per_token(per_million, multiplier)


def _audio_difference(usage: Usage, uncached: int, rates: Rates) -> Decimal:
    """Audio tokens were counted at the text rates above; this moves them to their own."""
    audio_in = min(usage.details.get("input_audio", 0), uncached)
    audio_out = min(usage.details.get("output_audio", 0), usage.output_tokens)
    return (audio_in * (_first(rates.input_audio, rates.input) - rates.input)
            + audio_out * (_first(rates.output_audio, rates.output) - rates.output))


def _per_token(per_million: Decimal, multiplier: Decimal) -> Decimal:
    """Rates are per million tokens: shifting the point six places is exact."""
    if multiplier != 1:
        per_million *= multiplier
    return Decimal(per_million).scaleb(-6)


def cache_savings(usage: Usage, rates: Rates, multiplier: Decimal) -> Decimal:
    """Provider prompt caching saves reads x (input rate - read rate), less what writes cost
    above the input rate. A call that only writes to the cache has negative savings: it
    paid a premium that later reads are meant to earn back."""
    write_rate = _first(rates.cache_write, rates.input)
    read_gain = usage.cache_read_tokens * (rates.input - _first(rates.cache_read, rates.input))
    writes_5m = usage.cache_write_tokens - usage.cache_write_1h_tokens
    write_premium = (writes_5m * (write_rate - rates.input) + usage.cache_write_1h_tokens
                     * (_first(rates.cache_write_1h, write_rate) - rates.input))
    return _per_token(read_gain - write_premium, multiplier)


def unused_context_cost(tokens: int, rates: Rates, multiplier: Decimal) -> Decimal:
    """Context the application reports as unused was bought at the full input rate."""
    return _per_token(tokens * rates.input, multiplier)


def prefix_rebill(usage: Usage, prefix_tokens: int, rates: Rates, multiplier: Decimal
                  ) -> Decimal:
    """What this call paid above the cache-read rate for prefix tokens it did not read
    from cache. It becomes context waste in the ledger view only when the same prefix was
    sent before (see p402/sql/ai_economic_events.sql): a repeated prefix billed at full
    price could have been a cache read."""
    uncached_prefix = max(0, prefix_tokens - usage.cache_read_tokens)
    gap = rates.input - _first(rates.cache_read, rates.input)
    return _per_token(uncached_prefix * gap, multiplier)


def price_call(usage: Usage, sheet: PriceSheet | None, facts: CallFacts) -> Economics:
    """All the money on one row. The provider's own reported cost wins over any price."""
    if sheet is None and usage.reported_cost_usd is None:
        return Economics(None, UNPRICED, None, None, None, None)
    if not usage.known:
        return Economics(None, sheet.source if sheet else PROVIDER_REPORTED,
                         None, None, None, None)

    rates = sheet.rates_for(usage.input_tokens) if sheet else None
    multiplier = sheet.multiplier if sheet else Decimal(1)
    cost, source = _cost_and_source(usage, sheet, rates, multiplier)

    savings = None
    if rates:
        cached = usage.cache_read_tokens or usage.cache_write_tokens
        savings = cache_savings(usage, rates, multiplier) if cached else ZERO
    if facts.cache_hit:
        cost, savings = ZERO, cost

    return Economics(
        cost_usd=cost,
        price_source=source,
        cache_savings_usd=savings,
        retry_cost_usd=cost if facts.superseded else ZERO,
        context_waste_usd=_waste(facts.context_waste_tokens, rates, multiplier),
        prefix_rebill_usd=_rebill(usage, facts.prompt_prefix_tokens, rates, multiplier),
    )


def _cost_and_source(usage: Usage, sheet: PriceSheet | None, rates: Rates | None,
                     multiplier: Decimal) -> tuple[Decimal, str]:
    if usage.reported_cost_usd is not None:
        return usage.reported_cost_usd, PROVIDER_REPORTED
    return billed_cost(usage, rates, multiplier), sheet.source


def _waste(tokens: int | None, rates: Rates | None, multiplier: Decimal) -> Decimal | None:
    if not tokens:
        return ZERO
    return unused_context_cost(tokens, rates, multiplier) if rates else None


def _rebill(usage: Usage, prefix_tokens: int | None, rates: Rates | None,
            multiplier: Decimal) -> Decimal | None:
    if not prefix_tokens:
        return ZERO
    return prefix_rebill(usage, prefix_tokens, rates, multiplier) if rates else None


def _first(value: Decimal | None, fallback: Decimal) -> Decimal:
    return fallback if value is None else value
