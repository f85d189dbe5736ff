import numpy as np
import pytest

from driftline.backtest import STREAMS, get_stream
from driftline.errors import ConfigError

SYNTHETIC = [n for n in STREAMS if n != "elec2"]


@pytest.mark.parametrize("name", SYNTHETIC)
def test_streams_are_seeded_and_have_the_declared_shape(name):
    spec = get_stream(name)
    a, b = spec.load(seed=1), spec.load(seed=1)
    assert a.equals(b) and not a.equals(spec.load(seed=2))
    assert len(a) == spec.n_batches * spec.batch_size and spec.target in a
    assert a.drop(columns=[spec.target]).notna().all().all()
    if spec.task == "classification":
        assert set(np.unique(a[spec.target])) == {0, 1}


def quarters(frame, column):
    n = len(frame) // 4
    return [frame[column].iloc[i * n : (i + 1) * n] for i in range(4)]


def test_label_shift_moves_the_prior_and_keeps_p_x_given_y():
    f = get_stream("label_shift").load(0)
    n = len(f)
    prior = lambda a, b: f.y.iloc[int(a * n) : int(b * n)].mean()  # noqa: E731
    assert prior(0, 0.25) == pytest.approx(0.5, abs=0.02)
    assert prior(0.4, 0.7) == pytest.approx(0.15, abs=0.02)
    assert prior(0.7, 1.0) == pytest.approx(0.75, abs=0.02)
    for cls in (0, 1):  # class-conditional means stay put
        parts = [f[f.y == cls].x0.iloc[i::4] for i in range(2)]
        assert abs(parts[0].mean() - parts[1].mean()) < 0.05


def test_covariate_shift_moves_x_and_keeps_the_rule():
    f = get_stream("covariate").load(0)
    means = [q.mean() for q in quarters(f, "x2")]
    assert means[3] - means[0] > 1.0  # the jump half-way
    # the same rule everywhere: a model of the rule fitted on one half fits the other
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, y = f.drop(columns="y"), f["y"]
    first = HistGradientBoostingClassifier(random_state=0).fit(X.iloc[::2], y.iloc[::2])
    assert first.score(X.iloc[1::2], y.iloc[1::2]) > 0.75


def test_sea_changes_its_concept_abruptly():
    f = get_stream("sea").load(0)
    n, total = len(f) // 4, f.x0 + f.x1
    band = (total > 8) & (total <= 9)  # positive under threshold 8, negative under 9
    first, second = (
        f.y.iloc[:n][band.iloc[:n]].mean(),
        f.y.iloc[n : 2 * n][band.iloc[n : 2 * n]].mean(),
    )
    assert first > 0.8 and second < 0.2  # 10 % label noise


def test_unknown_stream():
    with pytest.raises(ConfigError, match="unknown stream 'nope'"):
        get_stream("nope")
