"""ValidationReport / Failure: serialisation and summary text."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from driftline.validation import Failure, ValidationReport
from driftline.validation.report import json_safe


def make_report(**changes) -> ValidationReport:
    failures = (
        Failure("expect_column_values_to_not_be_in_set", "inf_values", "price",
                "column 'price' has 2 inf values", None, 2, (float("inf"), float("-inf")), (4, 9)),
        Failure("driftline_unreadable", "unreadable", None, "file could not be parsed", source="reader"),
    )  # fmt: skip
    fields = dict(
        batch_id="w1", passed=False, n_rows=10, failures=failures, n_checks=12, source="s3://b/w1.csv",
        contract_name="elec2", contract_version=3,
    )  # fmt: skip
    fields.update(changes)
    return ValidationReport(**fields)


def test_to_dict_is_strict_json() -> None:
    report = make_report()
    data = json.loads(report.to_json())
    assert data["failures"][0]["unexpected_values"] == ["inf", "-inf"]
    assert data["failures"][0]["unexpected_rows"] == [4, 9]
    assert data["contract_version"] == 3


def test_round_trip_keeps_everything_but_non_finite_floats() -> None:
    report = make_report(failures=(Failure("c", "k", "x", "m", 1.5, 1, ("a", 2), (0,)),))
    assert ValidationReport.from_json(report.to_json()) == report
    assert ValidationReport.from_dict(report.to_dict()) == report


def test_summary_names_contract_by_version_without_path() -> None:
    text = make_report().summary()
    assert text.startswith(
        "batch w1 failed 2 checks: column 'price' has 2 inf values; file could not"
    )
    assert text.endswith("update the contract 'elec2' v3")


def test_summary_of_passed_report() -> None:
    report = make_report(passed=True, failures=())
    assert report.summary() == "batch w1 passed all 12 checks (10 rows)"
    assert report.failed_columns == ()


def test_json_safe_handles_numpy_and_pandas_values() -> None:
    value = {
        "a": np.float32(0.5),
        "b": [np.bool_(True), pd.NaT, np.nan],
        1: pd.Timestamp("2024-02-03 04:05"),
    }
    assert json_safe(value) == {"a": 0.5, "b": [True, None, "nan"], "1": "2024-02-03T04:05:00"}
