"""Current models of every provider are priced from the bundled catalogue, offline."""

from decimal import Decimal

import pytest
from core_helpers import RECEIVED_AT

from p402.events import build_row
from p402.pricing import PriceBook

OPENAI_CHAT = {"prompt_tokens": 1000, "completion_tokens": 100, "total_tokens": 1100}
OPENAI_RESPONSES = {"input_tokens": 1000, "output_tokens": 100, "total_tokens": 1100}
ANTHROPIC = {"input_tokens": 1000, "output_tokens": 100}
GEMINI = {"promptTokenCount": 1000, "candidatesTokenCount": 100, "totalTokenCount": 1100}
CONVERSE = {"inputTokens": 1000, "outputTokens": 100}

MODELS = [
    ("openai", "gpt-4o", OPENAI_CHAT),
    ("openai", "gpt-4.1", OPENAI_CHAT),
    ("openai", "gpt-4.1-mini", OPENAI_CHAT),
    ("openai", "gpt-5", OPENAI_RESPONSES),
    ("openai", "o3", OPENAI_RESPONSES),
    ("openai", "o4-mini", OPENAI_RESPONSES),
    ("azure", "gpt-4o", OPENAI_CHAT),
    ("anthropic", "claude-sonnet-4-5-20250929", ANTHROPIC),
    ("anthropic", "claude-haiku-4-5", ANTHROPIC),
    ("anthropic", "claude-opus-4-1", ANTHROPIC),
    ("google", "gemini-2.5-pro", GEMINI),
    ("google", "gemini-2.5-flash", GEMINI),
    ("bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", CONVERSE),
    ("bedrock", "global.anthropic.claude-sonnet-4-5-20250929-v1:0", CONVERSE),
    ("bedrock", "eu.anthropic.claude-sonnet-4-5-20250929-v1:0", CONVERSE),
    ("bedrock", "anthropic.claude-3-haiku-20240307-v1:0", CONVERSE),
    ("bedrock", "amazon.nova-lite-v1:0", CONVERSE),
    ("bedrock", "us.amazon.nova-pro-v1:0", CONVERSE),
    ("bedrock", "us.meta.llama3-3-70b-instruct-v1:0", CONVERSE),
    ("openrouter", "anthropic/claude-sonnet-4.5", OPENAI_CHAT),
]


@pytest.fixture(scope="module")
def catalog():
    return PriceBook()


@pytest.mark.parametrize("provider,model,usage", MODELS, ids=[m[1] for m in MODELS])
def test_current_model_is_priced_from_the_catalogue(catalog, provider, model, usage):
    row = build_row({"provider": provider, "model": model, "usage": usage}, catalog,
                    RECEIVED_AT)

    assert row["price_source"] == "catalog"
    assert Decimal(row["cost_usd"]) > 0
    assert row["pricing_version"].startswith("genai-prices ")


def test_us_geo_profile_costs_more_than_global(catalog):
    def cost(prefix: str) -> Decimal:
        event = {"provider": "bedrock", "usage": CONVERSE,
                 "model": f"{prefix}.anthropic.claude-sonnet-4-5-20250929-v1:0"}
        return Decimal(build_row(event, catalog, RECEIVED_AT)["cost_usd"])

    assert cost("us") > cost("global")
    assert cost("us") == Decimal("0.004950000000")  # 1000 x $3.30 + 100 x $16.50 per 1M
    assert cost("global") == Decimal("0.004500000000")


def test_foundation_model_arn_is_priced_as_its_model(catalog):
    arn = ("arn:aws:bedrock:us-east-1::foundation-model/"
           "anthropic.claude-3-haiku-20240307-v1:0")
    row = build_row({"provider": "bedrock", "model": arn, "usage": CONVERSE}, catalog,
                    RECEIVED_AT)

    assert row["cost_usd"] == "0.000375000000"  # 1000 x $0.25 + 100 x $1.25 per 1M


def test_application_inference_profile_maps_to_its_model_by_config():
    arn = "arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/abc123"
    book = PriceBook(aliases={arn: "anthropic.claude-3-haiku-20240307-v1:0"})

    row = build_row({"provider": "bedrock", "model": arn, "usage": CONVERSE}, book,
                    RECEIVED_AT)

    assert row["price_source"] == "catalog"
    assert row["cost_usd"] == "0.000375000000"


def test_catalogue_batch_variant_halves_the_price(catalog):
    standard = build_row({"provider": "openai", "model": "gpt-5", "usage": OPENAI_RESPONSES},
                         catalog, RECEIVED_AT)
    batch = build_row({"provider": "openai", "model": "gpt-5", "operation": "batch",
                       "usage": OPENAI_RESPONSES}, catalog, RECEIVED_AT)

    assert Decimal(batch["cost_usd"]) * 2 == Decimal(standard["cost_usd"])


def test_a_price_file_typo_is_refused_by_name():
    import json

    import pytest

    from p402.errors import PriceFileError
    from p402.pricing import load_price_file

    entry = {"provider": "openai", "model": "gpt-4o", "input": 1, "ouput": 2}
    with pytest.raises(PriceFileError, match=r"entry 0: unknown field\(s\) \['ouput'\]"):
        load_price_file(json.dumps([entry]))


def test_a_provider_pattern_in_the_price_file_matches_any_provider():
    import json

    from p402.pricing import load_price_file

    entries = [{"provider": "*", "model": "house-model-*", "input": 1, "output": 2}]
    book = PriceBook(*load_price_file(json.dumps(entries)))
    row = build_row({"provider": "acme", "model": "house-model-7", "tokens": {
        "input_tokens": 1_000_000, "output_tokens": 1_000_000}}, book, RECEIVED_AT)

    assert (row["price_source"], row["cost_usd"]) == ("override", "3.000000000000")
