import numpy as np
import pandas as pd
import pytest

from driftline.backtest import (
    BacktestConfig,
    infer_contract,
    make_policy,
    parse_policy,
    run_backtest,
)
from driftline.errors import ConfigError

ALL = ("never", "periodic", "always", "always_finetune", "driftline")


def number(batch_id: str) -> int:
    return int(batch_id.rsplit("-", 1)[1])


@pytest.mark.parametrize("delay", [1, 3])
def test_labels_are_used_only_after_their_batch_was_scored(stream, small_config, delay):
    cfg = small_config(["always", "driftline"], label_delay=delay, window=2)
    result = run_backtest(stream(10, 200, flip_at=6), cfg)
    for run in result.runs:
        steps = run.steps
        assert [s.index for s in steps] == list(range(2, 10 - delay))
        for s in steps:
            assert s.index == s.scored_through - delay + 1  # labels arrive K-1 batches late
            assert all(number(b) <= s.index for b in s.trained_on)
    # with a longer delay the models lag: the batch after the change is scored by an older model
    assert len(result.run("always").scores) == 8


def test_two_runs_give_the_same_results(stream, small_config):
    df = stream(9, 200, flip_at=6, seed=2)
    cfg = small_config(ALL, period=2, match_periodic=True)
    a, b = run_backtest(df, cfg), run_backtest(df, cfg)
    timing = ["training CPU s", "CPU % of always"]
    pd.testing.assert_frame_equal(a.table().drop(columns=timing), b.table().drop(columns=timing))
    pd.testing.assert_frame_equal(a.per_batch(), b.per_batch())

    def steps(result):
        return [
            {k: v for k, v in s.to_dict().items() if k not in ("cpu_seconds", "wall_seconds")}
            for r in result.runs
            for s in r.steps
        ]

    assert steps(a) == steps(b)
    assert a.table()["policy"].tolist()[:5] == [
        "never",
        "periodic (every 2)",
        "always",
        "always_finetune",
        "driftline",
    ]


def test_another_seed_changes_the_models(stream, small_config):
    df = stream(6, 200, seed=2)
    a = run_backtest(df, small_config(["always_finetune"], seed=0)).per_batch()
    b = run_backtest(df, small_config(["always_finetune"], seed=1)).per_batch()
    assert not a["always_finetune"].equals(b["always_finetune"])


def test_periodic_at_driftlines_number_of_retrains_is_added(stream, small_config):
    df = stream(12, 300, flip_at=6, seed=3)
    options = {"retrain_alternative": False}  # every concept alarm trains a full retrain
    cfg = small_config(
        ["driftline"], batch_size=300, match_periodic=True, driftline_options=options
    )
    result = run_backtest(df, cfg)
    n_retrains = result.run("driftline").count("full_retrain")
    assert n_retrains >= 1
    assert result.matched_period == max(1, round((12 - 2 - 1) / n_retrains))
    assert result.runs[-1].label == f"periodic (every {result.matched_period})"


def test_scores_and_previous_label_baseline(stream, small_config):
    df = stream(5, 200, seed=1)
    result = run_backtest(df, small_config(["never"]))
    y = df["y"].to_numpy()
    expected = [
        np.mean(y[i * 200 : (i + 1) * 200] == y[i * 200 - 1 : (i + 1) * 200 - 1]) for i in (2, 3, 4)
    ]
    np.testing.assert_allclose(result.baseline, expected)
    assert result.batch_ids == ("batch-0002", "batch-0003", "batch-0004")
    assert np.all((result.run("never").scores > 0.6) & (result.run("never").scores <= 1))


def test_regression_streams_use_the_mean_absolute_error(stream, small_config):
    df = stream(6, 200, seed=1).drop(columns="y")
    df["y"] = 2.0 * df["x1"] - df["x2"] + np.random.default_rng(0).normal(0, 0.1, len(df))
    result = run_backtest(df, small_config(["never", "always", "driftline"]))
    assert result.task == "regression" and result.metric == "mae"
    table = result.table().set_index("policy")
    assert 0 < table.loc["always", "mae"] < 0.5
    assert table.loc["previous label (row-level labels)", "mae"] > 1.0


def test_batches_failing_validation_are_scored_but_never_learnt_from(stream, small_config):
    df = stream(7, 200, seed=1)
    df.loc[4 * 200 + 3, "x1"] = np.nan  # the contract allows no nulls in x1
    result = run_backtest(df, small_config(["always"], validate=True))
    assert result.quarantined == ("batch-0004",)
    steps = result.run("always").steps
    assert [s.batch_id for s in steps] == ["batch-0002", "batch-0003", "batch-0005"]
    assert all("batch-0004" not in s.trained_on for s in steps)
    assert len(result.run("always").scores) == 5


def test_inferred_contract_leaves_numeric_ranges_open(stream):
    contract = infer_contract(stream(1, 100), "y")
    x1 = contract.column("x1")
    assert (x1.min, x1.max) == (None, None)
    assert contract.column("c").categories == ("a", "b")


def test_policy_names():
    assert parse_policy("periodic:3") == ("periodic", 3)
    cfg = BacktestConfig(target="y", batch_size=10, period=5)
    assert make_policy("periodic", cfg).label == "periodic (every 5)"
    from driftline.training import LabelledPolicy

    assert make_policy("driftline", cfg).holdout_fraction == LabelledPolicy().holdout_fraction
    assert make_policy("driftline", cfg).labelled == LabelledPolicy()
    for bad in ("sometimes", "always:2", "periodic:0", "periodic:x"):
        with pytest.raises(ConfigError):
            parse_policy(bad)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"label_delay": 0}, "label_delay"),
        ({"policies": ()}, "no policies"),
        ({"policies": ("nope",)}, "unknown policy"),
        ({"holdout_fraction": 0.0}, "holdout_fraction"),
        ({"threads": 0}, "threads"),
        ({"bootstrap_batches": 9}, "too few"),
        ({"target": "label"}, "target"),
    ],
)
def test_configuration_errors(stream, kwargs, match):
    cfg = BacktestConfig(**{"target": "y", "batch_size": 100, "validate": False, **kwargs})
    with pytest.raises(ConfigError, match=match):
        run_backtest(stream(10, 100), cfg)
