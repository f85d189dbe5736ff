"""A smoke check through all three services: S3 write/read and an MLflow run with an artifact."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

from driftline import s3
from driftline.errors import ServiceError, fail
from driftline.settings import Settings, get_settings


def run_smoke(run_tag: str, settings: Settings | None = None) -> dict[str, Any]:
    """Write an object to the reports bucket and log an MLflow run with an artifact.

    Returns the S3 key, the MLflow run id and the artifact URI, which callers read back.
    """
    import mlflow

    s = settings or get_settings()
    payload = {"smoke": run_tag, "time": time.time()}
    key = f"smoke/{run_tag}.json"
    client = s3.client(s)
    client.put_object(Bucket=s.bucket_reports, Key=key, Body=json.dumps(payload).encode())
    mlflow.set_tracking_uri(s.mlflow_tracking_uri)
    try:
        mlflow.set_experiment("driftline-smoke")
        with mlflow.start_run(run_name=f"smoke-{run_tag}") as run:
            mlflow.log_param("run_tag", run_tag)
            mlflow.log_metric("smoke_ok", 1.0)
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "smoke.json"
                path.write_text(json.dumps(payload))
                mlflow.log_artifact(str(path))
            artifact_uri = run.info.artifact_uri
    except Exception as exc:
        raise ServiceError(
            fail(
                f"MLflow at {s.mlflow_tracking_uri} refused the smoke run ({exc})",
                "check 'make status'",
            )
        ) from exc
    return {
        "s3_key": key,
        "bucket": s.bucket_reports,
        "run_id": run.info.run_id,
        "artifact_uri": artifact_uri,
    }


def verify_smoke(result: dict[str, Any], settings: Settings | None = None) -> dict[str, Any]:
    """Read back what :func:`run_smoke` wrote; raise :class:`ServiceError` if anything is missing."""
    import mlflow
    from mlflow.tracking import MlflowClient

    s = settings or get_settings()
    body = s3.client(s).get_object(Bucket=result["bucket"], Key=result["s3_key"])["Body"].read()
    payload = json.loads(body)
    mlflow.set_tracking_uri(s.mlflow_tracking_uri)
    client = MlflowClient(s.mlflow_tracking_uri)
    run = client.get_run(result["run_id"])
    artifacts = [a.path for a in client.list_artifacts(result["run_id"])]
    if "smoke.json" not in artifacts or run.data.metrics.get("smoke_ok") != 1.0:
        raise ServiceError(
            fail(
                f"MLflow run {result['run_id']} lacks its artifact or metric ({artifacts})",
                "check the MLflow log",
            )
        )
    return {"s3_payload": payload, "mlflow_status": run.info.status, "artifacts": artifacts}
