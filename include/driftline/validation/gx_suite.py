"""Compile a :class:`~driftline.validation.contract.DataContract` into a Great Expectations suite.

One expectation per rule of the contract (Great Expectations 1.x core expectations):

=======================================================  ======================  ==================
Expectation                                              Contract rule           ``driftline_check``
=======================================================  ======================  ==================
``expect_table_columns_to_match_set``                    columns (exact unless   ``columns``
                                                         ``allow_extra_columns``)
``expect_table_row_count_to_be_between``                 ``min_rows..max_rows``  ``row_count``
``expect_column_values_to_be_in_type_list``              ``kind``                ``wrong_type``
``expect_column_values_to_not_be_null``                  ``mostly = 1 -          ``too_many_nulls``
                                                         max_null_rate``
``expect_column_values_to_be_between``                   ``min..max``,           ``out_of_range``
                                                         ``range_mostly``
``expect_column_values_to_not_be_in_set`` ``[inf, -inf]``  numeric values finite  ``inf_values``
``expect_column_values_to_be_in_set``                    ``categories``,         ``unseen_categories``
                                                         ``categories_mostly``
=======================================================  ======================  ==================

Each expectation carries ``meta["driftline_check"]`` so results map back to the rule.
Great Expectations is imported lazily: importing this module is cheap.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from driftline.validation.contract import ColumnSpec, DataContract

if TYPE_CHECKING:  # pragma: no cover
    import great_expectations as gx

_INTEGER_TYPES = [
    *(f"{p}int{b}" for p in ("", "u") for b in (8, 16, 32, 64)),
    *(f"{p}Int{b}Dtype" for p in ("", "U") for b in (8, 16, 32, 64)),
]

#: Dtype names accepted by ``expect_column_values_to_be_in_type_list`` for each kind,
#: after the reader converted the column (see :class:`~driftline.validation.readers.ReadResult`).
TYPE_LISTS: dict[str, list[str]] = {
    "numeric": ["float64", "float32", "float16"],
    "integer": _INTEGER_TYPES,
    "categorical": ["str"],
    "boolean": ["bool", "BooleanDtype"],
    "datetime": [f"datetime64[{u}]" for u in ("ns", "us", "ms", "s")],
}

META_KEY = "driftline_check"


def import_gx() -> Any:
    """Import Great Expectations with usage statistics disabled (the machine is offline)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations

    return great_expectations


def suite_name(contract: DataContract) -> str:
    """Name of the suite compiled from ``contract`` (changes whenever the contract does).

    >>> from driftline.validation.contract import ColumnSpec, DataContract
    >>> c = DataContract("elec2", (ColumnSpec("y", "integer", role="target"),), target="y")
    >>> suite_name(c).startswith("elec2.v1.")
    True
    """
    return f"{contract.name}.v{contract.version}.{contract.fingerprint()[:12]}"


def type_list(spec: ColumnSpec) -> list[str]:
    """Accepted dtype names for ``spec`` (integer categories use the integer list)."""
    if (
        spec.kind == "categorical"
        and spec.categories
        and all(isinstance(c, int) for c in spec.categories)
    ):
        return TYPE_LISTS["integer"]
    return TYPE_LISTS[spec.kind]


def build_suite(contract: DataContract) -> gx.ExpectationSuite:
    """The Great Expectations suite enforcing ``contract`` (not yet added to a context)."""
    gx = import_gx()
    E = gx.expectations

    def tag(check: str) -> dict[str, str]:
        return {META_KEY: check}

    expectations: list[Any] = [
        E.ExpectTableColumnsToMatchSet(
            column_set=list(contract.column_names),
            exact_match=not contract.allow_extra_columns,
            meta=tag("columns"),
        ),
        E.ExpectTableRowCountToBeBetween(
            min_value=contract.min_rows, max_value=contract.max_rows, meta=tag("row_count")
        ),
    ]
    for spec in contract.columns:
        col = spec.name
        expectations.append(
            E.ExpectColumnValuesToBeInTypeList(
                column=col, type_list=type_list(spec), meta=tag("wrong_type")
            )
        )
        if spec.max_null_rate < 1.0:
            expectations.append(
                E.ExpectColumnValuesToNotBeNull(
                    column=col,
                    mostly=round(1.0 - spec.max_null_rate, 12),
                    meta=tag("too_many_nulls"),
                )
            )
        if spec.kind in ("numeric", "integer") and (spec.min is not None or spec.max is not None):
            expectations.append(
                E.ExpectColumnValuesToBeBetween(
                    column=col,
                    min_value=spec.min,
                    max_value=spec.max,
                    mostly=spec.range_mostly,
                    meta=tag("out_of_range"),
                )
            )
        if spec.kind == "numeric":
            expectations.append(
                E.ExpectColumnValuesToNotBeInSet(
                    column=col, value_set=[float("inf"), float("-inf")], meta=tag("inf_values")
                )
            )
        if spec.kind == "categorical" and spec.categories is not None:
            expectations.append(
                E.ExpectColumnValuesToBeInSet(
                    column=col,
                    value_set=list(spec.categories),
                    mostly=spec.categories_mostly,
                    meta=tag("unseen_categories"),
                )
            )
    return gx.ExpectationSuite(
        name=suite_name(contract),
        expectations=expectations,
        meta={"driftline_contract": contract.name, "driftline_contract_version": contract.version},
    )
