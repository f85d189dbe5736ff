import pickle

import numpy as np
import pandas as pd
import pytest

from driftline.errors import ModelError
from driftline.training import (
    Batch,
    FineTune,
    FullRetrain,
    ModelSpec,
    Window,
    fine_tune,
    full_retrain,
)


def accuracy(model, df):
    return float(np.mean(model.predict(df) == df["y"].to_numpy()))


def test_full_retrain_result_fields(frames, spec):
    hist = [Batch(f"b{i}", frames(200, i), f"s3://l/b{i}.csv") for i in range(3)]
    result = full_retrain(spec, hist, window=Window.last(2))
    assert result.strategy == "full_retrain"
    assert result.rows == 400 and result.batch_ids == ("b1", "b2")
    assert result.cpu_seconds > 0 and result.wall_seconds > 0
    assert result.metrics["train_accuracy"] > 0.7
    assert result.params["window_kind"] == "last_n" and result.params["window_n"] == 2


def test_full_retrain_is_deterministic(frames, spec):
    df = frames(300, 0)
    a, b = full_retrain(spec, df).model, full_retrain(spec, df).model
    np.testing.assert_array_equal(a.predict_proba(df), b.predict_proba(df))


def test_recency_weights_reach_the_estimator(frames, spec):
    # old batches follow the flipped rule; weighting recent data changes the model
    hist = [Batch(f"old{i}", frames(300, i, flip=True), "s3://l/o.csv") for i in range(3)]
    hist.append(Batch("new", frames(300, 9), "s3://l/n.csv"))
    test = frames(500, 10)
    flat = full_retrain(spec, hist).model
    recent = full_retrain(spec, hist, window=Window.all(half_life=0.3)).model
    assert accuracy(recent, test) > accuracy(flat, test) + 0.1


def test_fine_tune_adapts_and_never_touches_the_champion(frames, spec):
    champion = full_retrain(spec, frames(600, 0)).model
    frozen = pickle.dumps(champion)
    new, test = frames(600, 1, flip=True), frames(500, 2, flip=True)
    before = accuracy(champion, test)
    result = fine_tune(champion, new, spec=spec, epochs=20)
    assert result.strategy == "fine_tune" and result.rows == 600
    assert result.model is not champion
    assert pickle.dumps(champion) == frozen  # the champion object is unchanged
    assert accuracy(result.model, test) > before + 0.2  # it learned the new concept


def test_fine_tune_keeps_the_champion_preprocessing(frames, spec):
    champion = full_retrain(spec, frames(300, 0)).model
    tuned = fine_tune(champion, frames(300, 1, shift=3.0), spec=spec, epochs=1).model
    scaler = lambda m: m.named_steps["preprocess"].named_transformers_["numeric"]  # noqa: E731
    np.testing.assert_array_equal(
        scaler(tuned).named_steps["scale"].mean_, scaler(champion).named_steps["scale"].mean_
    )


def test_fine_tune_is_deterministic(frames, spec):
    champion = full_retrain(spec, frames(300, 0)).model
    new = frames(200, 1)
    a = fine_tune(champion, new, spec=spec, epochs=3).model
    b = fine_tune(champion, new, spec=spec, epochs=3).model
    np.testing.assert_array_equal(a.predict_proba(new), b.predict_proba(new))


def test_fine_tune_uses_the_newest_batch_by_default(frames, spec):
    champion = full_retrain(spec, frames(300, 0)).model
    hist = [Batch("b0", frames(300, 0), "s3://l/0"), Batch("b1", frames(100, 1), "s3://l/1")]
    result = FineTune(epochs=1).train(spec, hist, champion=champion)
    assert result.batch_ids == ("b1",) and result.rows == 100
    replay = FineTune(Window.last(2), epochs=1).train(spec, hist, champion=champion)
    assert replay.rows == 400


def test_fine_tune_regression_keeps_target_scaling(frames):
    df = frames(500, 0)
    df["r"] = 1000 + 300 * df["x1"]
    spec = ModelSpec("regression", "r", numeric=("x1", "x2"), estimator="sgd")
    champion = full_retrain(spec, df).model
    moved = df.assign(r=df["r"] + 200)
    tuned = fine_tune(champion, moved, spec=spec, epochs=5).model
    err = lambda m: float(np.mean(np.abs(m.predict(moved) - moved["r"])))  # noqa: E731
    assert err(tuned) < err(champion) / 2


def test_fine_tune_refusals(frames, spec):
    df = frames(200, 0)
    hgb = ModelSpec(**{**spec.to_dict(), "estimator": "hgb"})
    with pytest.raises(ModelError, match="cannot be fine-tuned"):
        fine_tune(full_retrain(hgb, df).model, df, spec=hgb)
    champion = full_retrain(spec, df).model
    with pytest.raises(ModelError, match="classes"):
        fine_tune(champion, df.assign(y=2), spec=spec)
    with pytest.raises(ModelError, match="needs a champion"):
        FineTune().train(spec, df)


def test_frame_input_is_wrapped(frames, spec):
    result = FullRetrain().train(spec, frames(100, 0))
    assert result.batch_ids == ("frame",)
    assert isinstance(result.data.frame, pd.DataFrame) and len(result.data.frame) == 100


@pytest.mark.parametrize(
    "strategy, needle",
    [
        (FineTune(epochs=0), "epochs"),
        (FullRetrain(threads=0), "threads"),
        (FullRetrain(Window.last(0)), "window n"),
    ],
)
def test_invalid_strategy_parameters(frames, spec, strategy, needle):
    from driftline.errors import ConfigError

    with pytest.raises(ConfigError, match=needle):
        strategy.train(spec, frames(50, 0), champion=object())


def test_thread_limit_gives_the_same_model(frames, spec):
    df = frames(300, 0)
    a = FullRetrain(threads=1).train(spec, df).model.predict_proba(df)
    b = FullRetrain(threads=2).train(spec, df).model.predict_proba(df)
    np.testing.assert_allclose(a, b)
