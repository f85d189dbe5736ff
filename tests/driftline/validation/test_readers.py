"""read_batch / conform: formats, type conversion, and every malformed input as a problem."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from driftline.errors import DataError
from driftline.validation import (
    ColumnSpec,
    CsvReader,
    DataContract,
    ParquetReader,
    conform,
    read_batch,
    reader_for,
)

from .conftest import make_frame


def kinds(result) -> list[tuple[str, str | None]]:
    return [(p.kind, p.column) for p in result.problems]


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".parquet"])
def test_clean_file_reads_without_problems(contract, batch, tmp_path, suffix) -> None:
    path = tmp_path / f"batch{suffix}"
    if suffix == ".parquet":
        batch.to_parquet(path)
    else:
        batch.to_csv(path, index=False, compression="gzip" if suffix.endswith(".gz") else None)
    result = read_batch(path, contract)
    assert result.ok, result.problems
    assert result.n_rows == len(batch) and result.n_bytes == path.stat().st_size
    frame = result.frame
    assert frame["price"].dtype == np.float64
    assert frame["qty"].dtype == np.int64
    assert frame["day"].dtype == object and set(frame["day"]) <= set(
        contract.column("day").categories
    )
    assert frame["promo"].dtype == bool
    assert pd.api.types.is_datetime64_any_dtype(frame["ts"])
    assert frame["label"].dtype == np.int64
    np.testing.assert_allclose(frame["price"], batch["price"])
    assert (frame["ts"].to_numpy() == batch["ts"].to_numpy()).all()


def test_reader_for_extensions() -> None:
    assert isinstance(reader_for("a.CSV"), CsvReader)
    assert isinstance(reader_for("s3://b/k/a.csv.gz"), CsvReader)
    assert isinstance(reader_for("a.parquet"), ParquetReader)
    assert reader_for("a.xlsx") is None


def test_unknown_extension_is_a_problem(tmp_path) -> None:
    path = tmp_path / "batch.xlsx"
    path.write_bytes(b"PK\x03\x04")
    result = read_batch(path)
    assert result.frame is None and kinds(result) == [("unreadable", None)]
    assert "'batch.xlsx' is not supported" in result.problems[0].message


def test_unparseable_csv(tmp_path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,2\n3,4,5,6\n")
    result = read_batch(path)
    assert result.frame is None and kinds(result) == [("unreadable", None)]
    assert "could not be parsed as csv" in result.problems[0].message
    assert "Expected 2 fields" in result.problems[0].message


def test_non_utf8_csv(tmp_path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("city,y\nZürich,1\n".encode("latin-1"))
    result = read_batch(path)
    assert kinds(result) == [("unreadable", None)]
    assert "UnicodeDecodeError" in result.problems[0].message


def test_unparseable_parquet(tmp_path) -> None:
    path = tmp_path / "bad.parquet"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    result = read_batch(path)
    assert result.frame is None and kinds(result) == [("unreadable", None)]
    assert "could not be parsed as parquet" in result.problems[0].message


def test_corrupt_gzip(tmp_path) -> None:
    path = tmp_path / "bad.csv.gz"
    path.write_bytes(b"\x1f\x8b" + np.random.default_rng(1).bytes(100))
    result = read_batch(path)
    assert kinds(result) == [("unreadable", None)]
    assert "not valid gzip" in result.problems[0].message


@pytest.mark.parametrize("name", ["empty.csv", "empty.parquet", "empty.csv.gz", "blank.csv"])
def test_empty_file(tmp_path, name) -> None:
    path = tmp_path / name
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(b""))
    else:
        path.write_bytes(b"\n\n" if name.startswith("blank") else b"")
    result = read_batch(path)
    assert result.frame is None and kinds(result) == [("empty_file", None)]
    assert "empty" in result.problems[0].message or "no content" in result.problems[0].message


def test_header_only_is_no_rows(contract, batch, tmp_path) -> None:
    path = tmp_path / "header.csv"
    batch.iloc[:0].to_csv(path, index=False)
    result = read_batch(path, contract)
    assert ("no_rows", None) in kinds(result)
    assert result.frame is not None and result.n_rows == 0


def test_too_large_file_is_refused(batch, tmp_path) -> None:
    path = tmp_path / "big.csv"
    batch.to_csv(path, index=False)
    result = read_batch(path, max_bytes=1000)
    assert result.frame is None and kinds(result) == [("too_large", None)]
    assert "over the 0.0 MiB limit" in result.problems[0].message
    assert "raise DRIFTLINE_MAX_BATCH_BYTES, now 1000 bytes" in result.problems[0].message


def test_gzip_bomb_is_refused(tmp_path) -> None:
    path = tmp_path / "bomb.csv.gz"
    path.write_bytes(gzip.compress(b"a\n" + b"1\n" * 50_000))
    assert path.stat().st_size < 2000
    result = read_batch(path, max_bytes=2000)
    assert kinds(result) == [("too_large", None)]
    assert "decompressed file is larger than" in result.problems[0].message


def test_missing_file_raises(tmp_path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        read_batch(tmp_path / "absent.csv")


def test_missing_and_extra_columns(contract, batch) -> None:
    frame, problems = conform(batch.drop(columns=["price"]).assign(extra=1), contract)
    assert [(p.kind, p.column) for p in problems] == [
        ("missing_column", "price"),
        ("extra_column", "extra"),
    ]
    assert problems[0].message == "column 'price' is missing"
    assert problems[1].message == "column 'extra' is not in the contract"
    assert "extra" in frame.columns  # extra columns are kept untouched


def test_extra_columns_allowed_by_contract(contract, batch) -> None:
    from dataclasses import replace

    _, problems = conform(batch.assign(extra=1), replace(contract, allow_extra_columns=True))
    assert problems == ()


def test_text_in_numeric_column_is_coerced_and_counted(contract, batch, tmp_path) -> None:
    bad = batch.astype({"price": object})
    bad.loc[[3, 17], "price"] = ["n/a?", "12,5"]
    path = tmp_path / "b.csv"
    bad.to_csv(path, index=False)
    result = read_batch(path, contract)
    [problem] = result.problems
    assert (problem.kind, problem.column, problem.count) == ("wrong_type", "price", 2)
    assert problem.rows == (3, 17) and set(problem.values) == {"n/a?", "12,5"}
    assert "column 'price' has 2 values that are not a number" in problem.message
    assert result.frame["price"].dtype == np.float64 and result.frame["price"].isna().sum() == 2


def test_integer_column_with_fractions_and_inf(contract, batch) -> None:
    bad = batch.astype({"qty": float})
    bad.loc[4, "qty"] = 2.5
    bad.loc[8, "qty"] = np.inf
    frame, problems = conform(bad, contract)
    assert [(p.kind, p.column, p.rows) for p in problems] == [
        ("wrong_type", "qty", (4,)),
        ("inf_values", "qty", (8,)),
    ]
    assert "not an integer" in problems[0].message
    assert frame["qty"].dtype == "Int64" and frame["qty"].isna().sum() == 2


def test_boolean_and_datetime_parsing(contract, batch) -> None:
    text = batch.astype({"promo": object, "ts": object})
    text["promo"] = np.where(batch["promo"], "yes", "no").astype(object)
    text["ts"] = batch["ts"].dt.strftime("%Y-%m-%dT%H:%M:%S").astype(object)
    text.loc[6, "promo"] = "maybe"
    text.loc[9, "ts"] = "not a date"
    frame, problems = conform(text, contract)
    assert [(p.kind, p.column, p.rows) for p in problems] == [
        ("wrong_type", "ts", (9,)),
        ("wrong_type", "promo", (6,)),
    ]
    assert frame["promo"].dtype == "boolean" and frame["promo"].sum() == batch["promo"].sum() - (
        1 if batch.loc[6, "promo"] else 0
    )
    assert frame["ts"].isna().sum() == 1


def test_all_null_column(contract, batch) -> None:
    bad = batch.assign(demand=np.nan)
    _, problems = conform(bad, contract)
    assert [(p.kind, p.column) for p in problems] == [("all_null", "demand")]
    assert problems[0].message == "column 'demand' is entirely null"


def test_inf_values(contract, batch) -> None:
    bad = batch.copy()
    bad.loc[[2, 5, 11], "price"] = [np.inf, -np.inf, np.inf]
    frame, problems = conform(bad, contract)
    [p] = problems
    assert (p.kind, p.column, p.count, p.rows) == ("inf_values", "price", 3, (2, 5, 11))
    assert p.message == "column 'price' has 3 inf values"
    assert np.isinf(frame["price"]).sum() == 3  # kept for the GX non-inf check


def test_unseen_categories_with_mostly_tolerance(contract, batch) -> None:
    from dataclasses import replace

    bad = batch.copy()
    bad.loc[[1, 30], "day"] = "Funday"
    _, problems = conform(bad, contract)
    [p] = problems
    assert (p.kind, p.column, p.values, p.rows) == (
        "unseen_categories",
        "day",
        ("Funday",),
        (1, 30),
    )
    assert "column 'day' has unseen categories ['Funday']" in p.message
    spec = replace(contract.column("day"), categories_mostly=0.99)  # 2 of 1000 tolerated
    tolerant = replace(
        contract, columns=tuple(spec if c.name == "day" else c for c in contract.columns)
    )
    assert conform(bad, tolerant)[1] == ()


def test_integer_categories_are_compared_as_integers(contract, batch, tmp_path) -> None:
    bad = batch.copy()
    bad.loc[7, "label"] = 2
    path = tmp_path / "b.csv"
    bad.to_csv(path, index=False)
    result = read_batch(path, contract)
    [p] = result.problems
    assert (p.kind, p.column, p.values) == ("unseen_categories", "label", (2,))


def test_without_contract_only_generic_checks() -> None:
    df = pd.DataFrame({"x": [1.0, np.inf], "y": [np.nan, np.nan], "z": ["a", "b"]})
    _, problems = conform(df)
    assert [(p.kind, p.column) for p in problems] == [("inf_values", "x"), ("all_null", "y")]


def test_duplicate_columns_are_reported(contract, batch) -> None:
    dup = pd.concat([batch, batch[["price"]]], axis=1)
    frame, problems = conform(dup, contract)
    assert [(p.kind, p.column) for p in problems] == [("extra_column", "price")]
    assert "more than once" in problems[0].message
    assert list(frame.columns).count("price") == 1


def test_index_is_reset(contract) -> None:
    frame = make_frame(50, seed=3).set_index(np.arange(100, 150))
    conformed, _ = conform(frame, contract)
    assert list(conformed.index) == list(range(50))


def test_problem_message_without_contract_for_strings(tmp_path) -> None:
    spec = (ColumnSpec("n", "numeric"), ColumnSpec("y", "integer", role="target"))
    c = DataContract("t", spec, target="y")
    path = tmp_path / "t.csv"
    path.write_text("n,y\n1,1\nabc,0\n")
    result = read_batch(path, c)
    assert [p.message for p in result.problems] == [
        "column 'n' has 1 value that is not a number, e.g. ['abc']"
    ]


# ---------------------------------------------------------------------- S3 (real server)
@pytest.mark.integration
def test_reads_from_s3(services, contract, batch) -> None:
    import io

    from driftline import s3

    client = s3.client(services)
    bucket = services.bucket_landing
    csv = batch.to_csv(index=False).encode()
    parquet = io.BytesIO()
    batch.to_parquet(parquet)
    objects = {
        "validation-test/b.csv": csv,
        "validation-test/b.csv.gz": gzip.compress(csv),
        "validation-test/b.parquet": parquet.getvalue(),
        "validation-test/bad.parquet": b"garbage",
    }
    for key, body in objects.items():
        client.put_object(Bucket=bucket, Key=key, Body=body)
    for key in ("b.csv", "b.csv.gz", "b.parquet"):
        result = read_batch(f"s3://{bucket}/validation-test/{key}", contract, services)
        assert result.ok, (key, result.problems)
        np.testing.assert_allclose(result.frame["price"], batch["price"])
    bad = read_batch(f"s3://{bucket}/validation-test/bad.parquet", contract, services)
    assert kinds(bad) == [("unreadable", None)]
    big = read_batch(f"s3://{bucket}/validation-test/b.csv", contract, services, max_bytes=100)
    assert kinds(big) == [("too_large", None)]  # refused from the size in HEAD
    with pytest.raises(DataError, match="does not exist"):
        read_batch(f"s3://{bucket}/validation-test/absent.csv", contract, services)
