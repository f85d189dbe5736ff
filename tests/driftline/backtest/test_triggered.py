import numpy as np
import pytest

from driftline.backtest import DriftTriggered, run_backtest
from driftline.errors import ConfigError
from driftline.training import LabelledPolicy, Policy

K = 9  # the batch from which the label rule is reversed


def retrains(run):
    """Batches whose labels made the policy propose a full retrain (concept alarm)."""
    return [s.index for s in run.steps if s.trained and s.action == "full_retrain"]


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
    # the retrain was trained beside the fine-tune; the better of the two went on
    first = next(s for s in run.steps if s.index == after[0])
    assert first.details["selection"]["candidates"][-1].startswith("full_retrain")
    # the champion is worse than guessing the majority class on batch K: the update
    # learns from the batches since the alarm and recovers while the static model stays wrong
    tail = slice(K + 2 - 3, None)  # scored batches from K + 2 on (scores start at batch 3)
    assert run.scores[tail].mean() > 0.7 > result.run("never").scores[tail].mean()


def test_no_concept_change_no_false_retrain_and_fine_tunes_go_on(stream, small_config):
    result = run_backtest(stream(14, 300, seed=4), small_config(["driftline"], batch_size=300))
    run = result.run("driftline")
    assert len(run.steps) == 11 and len(retrains(run)) <= 1
    # new labels are new information: the model keeps learning (stable -> fine_tune)
    assert sum(s.strategy == "fine_tune" for s in run.steps) >= 9


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
        # every alarm's retrain is the challenger (no fine-tune alternative): the window shows
        driftline_options={"concept_window": "since_drift", "retrain_alternative": False},
    )
    result = run_backtest(df, cfg)
    run = result.run("driftline")
    first = next(s for s in run.steps if s.index >= K and s.strategy == "full_retrain")
    assert first.index == K and first.trained_on == (f"batch-{K:04d}",)
    assert first.details["change_point"] == f"batch-{K:04d}"
    assert run.scores[-3:].mean() > 0.7  # the new rule is learnt at once


def test_gate_pools_hold_outs_of_recent_batches_and_stops_at_the_change_point(stream, small_config):
    df = stream(14, 300, flip_at=K, seed=3)
    cfg = small_config(
        ["driftline"],
        batch_size=300,
        bootstrap_batches=3,
        driftline_options={"gate_batches": 3, "holdout_fraction": 0.2},
    )
    run = run_backtest(df, cfg).run("driftline")
    steps = {s.index: s for s in run.steps}
    # before the change: the newest 3 batches' 60-row slices are pooled
    assert steps[6].gate["n"] == 3 * 60
    # at the change point only its own slice counts, then the slices since
    assert steps[K].details["change_point"] == f"batch-{K:04d}"
    assert steps[K].gate["n"] == 60
    assert steps[K + 1].gate["n"] == 120
    # a fresh challenger is promoted unless it is significantly worse
    assert all(s.gate["test"] == "not_worse" for s in run.steps if s.gate)
    # no model ever trains on a pooled row: 240 of the 300 rows of every pooled batch
    fine = [s for s in run.steps if s.strategy == "fine_tune" and len(s.trained_on) <= 3]
    assert fine and all(s.rows == 240 * len(s.trained_on) for s in fine)


def test_reference_is_the_holdout_until_a_batch_was_scored(stream):
    from driftline.backtest import Champion, to_batches
    from driftline.training import FullRetrain, ModelSpec

    batches = to_batches(stream(4, 300, seed=4), 300)
    spec = ModelSpec("classification", "y", ("x1", "x2"), ("c",), estimator="sgd")
    train, holdout = batches[0].frame, batches[1].frame.iloc[:120]
    model = FullRetrain().train(spec, train).model
    rules = Policy(covariate="none", concept="none", label="none", severe="none", unknown="none")
    policy = DriftTriggered(policy=rules)
    policy.start(spec, Champion(model, 1, "bootstrap", "full_retrain", train, holdout))
    assert [len(p[0]) for p in policy._reference()] == [120]
    policy.learn(2, batches[:3], scored_through=2)
    assert [len(p[0]) for p in policy._reference()] == [300]  # scored batches only


def test_a_custom_policy_is_used(stream, small_config):
    rules = Policy(covariate="none", concept="none", label="none", severe="none", unknown="none")
    df = stream(8, 300, flip_at=5, seed=3)
    cfg = small_config(["driftline"], batch_size=300, driftline_options={"policy": rules})
    run = run_backtest(df, cfg).run("driftline")
    assert not any(s.trained for s in run.steps)
    assert any("concept" in s.kinds for s in run.steps)


def test_the_replay_runs_the_dag_policy_object():
    lp = LabelledPolicy(gate_batches=2, fine_tune_epochs=3)
    replayed = DriftTriggered(labelled=lp, seed=7)
    assert replayed.labelled == LabelledPolicy(gate_batches=2, fine_tune_epochs=3, seed=7)
    assert (replayed.fine_tune_epochs, replayed.holdout_fraction) == (3, lp.holdout_fraction)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"concept": "kswin"}, "concept"),
        ({"concept_window": "all"}, "concept_window"),
        ({"alpha": 0.5}, "alpha"),
        ({"holdout_fraction": 0.0}, "holdout_fraction"),
        ({"gate_test": "better"}, "gate_test"),
        ({"gate_batches": 0}, "gate_batches"),
    ],
)
def test_invalid_parameters(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        DriftTriggered(**kwargs).validate()


def test_unknown_option_names_the_options():
    with pytest.raises(ConfigError, match="unknown option.*'persist'"):
        DriftTriggered(persist=True)


def test_scores_are_deterministic(stream, small_config):
    df = stream(9, 300, flip_at=6, seed=2)
    cfg = small_config(["driftline"], batch_size=300)
    a, b = (run_backtest(df, cfg).run("driftline") for _ in range(2))
    np.testing.assert_array_equal(a.scores, b.scores)
    assert [s.action for s in a.steps] == [s.action for s in b.steps]
