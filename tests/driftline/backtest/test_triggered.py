import numpy as np
import pytest

from driftline.backtest import DriftTriggered, labelled_policy, run_backtest
from driftline.errors import ConfigError
from driftline.training import Policy

K = 9  # the batch from which the label rule is reversed


def retrains(run):
    return [s.index for s in run.steps if s.trained and s.strategy == "full_retrain"]


@pytest.mark.parametrize("concept", ["performance_drop", "adwin", "ddm"])
def test_abrupt_concept_change_triggers_a_retrain_within_two_batches(stream, small_config, concept):
    df = stream(16, 300, flip_at=K, seed=3)
    cfg = small_config(["never", "driftline"], batch_size=300, concept=concept, bootstrap_batches=3)
    result = run_backtest(df, cfg)
    run = result.run("driftline")
    before = [i for i in retrains(run) if i < K]
    after = [i for i in retrains(run) if K <= i <= K + 2]
    assert len(before) <= 1
    assert after, f"no full retrain in batches {K}..{K + 2}: {retrains(run)}"
    assert any("concept" in s.kinds for s in run.steps if s.index in after)
    # the champion is worse than guessing the majority class on batch K: the retrain
    # learns from the batches since the alarm and recovers while the static model stays wrong
    tail = slice(K + 2 - 3, None)  # scored batches from K + 2 on (scores start at batch 3)
    assert run.scores[tail].mean() > 0.7 > result.run("never").scores[tail].mean()


def test_no_concept_change_at_most_one_false_retrain(stream, small_config):
    result = run_backtest(stream(14, 300, seed=4), small_config(["driftline"], batch_size=300))
    run = result.run("driftline")
    assert len(run.steps) == 11 and len(retrains(run)) <= 1


def test_covariate_shift_is_met_with_a_fine_tune(stream, small_config):
    df = stream(10, 300, seed=5)
    # P(x) moves along the decision boundary from batch 6 on (3 dx1 = 2 dx2); P(y|x) stays
    df.loc[6 * 300 :, "x1"] += 1.0
    df.loc[6 * 300 :, "x2"] += 1.5
    run = run_backtest(df, small_config(["driftline"], batch_size=300)).run("driftline")
    step = next(s for s in run.steps if s.index == 6)
    assert "covariate" in step.kinds and {"x1", "x2"} <= set(step.details["drifted_columns"])
    assert step.action == "fine_tune" and "concept" not in step.kinds


def test_since_drift_window_retrains_on_post_change_batches_and_recovers(stream, small_config):
    df = stream(14, 300, flip_at=K, seed=3)
    cfg = small_config(
        ["driftline"],
        batch_size=300,
        bootstrap_batches=3,
        driftline_options={"concept_window": "since_drift"},
    )
    result = run_backtest(df, cfg)
    run = result.run("driftline")
    first = next(s for s in run.steps if s.index >= K and s.strategy == "full_retrain")
    assert first.index == K and first.trained_on == (f"batch-{K:04d}",)
    assert run.scores[-3:].mean() > 0.7  # the new rule is learnt at once


def test_persist_drift_keeps_retraining_until_the_pre_drift_level_is_back(stream, small_config):
    df = stream(16, 300, flip_at=K, seed=3)
    options = {"persist_drift": True, "concept_window": "window"}
    cfg = small_config(
        ["driftline"], batch_size=300, bootstrap_batches=3, driftline_options=options
    )
    run = run_backtest(df, cfg).run("driftline")
    episode = [s for s in run.steps if s.details.get("episode_since") == f"batch-{K:04d}"]
    assert len(episode) >= 2 and all(s.action == "full_retrain" for s in episode)
    assert np.mean(run.scores[-2:]) > 0.7  # recovered once the window holds the new rule


def test_reference_is_the_holdout_until_a_batch_was_scored(stream):
    from driftline.backtest import Champion, to_batches
    from driftline.training import FullRetrain, ModelSpec

    batches = to_batches(stream(4, 300, seed=4), 300)
    spec = ModelSpec("classification", "y", ("x1", "x2"), ("c",), estimator="sgd")
    train, holdout = batches[0].frame, batches[1].frame.iloc[:120]
    model = FullRetrain().train(spec, train).model
    policy = DriftTriggered(policy=Policy(covariate="none", concept="none", label="none"))
    policy.start(spec, Champion(model, 1, "bootstrap", "full_retrain", train, holdout))
    assert [len(p[0]) for p in policy._own_reference()] == [120]
    policy.learn(2, batches[:3], scored_through=2)
    assert [len(p[0]) for p in policy._own_reference()] == [300]  # scored batches only
    policy.reference = "scored_and_holdout"
    assert [len(p[0]) for p in policy._own_reference()] == [120, 300]


def test_labelled_policy_retrains_only_on_concept_drift():
    from types import SimpleNamespace as R

    p = labelled_policy()
    severe = R(is_drift=True, kinds=("covariate", "label"), severity="severe", max_effect=0.6)
    assert p.decide(severe).action == "fine_tune"
    concept = R(is_drift=True, kinds=("concept",), severity="moderate", max_effect=0.1)
    assert p.decide(concept).action == "full_retrain"


def test_a_custom_policy_is_used(stream, small_config):
    options = {"policy": Policy(covariate="none", concept="none", label="none", severe="none")}
    df = stream(8, 300, flip_at=5, seed=3)
    cfg = small_config(["driftline"], batch_size=300, driftline_options=options)
    run = run_backtest(df, cfg).run("driftline")
    assert not any(s.trained for s in run.steps)
    assert any("concept" in s.kinds for s in run.steps)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"concept": "kswin"}, "concept"),
        ({"reference": "all"}, "reference"),
        ({"concept_window": "all"}, "concept_window"),
        ({"alpha": 0.5}, "alpha"),
        ({"holdout_fraction": 0.0}, "hold-out"),
    ],
)
def test_invalid_parameters(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        DriftTriggered(**kwargs).validate()
