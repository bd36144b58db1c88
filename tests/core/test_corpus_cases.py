"""Every corpus case: a fault that shipped in a public tool, held by the ledger's row."""

from decimal import Decimal

import pytest
from core_helpers import RECEIVED_AT, corpus_cases, price_book

from p402.errors import EventRefused
from p402.events import build_row

CASES = corpus_cases()


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_corpus_case_lands_with_its_known_values(case):
    prices = price_book(case["prices"])
    expect = case["expect"]

    if expect.get("error"):
        with pytest.raises(EventRefused) as refused:
            build_row(case["input"], prices, RECEIVED_AT)
        assert refused.value.problems[0].field.startswith("usage.")
        return

    row = build_row(case["input"], prices, RECEIVED_AT)
    for key, want in expect.items():
        if key == "cost_usd" and want is not None:
            assert abs(Decimal(row["cost_usd"]) - Decimal(want)) <= Decimal("1e-9"), key
        else:
            assert row[key] == want, key


def test_negative_count_names_the_field_and_value():
    case = next(c for c in CASES if c["id"] == "negative-count-refused")

    with pytest.raises(EventRefused) as refused:
        build_row(case["input"], price_book(case["prices"]), RECEIVED_AT)

    problem = refused.value.problems[0]
    assert problem.field == "usage.prompt_tokens"
    assert problem.value == -5
    assert "whole number" in problem.expected
