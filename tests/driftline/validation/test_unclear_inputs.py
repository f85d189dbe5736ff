"""Inputs whose errors used to be unclear (issue 19), on the real Elec2 contract.

A repeated CSV header, a ``;``- or tab-delimited file, a Parquet file with every column
stored as text, labels written as ``0.0``/``1.0`` or ``True``/``False``, and a batch of a
handful of rows. Listed in ``docs/reliability.md``.
"""

from __future__ import annotations

import pandas as pd
import pytest

from driftline.datasets import load_elec2
from driftline.validation import DataContract, read_batch, validate

WEEK = 336


@pytest.fixture(scope="module")
def elec2() -> tuple[DataContract, pd.DataFrame]:
    """The contract the bootstrap infers (first 4 weeks) and the week after them."""
    data = load_elec2()
    reference = data.iloc[: 4 * WEEK].reset_index(drop=True)
    bounds = {c: (0.0, 1.0) for c in reference.columns if c != "class"}
    contract = DataContract.infer(reference, "class", name="elec2", bounds=bounds)
    return contract, data.iloc[4 * WEEK : 5 * WEEK].reset_index(drop=True)


def messages(result) -> list[str]:
    return [p.message for p in result.problems]


def test_a_repeated_csv_header_names_the_repeated_column(elec2, tmp_path):
    contract, week = elec2
    path = tmp_path / "week.csv"
    week.to_csv(path, index=False, header=[c if c != "nswprice" else "period" for c in week])
    result = read_batch(path, contract)
    found = {(p.kind, p.column): p.message for p in result.problems}
    assert found[("extra_column", "period")].startswith("column 'period' appears more than once")
    assert found[("missing_column", "nswprice")] == "column 'nswprice' is missing"
    assert not any("period.1" in m for m in messages(result)), messages(result)
    report = validate(path, contract, batch_id="week")
    assert not report.passed and "column 'period' appears more than once" in report.summary()


@pytest.mark.parametrize(("sep", "shown"), [(";", "';'"), ("\t", "tab"), ("|", "'|'")])
def test_a_file_with_another_delimiter_gets_a_hint(elec2, tmp_path, sep, shown):
    contract, week = elec2
    path = tmp_path / "week.csv"
    week.to_csv(path, index=False, sep=sep)
    result = read_batch(path, contract)
    first = result.problems[0]
    assert first.kind == "wrong_delimiter"
    assert first.message == (
        f"the file looks {shown}-delimited; Driftline reads comma-separated CSV "
        "(re-export it with ',' as the delimiter)"
    )
    assert len([p for p in result.problems if p.kind == "missing_column"]) == 7
    report = validate(path, contract, batch_id="week")
    assert report.failures[0].kind == "wrong_delimiter" and not report.passed


def test_a_comma_file_with_semicolons_in_values_gets_no_hint(elec2, tmp_path):
    contract, week = elec2
    path = tmp_path / "week.csv"
    week.assign(note="a;b").to_csv(path, index=False)
    assert "wrong_delimiter" not in [p.kind for p in read_batch(path, contract).problems]


def test_a_parquet_file_with_text_columns_fails_naming_each_column_and_type(elec2, tmp_path):
    contract, week = elec2
    path = tmp_path / "week.parquet"
    week.astype(str).to_parquet(path, index=False)
    result = read_batch(path, contract)
    typed = {p.column: p.message for p in result.problems if p.kind == "wrong_type"}
    assert sorted(typed) == sorted(contract.column_names)
    assert typed["nswprice"].startswith(
        "column 'nswprice' is stored as text (Parquet type string, e.g. ["
    )
    assert "the contract expects numbers" in typed["nswprice"]
    assert "the contract expects integer categories [0, 1]" in typed["class"]
    report = validate(path, contract, batch_id="week")
    assert not report.passed and {f.column for f in report.failures} >= set(typed)
    # the same values with their types pass
    ok = tmp_path / "ok.parquet"
    week.to_parquet(ok, index=False)
    assert read_batch(ok, contract).ok


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_boolean_labels_fail_naming_the_column(elec2, tmp_path, fmt):
    contract, week = elec2
    labels = week.assign(**{"class": week["class"].astype(bool)})
    path = tmp_path / f"week.{fmt}"
    labels.to_csv(path, index=False) if fmt == "csv" else labels.to_parquet(path, index=False)
    report = validate(path, contract, batch_id="week")
    assert not report.passed
    (failure,) = [f for f in report.failures if f.column == "class"]
    assert failure.kind == "wrong_type"
    assert "boolean values" in failure.message
    assert "the contract expects integer categories [0, 1]" in failure.message


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_labels_written_as_decimals_are_read_as_integers_and_reported(elec2, tmp_path, fmt):
    contract, week = elec2
    decimals = week.assign(**{"class": week["class"].astype(float)})
    path = tmp_path / f"week.{fmt}"
    decimals.to_csv(path, index=False) if fmt == "csv" else decimals.to_parquet(path, index=False)
    result = read_batch(path, contract)
    assert result.ok and result.frame["class"].tolist() == week["class"].tolist()
    report = validate(path, contract, batch_id="week")
    assert report.passed
    (note,) = report.notes
    assert note.startswith(f"column 'class' has {WEEK} whole numbers written as decimals")
    assert "read as the integers the contract expects" in note
    assert note in report.summary() and note in report.to_dict()["notes"]
    # integers as integers: no note
    ints = tmp_path / f"ints.{fmt}"
    week.to_csv(ints, index=False) if fmt == "csv" else week.to_parquet(ints, index=False)
    assert validate(ints, contract, batch_id="ints").notes == ()


def test_a_partly_labelled_csv_is_no_note(elec2, tmp_path):
    """Integers with blanks (unlabelled rows) are not decimals, although pandas reads floats."""
    contract, week = elec2
    part = week.assign(**{"class": week["class"].astype("Int64")})
    part.loc[::2, "class"] = pd.NA
    path = tmp_path / "part.csv"
    part.to_csv(path, index=False)
    result = read_batch(path, contract)
    assert [p.kind for p in result.problems if p.column == "class"] == []


def test_a_batch_below_the_minimum_fails_naming_the_setting(elec2, tmp_path):
    contract, week = elec2
    path = tmp_path / "two.csv"
    week.head(2).to_csv(path, index=False)
    report = validate(path, contract, batch_id="two", min_rows=10)
    assert not report.passed
    (failure,) = report.failures
    assert failure.kind == "too_few_rows"
    assert failure.message.startswith("batch has 2 rows, fewer than the 10 Driftline needs")
    assert "DRIFTLINE_MIN_BATCH_ROWS" in failure.message
    path10 = tmp_path / "ten.csv"
    week.head(10).to_csv(path10, index=False)
    assert validate(path10, contract, batch_id="ten", min_rows=10).passed
