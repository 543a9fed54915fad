"""Whole numbers read from a file (`parse_int`): bounded by what an Integer column keeps on
both stores, so a value beyond it is a rejected row with a reason, not a server error."""

from __future__ import annotations

import pytest

from lagesbild.domain.values import MAX_COLUMN_INT, parse_int
from lagesbild.errors import ValidationError


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0", 0), ("12", 12), (" 7 ", 7), ("2147483647", 2**31 - 1), ("-2147483647", -(2**31 - 1))],
)
def test_whole_numbers_up_to_a_four_byte_integer_are_read(text, expected):
    assert parse_int(text, "count") == expected


@pytest.mark.parametrize("text", ["2147483648", "3000000000", "-2147483648", "1e12"])
def test_a_whole_number_beyond_a_four_byte_integer_is_refused_with_the_bound(text):
    with pytest.raises(ValidationError) as err:
        parse_int(text, "count")
    assert "count" in str(err.value) and str(MAX_COLUMN_INT) in str(err.value)
