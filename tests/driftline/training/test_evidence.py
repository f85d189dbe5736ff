import numpy as np
import pandas as pd
import pytest

from driftline.errors import ConfigError
from driftline.training import Batch, gate_split, labelled


def batches(n=5, rows=50, labelled_share=1.0, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        y = rng.integers(0, 2, rows).astype(float)
        y[rng.random(rows) >= labelled_share] = np.nan
        frame = pd.DataFrame({"t": np.arange(rows) + i * rows, "x": rng.normal(size=rows), "y": y})
        out.append(Batch(f"b{i}", frame, f"s3://landing/b{i}.csv"))
    return out


def test_the_newest_slices_are_pooled_and_never_trained_on():
    hist = batches()
    split = gate_split(hist, target="y", fraction=0.2, batches=3)
    assert split.holdout_batches == ("b2", "b3", "b4")
    assert [len(b.frame) for b in split.train] == [50, 50, 40, 40, 40]
    trained = set(pd.concat([b.frame for b in split.train])["t"])
    pooled = set(split.holdout["t"])
    assert not trained & pooled and len(pooled) == 30
    # each pooled slice is the newest 10 rows of its batch (out-of-time for the rest)
    for i in (2, 3, 4):
        assert set(range(i * 50 + 40, i * 50 + 50)) <= pooled


def test_the_pool_starts_at_the_change_point_but_older_slices_stay_out_of_training():
    split = gate_split(batches(), target="y", fraction=0.2, batches=3, since="b3")
    assert split.holdout_batches == ("b3", "b4") and len(split.holdout) == 20
    assert len(split.train[2].frame) == 40  # b2's slice is still left out


def test_unlabelled_rows_are_dropped_and_integer_labels_come_back():
    split = gate_split(batches(labelled_share=0.3, seed=2), target="y", fraction=0.2, batches=2)
    assert split.holdout["y"].notna().all() and all(b.frame["y"].notna().all() for b in split.train)
    assert split.holdout["y"].dtype == np.int64
    assert labelled(pd.DataFrame({"y": [np.nan, 2.5]}), "y")["y"].tolist() == [2.5]
    assert labelled(pd.DataFrame({"x": [1]}), "y").empty


def test_a_batch_too_small_to_split_is_trained_on_whole_and_not_pooled():
    hist = batches(n=3)
    hist.append(Batch("tiny", hist[0].frame.head(2), "mem"))
    split = gate_split(hist, target="y", fraction=0.2, batches=2)
    assert split.holdout_batches == ("b2",) and len(split.train[-1].frame) == 2


@pytest.mark.parametrize(
    "kwargs, match", [({"batches": 0}, "gate batches"), ({"fraction": 1.0}, "fraction")]
)
def test_invalid(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        gate_split(batches(), **{"target": "y", "fraction": 0.2, "batches": 2, **kwargs})
