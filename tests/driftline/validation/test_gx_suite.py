"""Contract -> Great Expectations suite compilation."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from driftline.validation import DataContract, build_suite, suite_name
from driftline.validation.gx_suite import META_KEY, TYPE_LISTS


@pytest.fixture(scope="module")
def suite(contract: DataContract):
    return build_suite(contract)


def test_one_expectation_per_rule(contract: DataContract, suite) -> None:
    types = Counter(e.expectation_type for e in suite.expectations)
    n_ranged = sum(c.min is not None for c in contract.columns)
    n_numeric = sum(c.kind == "numeric" for c in contract.columns)
    n_sets = sum(c.categories is not None for c in contract.columns)
    assert types == {
        "expect_table_columns_to_match_set": 1,
        "expect_table_row_count_to_be_between": 1,
        "expect_column_values_to_be_in_type_list": len(contract.columns),
        "expect_column_values_to_not_be_null": len(contract.columns),
        "expect_column_values_to_be_between": n_ranged,
        "expect_column_values_to_not_be_in_set": n_numeric,
        "expect_column_values_to_be_in_set": n_sets,
    }
    assert all(META_KEY in e.meta for e in suite.expectations)


def test_parameters_follow_the_contract(contract: DataContract, suite) -> None:
    by_key = {(e.expectation_type, getattr(e, "column", None)): e for e in suite.expectations}
    temp = contract.column("temp")
    assert by_key["expect_column_values_to_not_be_null", "temp"].mostly == pytest.approx(
        1 - temp.max_null_rate
    )
    price = by_key["expect_column_values_to_be_between", "price"]
    assert (price.min_value, price.max_value) == (
        contract.column("price").min,
        contract.column("price").max,
    )
    day = by_key["expect_column_values_to_be_in_set", "day"]
    assert list(day.value_set) == list(contract.column("day").categories)
    assert (
        by_key["expect_column_values_to_be_in_type_list", "qty"].type_list == TYPE_LISTS["integer"]
    )
    # integer categories (the target) are type-checked as integers
    assert (
        by_key["expect_column_values_to_be_in_type_list", "label"].type_list
        == TYPE_LISTS["integer"]
    )
    cols = by_key["expect_table_columns_to_match_set", None]
    assert set(cols.column_set) == set(contract.column_names) and cols.exact_match is True


def test_nullable_everything_has_no_null_check(contract: DataContract) -> None:
    spec = replace(contract.column("temp"), max_null_rate=1.0)
    c = replace(contract, columns=tuple(spec if s.name == "temp" else s for s in contract.columns))
    nulls = [e for e in build_suite(c).expectations if e.expectation_type.endswith("not_be_null")]
    assert "temp" not in {e.column for e in nulls}


def test_suite_name_tracks_contract_changes(contract: DataContract) -> None:
    assert suite_name(contract) == suite_name(replace(contract, path="/elsewhere.yaml"))
    assert suite_name(contract) != suite_name(replace(contract, min_rows=10))
    assert suite_name(replace(contract, version=2)).startswith("synthetic.v2.")
