"""The smoke DAG runs with dag.test() against the real local S3 and MLflow server."""

import pytest


@pytest.mark.integration
def test_smoke_dag_writes_to_s3_and_mlflow(services, airflow_db):
    import runpy

    from mlflow.tracking import MlflowClient

    from driftline import s3
    from tests.dags.test_dag_integrity import ROOT

    module = runpy.run_path(str(ROOT / "dags" / "driftline_smoke.py"))
    dag = module["driftline_smoke"]()  # the decorated factory returns the DAG
    dagrun = dag.test(run_conf={"tag": "pytest"})
    assert dagrun.state == "success"

    # read back, independently of the DAG's own read-back task
    keys = [
        o["Key"]
        for o in s3.client(services).list_objects_v2(
            Bucket=services.bucket_reports, Prefix="smoke/pytest-"
        )["Contents"]
    ]
    assert keys
    client = MlflowClient(services.mlflow_tracking_uri)
    exp = client.get_experiment_by_name("driftline-smoke")
    runs = client.search_runs([exp.experiment_id], filter_string="params.run_tag LIKE 'pytest-%'")
    assert runs and runs[0].data.metrics["smoke_ok"] == 1.0
    assert [a.path for a in client.list_artifacts(runs[0].info.run_id)] == ["smoke.json"]
    # the artifact really sits in the S3 bucket behind the tracking server
    listed = s3.client(services).list_objects_v2(Bucket=services.bucket_mlflow, Prefix="artifacts/")
    assert any(o["Key"].endswith("smoke.json") for o in listed.get("Contents", []))
