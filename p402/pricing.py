"""Prices per model: genai-prices' bundled catalogue, overridden by a price file where it matches.

A model's prices are resolved once per (provider, model, tier) and cached. Lookup order:
an override for the exact id, an override for the Bedrock base id (`us.`, `eu.`, `apac.`,
`global.` ... stripped), the catalogue for the exact id, the catalogue for the base id.
The catalogue is never fetched from the network: the copy bundled with the package is used.
Catalogue prices are the ones in force when the model is first priced in this process.
"""

import fnmatch
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from importlib.metadata import version
from typing import Any

from p402.errors import PriceFileError

CATALOG = "catalog"
OVERRIDE = "override"
PROVIDER_REPORTED = "provider_reported"
UNPRICED = "unpriced"

# Batch APIs of OpenAI, Anthropic, Gemini and Bedrock bill half the standard rates. Used
# only where neither the catalogue nor an override file says otherwise for the model.
DEFAULT_BATCH_MULTIPLIER = Decimal("0.5")

BEDROCK_GEO_PREFIXES = ("us.", "eu.", "apac.", "jp.", "au.", "ca.", "us-gov.", "global.")
RATE_KEYS = ("input", "output", "cache_read", "cache_write", "cache_write_1h",
             "input_audio", "output_audio")
_CATALOG_KEYS = {
    "input_mtok": "input",
    "output_mtok": "output",
    "cache_read_mtok": "cache_read",
    "cache_write_mtok": "cache_write",
    "cache_write_1h_mtok": "cache_write_1h",
    "input_audio_mtok": "input_audio",
    "output_audio_mtok": "output_audio",
}
_CATALOG_PROVIDER = {
    "openai": "openai", "azure": "azure", "azure_openai": "azure",
    "anthropic": "anthropic", "google": "google", "gemini": "google", "vertex_ai": "google",
    "bedrock": "aws", "aws": "aws", "openrouter": "openrouter",
}
_PROVIDER_ALIASES = {"aws": "bedrock", "gemini": "google", "vertex_ai": "google",
                     "azure_openai": "azure"}


@dataclass(frozen=True, slots=True)
class Rates:
    """USD per million tokens of each kind; None where the source gives no price."""

    input: Decimal | None = None
    output: Decimal | None = None
    cache_read: Decimal | None = None
    cache_write: Decimal | None = None
    cache_write_1h: Decimal | None = None
    input_audio: Decimal | None = None
    output_audio: Decimal | None = None


@dataclass(frozen=True, slots=True)
class PriceSheet:
    """How one model is billed: base rates, whole-request tiers, and a batch multiplier."""

    rates: Rates
    tiers: tuple[tuple[int, Rates], ...] = ()
    multiplier: Decimal = Decimal(1)
    source: str = CATALOG

    def rates_for(self, input_tokens: int) -> Rates:
        """Tiers are judged on all input tokens; crossing one bills the whole request there."""
        chosen = self.rates
        for threshold, rates in self.tiers:
            if input_tokens > threshold:
                chosen = rates
        return chosen


@dataclass(frozen=True)
class PriceEntry:
    """One entry of a price-override file (USD per million tokens)."""

    provider: str
    model_pattern: str
    rates: Rates
    tiers: tuple[tuple[int, Rates], ...]
    batch_multiplier: Decimal | None

    def matches(self, provider: str, model: str) -> bool:
        return (fnmatch.fnmatchcase(provider, self.provider)
                and fnmatch.fnmatchcase(model, self.model_pattern))


def canonical_provider(provider: str) -> str:
    provider = provider.strip().lower()
    return _PROVIDER_ALIASES.get(provider, provider)


def bedrock_base_id(model: str) -> str | None:
    """`us.anthropic.claude...` -> `anthropic.claude...`; None when there is no prefix."""
    for prefix in BEDROCK_GEO_PREFIXES:
        if model.startswith(prefix):
            return model[len(prefix):]
    return None


def model_from_arn(model: str) -> str:
    """A foundation-model or system inference-profile ARN names its model after the slash."""
    if model.startswith("arn:") and "/" in model and ":application-inference-profile/" not in model:
        return model.rsplit("/", 1)[1]
    return model


class PriceBook:
    """Resolves and caches the price sheet of each model."""

    def __init__(self, overrides: list[PriceEntry] | None = None,
                 aliases: Mapping[str, str] | None = None, overrides_digest: str = ""):
        self._overrides = list(overrides or [])
        self._aliases = dict(aliases or {})
        self._cache: dict[tuple[str, str, str, bool], PriceSheet | None] = {}
        self.version = f"genai-prices {version('genai-prices')}"
        if overrides_digest:
            self.version += f" + overrides {overrides_digest}"

    def resolve_model(self, model: str) -> str:
        """Application-inference-profile ARNs map to their model by configuration."""
        return model_from_arn(self._aliases.get(model, model))

    def sheet(self, provider: str, model: str, tier: str = "", batch: bool = False
              ) -> PriceSheet | None:
        key = (provider, model, tier, batch)
        if key not in self._cache:
            self._cache[key] = self._find(canonical_provider(provider), model, tier, batch)
        return self._cache[key]

    def _find(self, provider: str, model: str, tier: str, batch: bool) -> PriceSheet | None:
        model = self.resolve_model(model)
        base = bedrock_base_id(model) if provider == "bedrock" else None
        candidates = [model] + ([base] if base else [])

        for candidate in candidates:
            if sheet := self._override(provider, candidate, batch):
                return sheet
        for candidate in candidates:
            if sheet := _catalog_sheet(provider, candidate, tier, batch):
                return sheet
        return None

    def _override(self, provider: str, model: str, batch: bool) -> PriceSheet | None:
        for entry in self._overrides:
            if entry.matches(provider, model):
                multiplier = Decimal(1)
                if batch:
                    multiplier = entry.batch_multiplier or DEFAULT_BATCH_MULTIPLIER
                return PriceSheet(entry.rates, entry.tiers, multiplier, OVERRIDE)
        return None


