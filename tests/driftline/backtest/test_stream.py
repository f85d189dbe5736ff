import pandas as pd
import pytest

from driftline.backtest import read_stream, to_batches
from driftline.errors import ConfigError, DataError


def test_batches_follow_file_order_and_keep_a_large_last_batch(stream):
    df = stream(3, 100).iloc[:290]
    batches = to_batches(df, 100)
    assert [b.n_rows for b in batches] == [100, 100, 90]
    assert [b.batch_id for b in batches] == ["batch-0000", "batch-0001", "batch-0002"]
    pd.testing.assert_frame_equal(batches[1].frame, df.iloc[100:200].reset_index(drop=True))


def test_a_tiny_last_batch_is_dropped(stream):
    assert [b.n_rows for b in to_batches(stream(3, 100).iloc[:240], 100)] == [100, 100]


def test_time_column_sorts_stably():
    df = pd.DataFrame({"t": [3, 1, 2, 1], "x": [0, 1, 2, 3], "y": [0, 1, 0, 1]})
    (first, second) = to_batches(df, 2, time_column="t")
    assert first.frame["x"].tolist() == [1, 3] and second.frame["x"].tolist() == [2, 0]


@pytest.mark.parametrize("size", [0, 1, 2.5, True])
def test_bad_batch_size(size, stream):
    with pytest.raises(ConfigError, match="batch_size"):
        to_batches(stream(1, 10), size)


def test_unknown_time_column(stream):
    with pytest.raises(ConfigError, match="time column"):
        to_batches(stream(1, 10), 5, time_column="when")


@pytest.mark.parametrize("name", ["s.csv", "s.csv.gz", "s.parquet"])
def test_read_stream_formats(tmp_path, name, stream):
    df = stream(1, 20)
    path = tmp_path / name
    if name.endswith(".parquet"):
        df.to_parquet(path)
    else:
        df.to_csv(path, index=False)
    pd.testing.assert_frame_equal(read_stream(path), df)


def test_read_stream_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        read_stream(tmp_path / "missing.csv")
    (tmp_path / "s.txt").write_text("x\n1\n")
    with pytest.raises(DataError, match="not supported"):
        read_stream(tmp_path / "s.txt")
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(DataError, match="cannot read"):
        read_stream(tmp_path / "bad.parquet")
