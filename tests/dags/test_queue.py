"""One bad batch never blocks the queue: the training DAG with dag.test() on real S3 and MLflow.

(a) A 2-row batch (issue 19: it validated, trained, then failed ``gate_and_promote`` on an
empty hold-out on every try and stayed in ``claimed/``, so every later run picked it again)
is now quarantined at validation, naming ``DRIFTLINE_MIN_BATCH_ROWS``, and the normal batch
claimed after it is processed by the next run. (b) A batch whose step fails on every retry
is set aside by the failure callback with its error and an alert, the failed run still
starts the next, and the batch after it is processed. Listed in ``docs/reliability.md``.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.dags.conftest import land, make_frame, report, run_dag, xcom

pytestmark = pytest.mark.integration
PIPELINE_PREFIX = "queue"


def _claim_all(settings, n: int) -> list[str]:
    from driftline import flow

    out = [flow.claim_next(settings) for _ in range(n)]
    assert [o["outcome"] for o in out] == ["claimed"] * n, out
    return [o["batch"]["batch_id"] for o in out]


def _alerts(batch_id: str) -> list[dict]:
    from driftline.monitoring import MonitoringStore

    store = MonitoringStore.from_env()
    try:
        return store.alerts(batch_id=batch_id)
    finally:
        store.dispose()


def test_a_two_row_batch_is_quarantined_and_the_batch_after_it_is_processed(pipeline, airflow_db):
    from driftline import batches

    land(pipeline, "a-two-rows.csv", make_frame(2, seed=50))
    land(pipeline, "b-normal.csv", make_frame(1500, seed=51))
    tiny, normal = _claim_all(pipeline, 2)

    dagrun, states = run_dag()  # no batch named: the oldest claimed one
    print("run 1", dagrun.state, states)
    assert xcom(dagrun, "resolve_batch")["batch_id"] == tiny
    assert dagrun.state == "success", states
    assert states["quarantine"] == "success" and states["check_drift"] == "skipped"
    (failure,) = xcom(dagrun, "validate")["failures"]
    assert failure["kind"] == "too_few_rows"
    assert "batch has 2 rows, fewer than the 10" in failure["message"]
    assert "DRIFTLINE_MIN_BATCH_ROWS" in failure["message"]
    assert states["more_batches_waiting"] == "success"  # it starts the next run
    assert any(a["rule"] == "quarantined_batch" for a in _alerts(tiny))

    dagrun, states = run_dag()
    print("run 2", dagrun.state, states)
    assert xcom(dagrun, "resolve_batch")["batch_id"] == normal
    assert dagrun.state == "success", states
    assert states["publish_report"] == "success"
    assert report(pipeline, f"runs/{normal}.json")["processed_uri"].endswith("b-normal.csv")
    assert batches.list_claimed(pipeline) == []


def test_a_batch_failing_on_every_retry_is_set_aside_and_the_queue_goes_on(
    pipeline, airflow_db, monkeypatch
):
    import driftline_common

    from driftline import batches, flow, s3
    from driftline.errors import ModelError

    # the real retries (3), without their waits
    monkeypatch.setitem(driftline_common.DEFAULT_ARGS, "retry_exponential_backoff", False)
    monkeypatch.setitem(driftline_common.DEFAULT_ARGS, "retry_delay", timedelta(seconds=1))
    calls = []

    def broken_gate(batch, trained, settings=None):
        calls.append(batch["batch_id"])
        raise ModelError(f"batch {batch['batch_id']}: gating: Found array with 0 sample(s)")

    land(pipeline, "c-fails.csv", make_frame(1500, seed=52))
    land(pipeline, "d-next.csv", make_frame(1500, seed=53))
    failing, after = _claim_all(pipeline, 2)
    monkeypatch.setattr(flow, "gate_and_promote", broken_gate)
    dagrun, states = run_dag(strategy="fine_tune")
    print("run 1", dagrun.state, states, calls)
    assert xcom(dagrun, "resolve_batch")["batch_id"] == failing
    assert states["gate_and_promote"] == "failed" and len(calls) == 4  # 1 + 3 retries
    assert dagrun.state == "failed" and states["run_failed"] == "failed", states
    assert states["more_batches_waiting"] == "success"  # the failed run starts the next

    client = s3.client(pipeline)
    listed = client.list_objects_v2(Bucket=pipeline.bucket_quarantine, Prefix=f"failed/{failing}/")
    assert sorted(o["Key"].rsplit("/", 1)[1] for o in listed["Contents"]) == [
        "c-fails.csv",
        "error.json",
    ]
    error = json.loads(
        client.get_object(Bucket=pipeline.bucket_quarantine, Key=f"failed/{failing}/error.json")[
            "Body"
        ].read()
    )
    assert error["task_id"] == "gate_and_promote" and "0 sample(s)" in error["error"]
    (alert,) = [a for a in _alerts(failing) if a["rule"] == "failed_run"]
    assert "was set aside to" in alert["message"] and "deliver the file again" in alert["message"]
    assert failing not in batches.list_claimed(pipeline)

    monkeypatch.undo()
    dagrun, states = run_dag()
    print("run 2", dagrun.state, states)
    assert xcom(dagrun, "resolve_batch")["batch_id"] == after
    assert dagrun.state == "success", states
    assert states["publish_report"] == "success" and states["run_failed"] == "skipped"
    assert batches.list_claimed(pipeline) == []
