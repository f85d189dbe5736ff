"""Problem: message and the covering expectation."""

from __future__ import annotations

from driftline.validation import Problem
from driftline.validation.problems import COVERED_BY


def test_message_names_the_column() -> None:
    assert Problem("missing_column", "day", "is missing").message == "column 'day' is missing"
    assert Problem("too_large", None, "file is 2.0 MiB").message == "file is 2.0 MiB"


def test_check_is_the_covering_expectation_or_a_driftline_check() -> None:
    assert Problem("inf_values", "x", "").check == "expect_column_values_to_not_be_in_set"
    assert Problem("unreadable", None, "").check == "driftline_unreadable"
    assert set(COVERED_BY.values()) <= {
        "expect_table_row_count_to_be_between",
        "expect_table_columns_to_match_set",
        "expect_column_values_to_be_in_type_list",
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_not_be_in_set",
        "expect_column_values_to_be_in_set",
    }