def _catalog_sheet(provider: str, model: str, tier: str, batch: bool) -> PriceSheet | None:
    found = _catalog_model(provider, model)
    if found is None:
        return None

    context: dict[str, str] = {}
    if tier and tier not in ("default", "auto", "standard", "batch"):
        context["service_tier"] = tier
    has_batch_variant = any(v.when.get("processing") == "batch"
                            for v in (found.price_variants or ()))
    if batch and has_batch_variant:
        context["processing"] = "batch"

    prices = found.get_prices(datetime.now(UTC), context or None)
    sheet = _sheet_from_catalog(prices)
    if sheet is None:
        return None
    if batch and not has_batch_variant:
        sheet = replace(sheet, multiplier=DEFAULT_BATCH_MULTIPLIER)
    return sheet


def _catalog_model(provider: str, model: str):
    from genai_prices import data_snapshot

    provider_id = _CATALOG_PROVIDER.get(provider, provider)
    try:
        _, found = data_snapshot.get_snapshot().find_provider_model(model, None, provider_id, None)
    except LookupError:
        return None
    return found


def _sheet_from_catalog(prices) -> PriceSheet | None:
    base: dict[str, Decimal] = {}
    tiered: dict[int, dict[str, Decimal]] = {}
    for catalog_key, our_key in _CATALOG_KEYS.items():
        value = getattr(prices, catalog_key, None)
        if value is None:
            continue
        if isinstance(value, Decimal):
            base[our_key] = value
            continue
        base[our_key] = value.base
        for tier in value.tiers:
            tiered.setdefault(tier.start, {})[our_key] = tier.price

    if "input" not in base or "output" not in base:
        return None
    tiers = tuple((start, Rates(**{**base, **over})) for start, over in sorted(tiered.items()))
    return PriceSheet(Rates(**base), tiers)


def load_price_file(text: str) -> tuple[list[PriceEntry], dict[str, str], str]:
    """Parses an override file: a list of price entries, or an object with `prices` and
    `model_aliases` (application-inference-profile ARN -> model id). Returns the entries,
    the aliases and a short digest that goes into every row's pricing_version."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise PriceFileError(f"price file: not JSON ({exc})") from exc
    entries, aliases = document, {}
    if isinstance(document, Mapping):
        entries = document.get("prices", [])
        aliases = document.get("model_aliases", {})
    if not isinstance(entries, list) or not isinstance(aliases, Mapping):
        raise PriceFileError("price file: expected a list of price entries, or an object "
                             "with a `prices` list and a `model_aliases` object")
    parsed = [_price_entry(entry, index) for index, entry in enumerate(entries)]
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    return parsed, {str(k): str(v) for k, v in aliases.items()}, digest


_ENTRY_KEYS = frozenset({"provider", "model", "tiers", "batch_multiplier", "comment",
                         *RATE_KEYS})


def _price_entry(entry: Any, index: int) -> PriceEntry:
    where = f"price file entry {index}"
    if not isinstance(entry, Mapping):
        raise PriceFileError(f"{where}: got {entry!r}, expected an object")
    unknown = sorted(set(entry) - _ENTRY_KEYS)
    if unknown:  # a typo ("ouput") must not leave a price silently unset
        raise PriceFileError(f"{where}: unknown field(s) {unknown}, expected among "
                             f"{sorted(_ENTRY_KEYS)}")
    for key in ("provider", "model"):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise PriceFileError(f"{where}: `{key}` got {entry.get(key)!r}, expected a string")

    tiers = []
    for tier_index, tier in enumerate(entry.get("tiers") or []):
        threshold = tier.get("above_input_tokens") if isinstance(tier, Mapping) else None
        if not isinstance(threshold, int) or threshold < 0:
            raise PriceFileError(f"{where} tier {tier_index}: `above_input_tokens` got "
                                 f"{threshold!r}, expected a whole number")
        tiers.append((threshold, _rates(tier, f"{where} tier {tier_index}")))
    tiers.sort(key=lambda t: t[0])

    multiplier = entry.get("batch_multiplier")
    return PriceEntry(
        provider=canonical_provider(entry["provider"]),
        model_pattern=entry["model"],
        rates=_rates(entry, where),
        tiers=tuple(tiers),
        batch_multiplier=_decimal(multiplier, f"{where}.batch_multiplier") if multiplier else None,
    )


def _rates(source: Mapping, where: str) -> Rates:
    values = {k: _decimal(source[k], f"{where}.{k}") for k in RATE_KEYS
              if source.get(k) is not None}
    if "input" not in values or "output" not in values:
        raise PriceFileError(f"{where}: `input` and `output` prices are required")
    return Rates(**values)


def _decimal(value: Any, where: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        number = Decimal(-1)
    if isinstance(value, bool) or not number.is_finite() or number < 0:
        raise PriceFileError(f"{where}: got {value!r}, expected a non-negative number")
    return number

