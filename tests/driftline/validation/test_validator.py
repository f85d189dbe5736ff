"""validate(): clean batches pass, every malformed batch fails naming column and problem."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from driftline.validation import DataContract, ValidationReport, Validator, validate

from .conftest import make_elec2_like, make_frame

pytestmark = pytest.mark.filterwarnings("ignore")


def only(report: ValidationReport, kind: str):
    """The single failure of ``kind`` (fails the test if there are zero or several)."""
    found = [f for f in report.failures if f.kind == kind]
    assert len(found) == 1, report.summary()
    return found[0]


def check_failed(report: ValidationReport, kind: str, column: str | None, *fragments: str):
    assert report.passed is False
    failure = only(report, kind)
    assert failure.column == column
    if column is not None:
        assert f"column {column!r}" in failure.message
        assert f"column {column!r}" in report.summary()
    for fragment in fragments:
        assert fragment in failure.message
    return failure


# ---------------------------------------------------------------------- clean data passes
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_clean_batches_from_the_same_distribution_pass(contract, seed) -> None:
    report = validate(
        make_frame(1000, seed=seed, start="2025-06-01"), contract, batch_id=f"clean-{seed}"
    )
    assert report.passed, report.summary()
    assert report.failures == () and report.n_rows == 1000
    assert report.summary() == f"batch clean-{seed} passed all {report.n_checks} checks (1000 rows)"


def test_clean_elec2_like_slices_pass() -> None:
    stream = make_elec2_like(8000, seed=7)
    contract = DataContract.infer(stream.iloc[:3000], target="class", name="elec2-like")
    assert contract.column("class").categories == (0, 1)
    for start in (3000, 4336, 6000):
        batch = stream.iloc[start : start + 336]  # one week of half-hours
        report = validate(batch, contract, batch_id=f"week-{start}")
        assert report.passed, report.summary()


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".parquet"])
def test_clean_files_pass(contract, batch, tmp_path, suffix) -> None:
    path = tmp_path / f"batch{suffix}"
    batch.to_parquet(path) if suffix == ".parquet" else batch.to_csv(path, index=False)
    report = validate(path, contract, batch_id="file")
    assert report.passed, report.summary()
    assert report.source == str(path)


# ---------------------------------------------------------------------- malformed files
def test_unparseable_csv_fails(contract, tmp_path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("ts,price\n1,2\n3,4,5\n")
    report = validate(path, contract, batch_id="b")
    check_failed(report, "unreadable", None, "could not be parsed as csv")
    assert report.n_rows == 0 and len(report.failures) == 1


def test_unparseable_parquet_fails(contract, tmp_path) -> None:
    path = tmp_path / "bad.parquet"
    path.write_bytes(np.random.default_rng(42).bytes(2048))
    report = validate(path, contract, batch_id="b")
    check_failed(report, "unreadable", None, "could not be parsed as parquet")


def test_empty_file_fails(contract, tmp_path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    report = validate(path, contract, batch_id="b")
    check_failed(report, "empty_file", None, "file is empty")


def test_header_only_fails(contract, batch, tmp_path) -> None:
    path = tmp_path / "header.csv"
    batch.iloc[:0].to_csv(path, index=False)
    report = validate(path, contract, batch_id="b")
    check_failed(report, "no_rows", None, "no rows")
    assert [f.kind for f in report.failures] == ["no_rows"]  # GX row-count failure merged


def test_row_count_bounds(contract, batch) -> None:
    report = validate(batch, replace(contract, max_rows=500), batch_id="b")
    check_failed(report, "row_count", None, "batch has 1000 rows", "1..500")


# ---------------------------------------------------------------------- schema
def test_missing_column_fails(contract, batch) -> None:
    report = validate(batch.drop(columns=["demand"]), contract, batch_id="b")
    check_failed(report, "missing_column", "demand", "is missing")
    assert len(report.failures) == 1  # no follow-up failures on the absent column


def test_extra_column_fails(contract, batch) -> None:
    report = validate(batch.assign(surprise=1.0), contract, batch_id="b")
    check_failed(report, "extra_column", "surprise", "is not in the contract")
    assert len(report.failures) == 1


def test_wrong_type_fails_with_offending_rows(contract, batch, tmp_path) -> None:
    bad = batch.astype({"price": object})
    bad.loc[[10, 20, 30], "price"] = "expensive"
    path = tmp_path / "b.csv"
    bad.to_csv(path, index=False)
    report = validate(path, contract, batch_id="b")
    failure = check_failed(report, "wrong_type", "price", "3 values that are not a number")
    assert failure.unexpected_rows == (10, 20, 30)
    assert failure.unexpected_values == ("expensive",)
    assert len(report.failures) == 1  # the coerced nulls do not count again as too many nulls


def test_all_null_column_fails(contract, batch) -> None:
    report = validate(batch.assign(demand=np.nan), contract, batch_id="b")
    check_failed(report, "all_null", "demand", "entirely null")
    assert len(report.failures) == 1


# ---------------------------------------------------------------------- values
def test_inf_values_fail(contract, batch) -> None:
    bad = batch.copy()
    bad.loc[[5, 50, 500], "price"] = np.inf
    report = validate(bad, contract, batch_id="b")
    failure = check_failed(report, "inf_values", "price", "has 3 inf values")
    assert failure.unexpected_rows == (5, 50, 500)
    assert len(report.failures) == 1  # inf are not reported again as out of range


def test_unseen_categories_fail(contract, batch) -> None:
    bad = batch.copy()
    bad.loc[[0, 99], "day"] = "Funday"
    report = validate(bad, contract, batch_id="b")
    failure = check_failed(report, "unseen_categories", "day", "unseen categories ['Funday']")
    assert failure.unexpected_rows == (0, 99)


def test_out_of_range_values_fail(contract, batch) -> None:
    bad = batch.copy()
    hi = contract.column("demand").max
    bad.loc[[7, 8], "demand"] = [hi + 1.0, -5.0]
    report = validate(bad, contract, batch_id="b")
    failure = check_failed(report, "out_of_range", "demand", "2 values outside")
    assert failure.source == "gx" and failure.unexpected_count == 2
    assert failure.unexpected_rows == (7, 8)
    assert set(failure.unexpected_values) == {hi + 1.0, -5.0}


def test_out_of_range_tolerated_by_range_mostly(contract, batch) -> None:
    bad = batch.copy()
    bad.loc[[7, 8], "demand"] = 7.0
    spec = replace(contract.column("demand"), range_mostly=0.99)
    tolerant = replace(
        contract, columns=tuple(spec if c.name == "demand" else c for c in contract.columns)
    )
    assert validate(bad, tolerant, batch_id="b").passed


def test_too_many_nulls_fail(contract, batch) -> None:
    bad = batch.copy()
    bad.loc[:399, "temp"] = np.nan  # 40% > the inferred limit of about 10%
    report = validate(bad, contract, batch_id="b")
    failure = check_failed(report, "too_many_nulls", "temp", "the contract allows at most")
    assert failure.unexpected_count == bad["temp"].isna().sum()
    assert failure.unexpected_rows[:3] == (0, 1, 2)


def test_several_problems_in_one_summary(contract, batch, tmp_path) -> None:
    bad = batch.copy()
    bad.loc[3, "price"] = np.inf
    bad.loc[4, "day"] = "Funday"
    path = contract.to_file(tmp_path / "contract.yaml")
    report = validate(bad, path, batch_id="week-09")
    assert report.summary() == (
        "batch week-09 failed 2 checks: column 'price' has 1 inf value; "
        "column 'day' has unseen categories ['Funday'] (1 value, 0.1% of non-null): "
        f"fix the producer or update the contract at {path}"
    )
    assert report.failed_columns == ("day", "price")


# ---------------------------------------------------------------------- report and docs
def test_report_round_trips_through_json(contract, batch) -> None:
    bad = batch.copy()
    bad.loc[3, "price"] = -np.inf
    report = validate(bad, contract, batch_id="b")
    text = report.to_json()
    json.loads(text)  # strict JSON: no Infinity literal
    assert ValidationReport.from_json(text) == report
    assert report.failures[0].unexpected_values == ("-inf",)


def test_data_docs_are_built(contract, batch, tmp_path) -> None:
    bad = batch.copy()
    bad.loc[3, "day"] = "Funday"
    report = validate(bad, contract, batch_id="docs-batch", docs_dir=tmp_path / "docs")
    index = Path(report.data_docs)
    assert index == tmp_path / "docs" / "index.html" and index.is_file()
    pages = [p for p in (tmp_path / "docs" / "validations").rglob("*.html")]
    assert len(pages) == 1 and "docs-batch" in str(pages[0])
    assert "Funday" in pages[0].read_text()
    assert "Data Docs: " + str(index) in report.summary()


def test_data_docs_for_unreadable_file(contract, tmp_path) -> None:
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"not parquet at all")
    report = validate(path, contract, batch_id="b", docs_dir=tmp_path / "docs")
    assert not report.passed and Path(report.data_docs).is_file()


def test_validator_is_cached_per_contract(contract) -> None:
    assert Validator.for_contract(contract) is Validator.for_contract(replace(contract, path="x"))
    assert Validator.for_contract(contract) is not Validator.for_contract(
        replace(contract, version=9)
    )


def test_batch_id_is_required(contract, batch) -> None:
    from driftline.errors import ConfigError

    with pytest.raises(ConfigError, match="batch_id is empty"):
        validate(batch, contract, batch_id="")


def test_integer_target_with_unseen_class(contract, batch) -> None:
    bad = batch.copy()
    bad.loc[12, "label"] = 3
    report = validate(bad, contract, batch_id="b")
    check_failed(report, "unseen_categories", "label", "unseen categories [3]")


def test_dataframe_and_file_give_the_same_verdict(contract, batch, tmp_path) -> None:
    bad = batch.copy()
    bad.loc[3, "demand"] = 99.0
    path = tmp_path / "b.parquet"
    bad.to_parquet(path)
    from_df = validate(bad, contract, batch_id="b")
    from_file = validate(path, contract, batch_id="b")
    assert [(f.kind, f.column) for f in from_df.failures] == [
        (f.kind, f.column) for f in from_file.failures
    ]


def test_reference_frame_with_object_columns_validates(tmp_path) -> None:
    """A contract inferred from CSV text columns validates the same CSV."""
    df = make_frame(300, seed=5)
    path = tmp_path / "ref.csv"
    df.to_csv(path, index=False)
    ref = pd.read_csv(path)
    contract = DataContract.infer(ref, target="label", timestamp="ts", name="from-csv")
    assert contract.column("ts").kind == "datetime"
    assert validate(path, contract, batch_id="self").passed


@pytest.mark.integration
def test_validate_s3_batch(services, contract, batch, tmp_path) -> None:
    from driftline import s3

    bad = batch.copy()
    bad.loc[2, "day"] = "Funday"
    key = "validation-test/week-02.csv"
    s3.client(services).put_object(
        Bucket=services.bucket_landing, Key=key, Body=bad.to_csv(index=False).encode()
    )
    uri = f"s3://{services.bucket_landing}/{key}"
    report = validate(
        uri, contract, batch_id="week-02", docs_dir=tmp_path / "docs", settings=services
    )
    check_failed(report, "unseen_categories", "day", "['Funday']")
    assert report.source == uri and report.n_rows == len(bad)
    assert Path(report.data_docs).is_file()


def test_no_network_access(contract, batch, tmp_path, monkeypatch) -> None:
    """Compiling, validating and building Data Docs never open a socket (offline machine)."""
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    fresh = replace(contract, version=contract.version + 41)  # not compiled yet
    report = validate(batch, fresh, batch_id="offline", docs_dir=tmp_path / "docs")
    assert report.passed, report.summary()
