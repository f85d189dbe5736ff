"""Links: Airflow, MLflow and Data Docs URLs."""

from __future__ import annotations

from driftline.monitoring import Links


def test_links_are_built_and_escaped():
    lk = Links("http://af:8080", "http://ml:5000", "elec")
    assert lk.airflow_run("d", "manual__2026-01-01T00:00:00+00:00").endswith(
        "/dags/d/runs/manual__2026-01-01T00%3A00%3A00%2B00%3A00"
    )
    assert lk.mlflow_run("abc") == "http://ml:5000/#/runs/abc"
    assert lk.model_version("3") == "http://ml:5000/#/models/elec/versions/3"
    assert lk.view() == "http://af:8080/driftline/"


def test_missing_parts_give_no_link():
    lk = Links("", "", "m")
    assert lk.airflow_run(None, "r") is None and lk.mlflow_run("abc") is None
    assert lk.data_docs("b", "s3://bucket/docs/b/index.html") == "/driftline/datadocs/b/index.html"
    assert lk.data_docs("b", None) is None
    assert lk.data_docs("b", "https://docs.example/b/") == "https://docs.example/b/"
    assert lk.data_docs("b 1", "/x/index.html") == "/driftline/datadocs/b%201/index.html"
    assert lk.for_record({"batch_id": "b", "dag_id": "d", "run_id": "r"}) == {
        "airflow_run": "/dags/d/runs/r"
    }


def test_from_env_uses_settings_and_the_airflow_base_url():
    lk = Links.from_env({"DRIFTLINE_AIRFLOW_PORT": "9999", "MLFLOW_TRACKING_URI": "http://m:1/"})
    assert (lk.airflow_url, lk.mlflow_url) == ("http://127.0.0.1:9999", "http://m:1")
    lk = Links.from_env({"AIRFLOW__API__BASE_URL": "https://airflow.example/"})
    assert lk.airflow_url == "https://airflow.example"
