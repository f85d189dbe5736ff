"""Faults of the storage services, injected into real processes of a private stack.

* The S3 server (SeaweedFS) is frozen while a training run uploads its artifacts through
  the MLflow server, then killed with SIGKILL and restarted.
* The MLflow tracking server is killed between logging a challenger and its promotion,
  then restarted.

After recovery the step completes (on the MLflow client's own retries or on a retry of
the step), the batch's object is intact, the batch has exactly one model version and
``champion`` always names a complete, loadable model.
"""

from __future__ import annotations

import hashlib
import signal
import threading
import time
import uuid

import mlflow
import pytest
from mlflow import MlflowClient

from driftline import s3 as s3mod
from driftline.errors import DriftlineError
from driftline.training import (
    Batch,
    ModelSpec,
    Registry,
    TrainingConfig,
    Window,
    bootstrap,
    gate_and_promote,
    train_and_log,
)
from tests.driftline.training.conftest import make_frame
from tests.reliability.faults import crash_service, kill, pause_service, poll, restart_service

pytestmark = pytest.mark.integration

SPEC = ModelSpec("classification", "y", numeric=("x1", "x2"), categorical=("c",))
RETRAIN_NEW = TrainingConfig(window=Window.last(1))


def _batch(i: int, **kw) -> Batch:
    return Batch(f"b{i}", make_frame(600, i, **kw), f"s3://driftline-landing/claimed/b{i}/b{i}.csv")


def _world(own_services, prefix: str):
    settings, stack = own_services
    s = settings.with_(model_name=f"{prefix}-{uuid.uuid4().hex[:8]}")
    bootstrap(_batch(0), SPEC, s)
    registry = Registry(s.model_name, s.mlflow_tracking_uri)
    assert registry.aliases() == {"champion": "1"}
    return s, stack, registry


def _versions_of(registry: Registry, batch_id: str) -> list[str]:
    return [str(v.version) for v in registry.versions() if v.tags.get("batch_id") == batch_id]


def _runs_of(s, batch_id: str) -> list:
    client = MlflowClient(s.mlflow_tracking_uri)
    exp = client.get_experiment_by_name(s.model_name)
    return client.search_runs(
        [exp.experiment_id], filter_string=f"tags.`driftline.batch_id` = '{batch_id}'"
    )


def _champion_predicts(s) -> None:
    model = mlflow.sklearn.load_model(f"models:/{s.model_name}@champion")
    assert model.predict(make_frame(20, 99)[list(SPEC.features)]).shape == (20,)


def test_s3_stopped_during_an_artifact_upload(own_services):
    s, stack, registry = _world(own_services, "s3fault")
    new = _batch(1, flip=True)
    # the batch object lives in S3 too: a crash of the server must not lose it
    body = new.frame.to_csv(index=False).encode()
    client = s3mod.client(s)
    client.put_object(Bucket=s.bucket_landing, Key="claimed/b1/b1.csv", Body=body)

    outcome: dict[str, object] = {}

    def train() -> None:
        try:
            outcome["trained"] = train_and_log(
                "b1", "full_retrain", s, history=[_batch(0), new], spec=SPEC, config=RETRAIN_NEW
            )
        except Exception as exc:  # noqa: BLE001 - inspected below
            outcome["error"] = exc

    paused = pause_service(stack, "s3")  # uploads now hang mid-request
    worker = threading.Thread(target=train, daemon=True)
    try:
        worker.start()
        run = poll(lambda: _runs_of(s, "b1"), 600, "the MLflow run of batch b1")[0]
        time.sleep(5)  # the run logs params, metrics, inputs, then uploads its artifacts
        assert worker.is_alive(), f"training ended although S3 was frozen: {outcome}"
        tags = MlflowClient(s.mlflow_tracking_uri).get_run(run.info.run_id).data.tags
        assert tags.get("driftline.complete") != "true"
        crash_service(stack, "s3")  # SIGKILL while the upload is in flight
    finally:
        kill(paused, signal.SIGCONT)
    time.sleep(3)
    restart_service(stack, "s3")
    worker.join(900)
    assert not worker.is_alive(), "training did not end after S3 came back"

    if "error" in outcome:  # the client's retries gave up: the step fails cleanly
        error = outcome["error"]
        assert isinstance(error, DriftlineError), repr(error)
        assert "b1" in str(error) and "champion" in str(error)
        assert registry.aliases()["champion"] == "1"
        _champion_predicts(s)
        trained = train_and_log(
            "b1", "full_retrain", s, history=[_batch(0), new], spec=SPEC, config=RETRAIN_NEW
        )
    else:  # the MLflow client's retries with backoff outlived the outage
        trained = outcome["trained"]
    print(f"S3 fault: recovered by {'a step retry' if 'error' in outcome else 'client retries'}")

    assert trained.version == "2"
    assert _versions_of(registry, "b1") == ["2"]
    registry.verify("2", new.frame[list(SPEC.features)].head(5))
    stored = client.get_object(Bucket=s.bucket_landing, Key="claimed/b1/b1.csv")["Body"].read()
    assert hashlib.sha256(stored).digest() == hashlib.sha256(body).digest()

    promoted = gate_and_promote("b1", s)
    assert promoted.champion == ("2" if promoted.promoted else "1")
    _champion_predicts(s)
    assert len(registry.versions()) == 2


def test_mlflow_stopped_between_logging_and_promotion(own_services, monkeypatch):
    s, stack, registry = _world(own_services, "mlflowfault")
    new = _batch(1, flip=True)
    trained = train_and_log(
        "b1", "full_retrain", s, history=[_batch(0), new], spec=SPEC, config=RETRAIN_NEW
    )
    assert trained.version == "2"
    assert registry.aliases() == {"champion": "1", "challenger": "2"}

    crash_service(stack, "mlflow")
    try:
        # bound the client's retries so the failure is reported within a minute or so
        monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
        monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")
        with pytest.raises(DriftlineError, match=r"batch b1: .*(champion|MLflow)") as failed:
            gate_and_promote("b1", s)
        print(f"gate_and_promote with MLflow down: {failed.value}")
        assert "champion: version None" not in str(failed.value)  # an outage is not 'no model'
    finally:
        monkeypatch.delenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES")
        monkeypatch.delenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR")
        restart_service(stack, "mlflow")

    assert registry.aliases() == {"champion": "1", "challenger": "2"}
    _champion_predicts(s)
    # the retry of the step (and of the training step, as a rerun of the DAG would) finishes
    again = train_and_log(
        "b1", "full_retrain", s, history=[_batch(0), new], spec=SPEC, config=RETRAIN_NEW
    )
    assert again.reused and again.version == "2"
    done = gate_and_promote("b1", s)
    assert done.promoted and done.champion == "2" and done.previous == "1"
    _champion_predicts(s)
    assert _versions_of(registry, "b1") == ["2"]
    assert len(registry.versions()) == 2
    assert not gate_and_promote("b1", s).moved
