from driftline.backtest import log_backtest, run_backtest


def test_log_backtest_to_a_local_store(stream, small_config, tmp_path):
    from mlflow import MlflowClient

    result = run_backtest(stream(5, 200, seed=1), small_config(["never", "always"]))
    paths = result.save(tmp_path / "out", chart=False)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    run_id = log_backtest(result, uri, artifacts=paths)
    client = MlflowClient(tracking_uri=uri)
    parent = client.get_run(run_id)
    assert parent.data.params["batch_size"] == "200"
    assert parent.data.params["policies"] == "never,always"
    artifacts = {a.path for a in client.list_artifacts(run_id)}
    assert {"summary.csv", "summary.md", "per_batch.csv", "steps.jsonl"} <= artifacts
    children = client.search_runs(
        [parent.info.experiment_id], f"tags.mlflow.parentRunId = '{run_id}'"
    )
    assert sorted(c.data.tags["driftline.policy"] for c in children) == ["always", "never"]
    always = next(c for c in children if c.data.tags["driftline.policy"] == "always")
    assert always.data.metrics["full_retrains"] == 2
    history = client.get_metric_history(always.info.run_id, "batch_accuracy")
    assert [m.step for m in history] == [2, 3, 4]
