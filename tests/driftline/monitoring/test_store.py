"""MonitoringStore: round trips, idempotent writes, validation, SQLite and PostgreSQL."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from driftline.errors import ConfigError
from driftline.monitoring import LATEST_VERSION, MonitoringStore, default_url
from tests.driftline.monitoring.seed import drift_report, seed_store

T0 = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    st = MonitoringStore(f"sqlite:///{tmp_path / 'm.db'}")
    yield st
    st.dispose()


def _row_counts(store: MonitoringStore) -> dict[str, int]:
    from sqlalchemy import func, select

    from driftline.monitoring import schema as s

    with store.engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in s.metadata.sorted_tables
        }


def _record_everything(store: MonitoringStore, report: dict) -> None:
    store.record_batch("b1", "received", received_at=T0, dag_id="dag", run_id="run-1")
    store.record_validation("b1", {"passed": True, "n_rows": 100, "data_docs": "/d/index.html"})
    store.record_drift("b1", report)
    store.record_decision(
        "b1", "fine_tune", reasons="x drifted", kinds=["covariate"], severity="moderate"
    )
    store.record_predictions("b1", "2", values=np.random.default_rng(0).uniform(size=50))
    store.record_performance("b1", "2", {"accuracy": 0.8, "f1": 0.7, "roc_auc": float("nan")})
    store.record_model_event("fine_tune", "3", batch_id="b1", mlflow_run_id="abc")
    store.record_model_event(
        "promotion", "3", batch_id="b1", mlflow_run_id="abc", previous_version="2"
    )
    store.record_step("b1", "validate", 1.5)
    store.claim_alert(
        "drift_detected:b1",
        rule="drift_detected",
        batch_id="b1",
        severity="warning",
        message="m",
        links={},
    )


def test_fresh_store_creates_the_latest_schema(store):
    assert store.schema_version() == LATEST_VERSION
    assert store.batches() == []
    assert store.drift_report() is None


def test_every_record_round_trips(store):
    report = drift_report("b1", 9, np.random.default_rng(1))
    _record_everything(store, report)
    b = store.batch("b1")
    assert (b["status"], b["rows"], b["dag_id"], b["run_id"]) == ("validated", 100, "dag", "run-1")
    assert b["received_at"] == T0
    assert b["champion_version"] == "3"  # the promotion set it after the predictions did
    rows = store.drift(batch_id="b1")
    assert [r["column"] for r in rows] == [c["column"] for c in report["columns"]]
    first = report["columns"][0]
    assert rows[0]["effect_size"] == pytest.approx(first["effect_size"])
    assert rows[0]["p_value_corrected"] == pytest.approx(first["p_value_corrected"])
    assert rows[0]["method"] == first["results"][0]["method"]
    assert rows[0]["drifted"] is first["drifted"]
    latest = store.drift_report()
    assert latest["batch_id"] == "b1" and latest["is_drift"] is report["is_drift"]
    assert latest["report"]["columns"][0]["column"] == first["column"]
    d = store.decisions()[0]
    assert (d["action"], d["reasons"], d["kinds"], d["severity"]) == (
        "fine_tune",
        ["x drifted"],
        ["covariate"],
        "moderate",
    )
    # the decision names no run or version: the batch's model events and Airflow run fill in
    assert (d["mlflow_run_id"], d["model_version"], d["dag_id"], d["run_id"]) == (
        "abc",
        "3",
        "dag",
        "run-1",
    )
    assert [e["kind"] for e in d["events"]] == ["fine_tune", "promotion"]
    assert store.predictions()[0]["stats"]["n"] == 50
    perf = {r["metric"]: r["value"] for r in store.performance()}
    assert perf == {"accuracy": 0.8, "f1": 0.7}  # NaN skipped
    assert [e["kind"] for e in store.model_events()] == ["fine_tune", "promotion"]
    assert store.steps()[0]["seconds"] == 1.5
    assert store.alerts()[0]["dedup_key"] == "drift_detected:b1"


def test_every_write_is_idempotent(store):
    report = drift_report("b1", 9, np.random.default_rng(1))
    _record_everything(store, report)
    before = _row_counts(store)
    _record_everything(store, report)  # a retried task
    assert _row_counts(store) == before
    assert before["batch"] == 1 and before["drift_column"] == len(report["columns"])


def test_a_retry_overwrites_with_the_new_values(store):
    store.record_performance("b1", "1", {"accuracy": 0.5})
    store.record_performance("b1", "1", {"accuracy": 0.6})
    store.record_step("b1", "train", 10.0)
    store.record_step("b1", "train", 12.0)
    store.record_decision("b1", "none")
    store.record_decision("b1", "full_retrain", reasons=["a", "b"])
    assert [r["value"] for r in store.performance()] == [0.6]
    assert [r["seconds"] for r in store.steps()] == [12.0]
    assert [(d["action"], d["reasons"]) for d in store.decisions()] == [
        ("full_retrain", ["a", "b"])
    ]


def test_record_drift_replaces_the_columns_of_a_batch(store):
    store.record_drift("b1", {"columns": [{"column": "a", "effect_size": 0.1}, {"column": "b"}]})
    store.record_drift("b1", {"columns": [{"column": "c", "effect_size": 0.2, "drifted": True}]})
    rows = store.drift(batch_id="b1")
    assert [(r["column"], r["drifted"]) for r in rows] == [("c", True)]
    assert store.drift_report("b1")["is_drift"] is True  # derived when the key is missing


def test_record_drift_accepts_a_drift_report_object(store):
    from driftline.drift.report import DriftReport

    d = drift_report("b2", 10, np.random.default_rng(3))
    obj = DriftReport.from_dict(d)
    assert store.record_drift("b2", obj) == len(d["columns"])
    assert store.drift_report("b2")["severity"] == d["severity"]


def test_decision_object_and_keywords(store):
    store.record_decision(
        "b1", {"action": "full_retrain", "reasons": ["r"], "severity": "severe", "extra": 1}
    )
    d = store.decisions()[0]
    assert (d["action"], d["severity"], d["details"]) == ("full_retrain", "severe", {"extra": 1})
    store.record_decision("b1", {"action": "full_retrain", "reasons": ["r"]}, severity="moderate")
    assert store.decisions()[0]["severity"] == "moderate"


def test_last_keeps_the_most_recent_batches_oldest_first(store):
    for i in range(5):
        store.record_batch(f"b{i}", "processed", received_at=T0 + timedelta(days=i))
        store.record_performance(f"b{i}", "1", {"accuracy": 0.5 + i / 10})
        store.record_drift(f"b{i}", {"columns": [{"column": "x", "effect_size": i / 10}]})
    assert [b["batch_id"] for b in store.batches(last=2)] == ["b3", "b4"]
    assert [r["batch_id"] for r in store.performance(last=3)] == ["b2", "b3", "b4"]
    assert [r["batch_id"] for r in store.drift(last=2)] == ["b3", "b4"]
    assert store.drift_report()["batch_id"] == "b4"
    assert [b["batch_id"] for b in store.batches(status="processed")][:1] == ["b0"]


def test_record_quarantine_keeps_the_reason_and_data_docs(store):
    validation = {
        "passed": False,
        "n_rows": 7,
        "failures": [{"message": "price has inf"}],
        "data_docs_uri": "s3://reports/datadocs/b1/index.html",
    }
    store.record_quarantine("b1", {"uri": "s3://quarantine/b1.csv", "validation": validation})
    b = store.batch("b1")
    assert (b["status"], b["rows"], b["data_docs"]) == (
        "quarantined",
        7,
        validation["data_docs_uri"],
    )
    assert b["message"] == "price has inf (moved to s3://quarantine/b1.csv)"


def test_record_dispatches_to_a_store_kept_per_url(tmp_path):
    from driftline.monitoring import record
    from driftline.monitoring.store import _STORES

    url = f"sqlite:///{tmp_path / 'r.db'}"
    record("record_validation", "b1", {"passed": True, "n_rows": 3}, url=url, run_id="r1")
    record("record_step", "b1", "validate", 0.5, url=url)
    assert record("batch", "b1", url=url)["run_id"] == "r1"
    assert len(record("steps", url=url)) == 1
    with pytest.raises(ConfigError):
        record("_upsert", url=url)
    with pytest.raises(ConfigError):
        record("drop_everything", url=url)
    _STORES.pop(url).dispose()


def test_timed_step_records_even_when_the_body_raises(store):
    with pytest.raises(RuntimeError), store.timed_step("b1", "train"):
        raise RuntimeError("boom")
    [row] = store.steps("b1")
    assert row["step"] == "train" and row["seconds"] >= 0


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.record_batch("b1", "lost"),
        lambda s: s.record_batch("", "validated"),
        lambda s: s.record_batch("x" * 300),
        lambda s: s.record_model_event("retired", "1"),
        lambda s: s.record_step("b1", "train", -1),
        lambda s: s.record_step("b1", "train", float("nan")),
        lambda s: s.record_predictions("b1", "1"),
        lambda s: s.record_decision("b1", ""),
        lambda s: s.record_drift("b1", {"columns": [{"effect_size": 0.1}]}),
        lambda s: s.batches(status="lost"),
    ],
)
def test_bad_input_raises_config_error(store, call):
    with pytest.raises(ConfigError, match=": "):
        call(store)


def test_a_bad_url_is_a_config_error():
    with pytest.raises(ConfigError, match="DRIFTLINE_MONITORING_DB_URL"):
        MonitoringStore("not a url").schema_version()


def test_default_url_uses_the_state_dir(tmp_path):
    assert (
        default_url({"DRIFTLINE_STATE_DIR": str(tmp_path)})
        == f"sqlite:///{tmp_path / 'monitoring.db'}"
    )
    store = MonitoringStore.from_env({"DRIFTLINE_STATE_DIR": str(tmp_path / "new")})
    store.record_batch("b1", "validated")
    assert (tmp_path / "new" / "monitoring.db").is_file()
    store.dispose()


def test_repr_hides_the_password():
    assert "secret" not in repr(MonitoringStore("postgresql+psycopg://u:secret@h/db"))


def test_two_stores_on_one_sqlite_file_see_each_other(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    writer, reader = MonitoringStore(url), MonitoringStore(url)
    writer.record_batch("b1", "validated")
    assert reader.batch("b1")["status"] == "validated"
    writer.dispose()
    reader.dispose()


def test_seeded_history_is_consistent(store):
    ids = seed_store(store, n_batches=12, seed=7)
    assert [b["batch_id"] for b in store.batches()] == ids
    assert store.batch("week-04")["status"] == "quarantined"
    assert {e["kind"] for e in store.model_events()} >= {
        "fine_tune",
        "full_retrain",
        "promotion",
        "rollback",
    }
    assert len(store.decisions()) == len(ids)


# ------------------------------------------------------------------ PostgreSQL
def _pg_up(host: str = "127.0.0.1", port: int = 5432) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


@pytest.fixture
def pg_url():
    if not _pg_up():
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432")
    from sqlalchemy import create_engine, text

    base = os.environ.get(
        "DRIFTLINE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    name = f"driftline_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.integration
def test_postgresql_round_trip_and_idempotency(pg_url):
    store = MonitoringStore(pg_url)
    try:
        assert store.schema_version() == LATEST_VERSION
        report = drift_report("b1", 9, np.random.default_rng(1))
        _record_everything(store, report)
        before = _row_counts(store)
        _record_everything(store, report)
        assert _row_counts(store) == before
        assert (
            store.drift_report()["report"]["columns"][0]["column"] == report["columns"][0]["column"]
        )
        assert store.batch("b1")["received_at"] == T0
        assert store.decisions()[0]["model_version"] == "3"
        # a second store on the same database finds the schema in place
        other = MonitoringStore(pg_url)
        assert other.schema_version() == LATEST_VERSION
        other.dispose()
    finally:
        store.dispose()
