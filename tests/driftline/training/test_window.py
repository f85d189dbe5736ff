from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from driftline.errors import ConfigError, DataError
from driftline.training import Batch, Window, frame_digest, split_holdout


def history(sizes=(3, 3, 3, 3), start=datetime(2025, 1, 1)):
    return [
        Batch(
            f"b{i}",
            pd.DataFrame(
                {"x": [i] * n, "ts": pd.date_range(start + timedelta(days=i), periods=n, freq="h")}
            ),
            f"s3://landing/processed/b{i}/b{i}.csv",
            created_at=start + timedelta(days=i),
        )
        for i, n in enumerate(sizes)
    ]


def test_all_keeps_every_batch_unweighted():
    data = Window.all().assemble(history())
    assert data.batch_ids == ("b0", "b1", "b2", "b3")
    assert len(data.frame) == 12 and data.sample_weight is None


def test_last_n_keeps_the_newest():
    data = Window.last(2).assemble(history())
    assert data.batch_ids == ("b2", "b3")
    assert sorted(set(data.frame["x"])) == [2, 3]


def test_last_n_larger_than_history_keeps_all():
    assert Window.last(10).assemble(history()).batch_ids == ("b0", "b1", "b2", "b3")


def test_last_time_by_batch_time():
    # newest batch at day 3; a 2-day window keeps days (1, 3]
    data = Window.since(timedelta(days=2)).assemble(history())
    assert data.batch_ids == ("b2", "b3")


def test_last_time_by_row_timestamps():
    # batch i has rows at day i + 0h, 1h, 2h; newest row is day 3 + 2h
    data = Window.since(timedelta(hours=25), time_column="ts").assemble(history())
    assert data.batch_ids == ("b2", "b3")
    assert (data.frame["x"] == 2).sum() == 1  # only day 2 + 2h is within 25 h


def test_recency_weights_decay_by_batch_age():
    data = Window.all(half_life=2.0).assemble(history(sizes=(1, 2, 3, 4)))
    w = data.sample_weight
    per_batch = [w[0], w[1], w[3], w[6]]
    ratios = np.array(per_batch[1:]) / np.array(per_batch[:-1])
    np.testing.assert_allclose(ratios, 2**0.5)  # one batch younger = 2**(1/half_life) heavier
    assert w.mean() == pytest.approx(1.0)


@pytest.mark.parametrize(
    "window, needle",
    [
        (Window("last_n", n=0), "window n"),
        (Window("last_time"), "duration"),
        (Window("weekly"), "kind"),
        (Window.all(half_life=0.0), "half_life"),
    ],
)
def test_invalid_windows(window, needle):
    with pytest.raises(ConfigError, match=needle):
        window.assemble(history())


def test_time_window_needs_times():
    hist = [Batch("b", pd.DataFrame({"x": [1]}), "s3://l/b.csv")]
    with pytest.raises(DataError, match="created_at"):
        Window.since(timedelta(days=1)).assemble(hist)
    with pytest.raises(DataError, match="empty"):
        Window.all().assemble([])


def test_split_holdout_takes_the_newest_rows():
    df = pd.DataFrame({"t": [5, 1, 4, 2, 3], "x": list("abcde")})
    train, hold = split_holdout(df, 0.4, time_column="t")
    assert hold["t"].tolist() == [4, 5] and train["t"].tolist() == [1, 2, 3]
    train, hold = split_holdout(df, 0.0)
    assert len(hold) == 0 and len(train) == 5
    with pytest.raises(ConfigError):
        split_holdout(df, 1.0)


def test_digest_tracks_content():
    a = pd.DataFrame({"x": [1, 2]})
    assert frame_digest(a) == frame_digest(a.copy())
    assert frame_digest(a) != frame_digest(pd.DataFrame({"x": [1, 3]}))
    assert frame_digest(a) != frame_digest(pd.DataFrame({"z": [1, 2]}))
    assert Batch("b", a, "s3://x/b.csv").digest == frame_digest(a)
    assert Batch("b", a, "s3://x/b.csv", digest="abc").digest == "abc"
