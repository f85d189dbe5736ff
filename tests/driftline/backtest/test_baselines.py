import pytest

from driftline.backtest import run_backtest


def test_never_trains_after_bootstrap(stream, small_config):
    result = run_backtest(stream(8, 200), small_config(["never"]))
    run = result.run("never")
    assert len(run.steps) == 5  # labels of batches 2..6 arrive before the stream ends
    assert all(not s.trained and s.action == "none" for s in run.steps)
    assert {s.champion_version for s in run.steps} == {1}
    assert run.cpu_seconds == 0 and run.rows_trained == 0


@pytest.mark.parametrize("period", [1, 2, 3])
def test_periodic_retrains_every_m_labelled_batches(stream, small_config, period):
    name = "always" if period == 1 else f"periodic:{period}"
    result = run_backtest(stream(12, 200), small_config([name], window=3))
    steps = result.runs[0].steps
    trained = [i for i, s in enumerate(steps) if s.trained]
    assert trained == list(range(period - 1, len(steps), period))
    for i in trained:  # a full retrain on the last `window` labelled batches
        s = steps[i]
        assert s.strategy == "full_retrain" and s.promoted
        assert s.trained_on == tuple(f"batch-{j:04d}" for j in range(s.index - 2, s.index + 1))
        assert s.rows == 3 * 200


def test_periodic_takes_the_configured_period(stream, small_config):
    result = run_backtest(stream(8, 200), small_config(["periodic"], period=2))
    assert result.runs[0].label == "periodic (every 2)"
    assert result.runs[0].count("full_retrain") == 2


def test_always_finetune_tunes_the_champion_on_each_new_batch(stream, small_config):
    result = run_backtest(stream(7, 200), small_config(["always_finetune"]))
    steps = result.runs[0].steps
    assert [s.strategy for s in steps] == ["fine_tune"] * len(steps)
    assert all(s.trained_on == (s.batch_id,) and s.rows == 200 for s in steps)
    assert [s.champion_version for s in steps] == list(range(2, len(steps) + 2))


def test_fine_tune_falls_back_to_full_retrain_without_partial_fit(stream, small_config):
    cfg = small_config(["always_finetune"], estimator="hgb", window=2)
    steps = run_backtest(stream(5, 200), cfg).runs[0].steps
    assert {s.strategy for s in steps} == {"full_retrain"}
    assert all(s.action == "fine_tune" for s in steps)
