"""Request payloads against a model signature (pure logic, no services)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from driftline.errors import ConfigError, DataError
from driftline.serving import ColumnSchema, PayloadError, ServingConfig, conform_to, parse_payload

SCHEMA = (
    ColumnSchema("x1", "double"),
    ColumnSchema("n", "long"),
    ColumnSchema("c", "string"),
)
ROW = {"x1": 0.5, "n": 3, "c": "a"}


def test_the_three_body_shapes_give_the_same_frame():
    records = parse_payload({"dataframe_records": [ROW, ROW]})
    split = parse_payload(
        {"dataframe_split": {"columns": list(ROW), "data": [list(ROW.values())] * 2}}
    )
    instances = parse_payload({"instances": [ROW, ROW]})
    pd.testing.assert_frame_equal(records, split)
    pd.testing.assert_frame_equal(records, instances)


def test_conformed_frame_has_signature_order_and_types_and_drops_extras():
    frame = conform_to(parse_payload({"dataframe_records": [{**ROW, "extra": 1}]}), SCHEMA)
    assert list(frame.columns) == ["x1", "n", "c"]
    assert frame.dtypes.astype(str).tolist() == ["float64", "int64", "object"]


@pytest.mark.parametrize(
    ("row", "column", "words"),
    [
        ({"n": 3, "c": "a"}, "x1", "missing"),
        ({**ROW, "x1": "abc"}, "x1", "not a double"),
        ({**ROW, "x1": True}, "x1", "not a double"),
        ({**ROW, "n": 2.5}, "n", "non-integer"),
        ({**ROW, "c": 7}, "c", "not a string"),
        ({**ROW, "c": None}, "c", "null"),
    ],
)
def test_a_bad_row_names_its_column(row, column, words):
    with pytest.raises(PayloadError) as info:
        conform_to(parse_payload({"dataframe_records": [row, row]}), SCHEMA)
    assert info.value.column == column
    assert words in str(info.value) and repr(column) in str(info.value)
    assert info.value.to_dict() == {"error": str(info.value), "column": column}
    assert isinstance(info.value, DataError)


@pytest.mark.parametrize(
    "body",
    [
        [ROW],
        {},
        {"dataframe_records": [ROW], "instances": [ROW]},
        {"dataframe_records": []},
        {"dataframe_records": "x"},
        {"dataframe_split": {"columns": ["x1"], "data": [[1, 2]]}},
    ],
)
def test_malformed_bodies_are_payload_errors_without_a_column(body):
    with pytest.raises(PayloadError) as info:
        parse_payload(body)
    assert info.value.column is None


def test_nan_is_a_null_for_required_numeric_columns():
    with pytest.raises(PayloadError, match="null") as info:
        conform_to(pd.DataFrame({"x1": [np.nan], "n": [1], "c": ["a"]}), SCHEMA)
    assert info.value.column == "x1"


def test_serving_config_reads_and_checks_the_environment():
    cfg = ServingConfig.from_env({"DRIFTLINE_SERVE_REFRESH_SECONDS": "0.5"})
    assert cfg.refresh_seconds == 0.5 and cfg.sample_fraction == 0.1
    with pytest.raises(ConfigError, match="SAMPLE_FRACTION"):
        ServingConfig.from_env({"DRIFTLINE_SERVE_SAMPLE_FRACTION": "2"})
    with pytest.raises(ConfigError, match="not a number"):
        ServingConfig.from_env({"DRIFTLINE_SERVE_FLUSH_ROWS": "many"})


@pytest.mark.parametrize(
    ("body", "status", "column", "words"),
    [
        (b'{"dataframe_records": [{"x1": Infinity, "n": 3, "c": "a"}]}', 422, "x1", "not a finite"),
        (b'{"dataframe_records": [{"x1": 1e400, "n": 3, "c": "a"}]}', 422, "x1", "not a finite"),
        (b'{"dataframe_records": [{"x1": 1e308, "n": 3, "c": "a"}]}', 422, "x1", "too large"),
        (
            b'{"dataframe_records": [{"x1": 0.5, "n": -Infinity, "c": "a"}]}',
            422,
            "n",
            "not a finite",
        ),
        (
            b'{"dataframe_records": [{"x1": 0.5, "n": 1' + b"0" * 30 + b', "c": "a"}]}',
            422,
            "n",
            "long range",
        ),
        (
            b'{"dataframe_records": [{"x1": 1' + b"0" * 400 + b', "n": 3, "c": "a"}]}',
            422,
            "x1",
            "401 digits",
        ),
        (
            b'{"dataframe_split": {"columns": ["x1", "n", "n", "c"], "data": [[0.5, 1, 2, "a"]]}}',
            422,
            "n",
            "more than once",
        ),
        (
            b'{"dataframe_records": [{"x1": 0.5, "n": 3, "c": "a", "c": "b"}]}',
            422,
            "c",
            "more than once",
        ),
        (b"[" * 5000 + b"]" * 5000, 400, None, "nests too deeply"),
        (
            b'{"dataframe_records": [{"x1": ' + b"[" * 300 + b"]" * 300 + b', "n": 3, "c": "a"}]}',
            422,
            "x1",
            "[[[[...]]]]",
        ),
        (b"\xff\xfe not utf-8", 400, None, "not JSON"),
    ],
)
def test_bad_numbers_repeated_columns_and_deep_nesting_are_payload_errors(
    body, status, column, words
):
    from driftline.serving import parse_json

    with pytest.raises(PayloadError) as info:
        conform_to(parse_payload(parse_json(body)), SCHEMA)
    assert (info.value.status, info.value.column) == (status, column)
    assert words in str(info.value)


def test_the_largest_accepted_numbers_pass():
    from driftline.serving import parse_json
    from driftline.serving.payload import MAX_ABS

    row = f'{{"x1": {-MAX_ABS!r}, "n": {2**63 - 1}, "c": "a"}}'
    frame = conform_to(parse_payload(parse_json('{"dataframe_records": [' + row + "]}")), SCHEMA)
    assert frame["x1"].iloc[0] == -MAX_ABS and frame["n"].iloc[0] == 2**63 - 1
