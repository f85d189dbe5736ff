import pytest

from driftline.backtest import Champion, Plan, ReplayPolicy
from driftline.errors import ConfigError, DataError
from driftline.training import Batch, BootstrapGate, FullRetrain, ModelSpec

SPEC = ModelSpec("classification", "y", numeric=("x1", "x2"), categorical=("c",), estimator="sgd")


class Scripted(ReplayPolicy):
    """Plays back a list of actions."""

    name = "scripted"

    def __init__(self, actions, **kwargs):
        super().__init__(**kwargs)
        self.actions = list(actions)

    def _plan(self, index, history):
        return Plan(self.actions.pop(0), ("scripted",))


def started(policy, stream):
    frame = stream(1, 400)
    model = FullRetrain().train(SPEC, frame).model
    policy.start(SPEC, Champion(model, 1, "bootstrap", "full_retrain", frame))
    return policy


def history(stream, n=3, size=200, flip_at=None):
    df = stream(n, size, flip_at=flip_at, seed=1)
    return [Batch(f"b{i}", df.iloc[i * size : (i + 1) * size], "mem") for i in range(n)]


def test_hold_out_is_kept_out_of_training_and_gated_on(stream):
    policy = started(
        Scripted(["full_retrain"], holdout_fraction=0.25, gate=BootstrapGate()), stream
    )
    step = policy.learn(2, history(stream), scored_through=2)
    assert step.trained and step.rows == 2 * 200 + 150  # the newest 50 rows are held out
    assert step.gate is not None and step.gate["n"] == 50
    if step.promoted:
        assert len(policy.champion.holdout) == 50


def test_a_refused_challenger_leaves_the_champion(stream):
    gate = BootstrapGate(margin=0.99)  # nothing can improve accuracy by 99 points
    policy = started(Scripted(["fine_tune"], holdout_fraction=0.2, gate=gate), stream)
    before = policy.champion
    step = policy.learn(2, history(stream), scored_through=2)
    assert step.trained and not step.promoted and step.gate["promote"] is False
    assert policy.champion is before and step.champion_version == 1


def test_without_gate_every_challenger_is_promoted(stream):
    policy = started(Scripted(["fine_tune", "full_retrain"]), stream)
    first = policy.learn(2, history(stream), scored_through=2)
    second = policy.learn(2, history(stream), scored_through=2)
    assert (first.champion_version, second.champion_version) == (2, 3)
    assert policy.champion.strategy == "full_retrain" and policy.champion.holdout is None


def test_plan_window_overrides_the_policy_window(stream):
    class Short(Scripted):
        def _plan(self, index, history):
            return Plan("full_retrain", window=1)

    policy = started(Short([], window=3), stream)
    assert policy.learn(2, history(stream), scored_through=2).trained_on == ("b2",)


def test_errors(stream):
    with pytest.raises(ConfigError, match="call start"):
        Scripted(["none"]).learn(0, history(stream), scored_through=0)
    with pytest.raises(ConfigError, match="action 'retrain'"):
        started(Scripted(["retrain"]), stream).learn(2, history(stream), scored_through=2)
    with pytest.raises(DataError, match="empty history"):
        started(Scripted(["none"]), stream).learn(2, [], scored_through=2)
    for kwargs, match in [
        ({"window": 0}, "window"),
        ({"fine_tune_epochs": 1.5}, "fine_tune_epochs"),
        ({"holdout_fraction": 1.0}, "holdout_fraction"),
        ({"gate": "bootstrap"}, "gate"),
    ]:
        with pytest.raises(ConfigError, match=match):
            started(Scripted([], **kwargs), stream)


def test_step_to_dict_is_json_ready(stream):
    import json

    policy = started(Scripted(["full_retrain"], holdout_fraction=0.2, gate=BootstrapGate()), stream)
    d = policy.learn(2, history(stream), scored_through=2).to_dict()
    assert json.loads(json.dumps(d))["trained_on"] == ["b0", "b1", "b2"]


def test_a_promotion_is_checked_on_the_next_labelled_batch(stream):
    """After a promotion the next batch's labels compare the new and the replaced model."""
    good = history(stream, n=4)
    flipped = history(stream, n=4, flip_at=0)  # the same rows with the rule reversed
    policy = started(Scripted(["full_retrain", "none", "none"], window=1), stream)
    first = policy.learn(2, good[:3], scored_through=2)
    assert first.promoted and first.after_promotion is None
    # the promoted model learnt the rule: on the next batch it beats the bootstrap model
    # (trained on the same rule), so it is not worse
    second = policy.learn(3, good, scored_through=3)
    assert second.after_promotion is not None and second.after_promotion["version"] == 2
    assert second.after_promotion["n"] == 200 and second.after_promotion["worse"] is False
    assert policy.learn(3, good, scored_through=3).after_promotion is None  # checked once

    policy = started(Scripted(["full_retrain", "none"], window=1), stream)
    policy.learn(2, [*good[:2], flipped[2]], scored_through=2)  # learns the reversed rule
    check = policy.learn(3, good, scored_through=3).after_promotion
    assert check["worse"] is True and check["lower"] is True and check["ci_high"] < 0


def test_only_labelled_rows_are_learnt_from(stream):
    hist = history(stream)
    frame = hist[-1].frame.copy()
    frame.loc[frame.index[:150], "y"] = None  # 50 of 200 rows labelled
    hist[-1] = Batch("b2", frame, "mem")
    policy = started(Scripted(["full_retrain"], window=1), stream)
    assert policy.learn(2, hist, scored_through=2).rows == 50
    policy = started(
        Scripted(["fine_tune"], holdout_fraction=0.2, gate=BootstrapGate(min_rows=5)), stream
    )
    step = policy.learn(2, hist, scored_through=2)
    assert step.rows == 40 and step.gate["n"] == 10  # 20 % of the labelled rows held out
