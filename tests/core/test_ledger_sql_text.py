"""The ledger SQL texts: named holes bind in order; identifiers come from closed lists."""

import pytest

from p402.ledger import bind, saved_query, saved_query_names, view_sql
from p402.schema import COLUMN_NAMES


def test_named_holes_become_positional_parameters_in_order():
    text, values = bind("SELECT 1 WHERE a = :x AND b = :y AND c = :x -- :z",
                        {"x": "1", "y": "2"})

    assert text == "SELECT 1 WHERE a = ? AND b = ? AND c = ? "
    assert values == ["1", "2", "1"]


def test_a_hole_without_a_value_is_named():
    with pytest.raises(ValueError, match="query parameter 'first_day' has no value"):
        bind(saved_query("optimize_ranking"), {"window_start": "x"})


def test_the_view_lists_every_column_of_the_row_definition():
    text = view_sql()

    assert "{{" not in text
    assert all(name in text for name in COLUMN_NAMES)


def test_every_saved_query_renders_with_its_defaults():
    from p402.ledger import default_identifiers

    for name in saved_query_names():
        assert "{{" not in saved_query(name, **default_identifiers(name)), name
