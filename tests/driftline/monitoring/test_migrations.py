"""Schema creation and upgrade: a version-1 database (as an older release wrote it) is
upgraded in place, keeps its data, and ends with exactly the tables of ``schema.py``."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import create_engine, inspect

from driftline.errors import ConfigError
from driftline.monitoring import LATEST_VERSION, MIGRATIONS, MonitoringStore, migrate
from driftline.monitoring import schema as s

# The schema as release 1 created it (no batch.champion_version, no step table).
V1_DDL = """
CREATE TABLE driftline_schema_version (version INTEGER NOT NULL PRIMARY KEY,
    description VARCHAR(200) NOT NULL, applied_at DATETIME NOT NULL);
INSERT INTO driftline_schema_version VALUES (1, 'initial', '2026-01-01 00:00:00');
CREATE TABLE batch (batch_id VARCHAR(250) NOT NULL PRIMARY KEY, received_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL, status VARCHAR(20) NOT NULL, "rows" INTEGER,
    dag_id VARCHAR(250), run_id VARCHAR(250), source TEXT, data_docs TEXT, message TEXT);
CREATE INDEX ix_batch_received_at ON batch (received_at);
CREATE TABLE drift_column (id INTEGER NOT NULL PRIMARY KEY, batch_id VARCHAR(250) NOT NULL,
    column_name VARCHAR(250) NOT NULL, role VARCHAR(40), method VARCHAR(80), statistic FLOAT,
    p_value FLOAT, p_value_corrected FLOAT, effect_size FLOAT, effect_size_name VARCHAR(80),
    drifted BOOLEAN NOT NULL, severity VARCHAR(20), "rank" INTEGER,
    CONSTRAINT uq_drift_column UNIQUE (batch_id, column_name));
CREATE TABLE drift_report (batch_id VARCHAR(250) NOT NULL PRIMARY KEY, recorded_at DATETIME NOT NULL,
    is_drift BOOLEAN NOT NULL, kinds JSON NOT NULL, severity VARCHAR(20) NOT NULL,
    max_effect FLOAT NOT NULL, report JSON NOT NULL);
CREATE TABLE decision (batch_id VARCHAR(250) NOT NULL PRIMARY KEY, decided_at DATETIME NOT NULL,
    action VARCHAR(40) NOT NULL, reasons JSON NOT NULL, kinds JSON NOT NULL,
    severity VARCHAR(20) NOT NULL, dag_id VARCHAR(250), run_id VARCHAR(250),
    mlflow_run_id VARCHAR(250), model_version VARCHAR(250), details JSON NOT NULL);
CREATE TABLE prediction (id INTEGER NOT NULL PRIMARY KEY, batch_id VARCHAR(250) NOT NULL,
    model_version VARCHAR(250) NOT NULL, recorded_at DATETIME NOT NULL, stats JSON NOT NULL,
    CONSTRAINT uq_prediction UNIQUE (batch_id, model_version));
CREATE TABLE performance (id INTEGER NOT NULL PRIMARY KEY, batch_id VARCHAR(250) NOT NULL,
    model_version VARCHAR(250) NOT NULL, metric VARCHAR(80) NOT NULL, value FLOAT NOT NULL,
    n_labels INTEGER, role VARCHAR(40) NOT NULL, recorded_at DATETIME NOT NULL,
    CONSTRAINT uq_performance UNIQUE (batch_id, model_version, metric));
CREATE TABLE model_event (id INTEGER NOT NULL PRIMARY KEY, dedup_key VARCHAR(900) NOT NULL UNIQUE,
    kind VARCHAR(40) NOT NULL, model_version VARCHAR(250), previous_version VARCHAR(250),
    mlflow_run_id VARCHAR(250), batch_id VARCHAR(250), at DATETIME NOT NULL, reason TEXT);
CREATE INDEX ix_model_event_at ON model_event (at);
CREATE TABLE alert (id INTEGER NOT NULL PRIMARY KEY, dedup_key VARCHAR(600) NOT NULL UNIQUE,
    rule VARCHAR(80) NOT NULL, batch_id VARCHAR(250) NOT NULL, severity VARCHAR(20) NOT NULL,
    message TEXT NOT NULL, links JSON NOT NULL, created_at DATETIME NOT NULL, channels JSON NOT NULL);
INSERT INTO batch VALUES ('old-1', '2026-01-01 06:00:00.000000', '2026-01-01 06:00:00.000000',
    'processed', 42, 'dag', 'run', NULL, NULL, NULL);
INSERT INTO performance VALUES (1, 'old-1', '1', 'accuracy', 0.9, 42, 'champion',
    '2026-01-01 06:00:00.000000');
"""


def _columns(url: str) -> dict[str, set[str]]:
    engine = create_engine(url)
    try:
        insp = inspect(engine)
        return {t: {c["name"] for c in insp.get_columns(t)} for t in insp.get_table_names()}
    finally:
        engine.dispose()


def _expected() -> dict[str, set[str]]:
    return {t.name: {c.name for c in t.columns} for t in s.metadata.sorted_tables}


def test_migration_versions_are_ordered_and_dense():
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    assert LATEST_VERSION == MIGRATIONS[-1].version


def test_a_fresh_database_has_exactly_the_declared_schema(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    store = MonitoringStore(url)
    assert store.schema_version() == LATEST_VERSION
    store.dispose()
    assert _columns(url) == _expected()


def test_a_version_1_database_is_upgraded_and_keeps_its_data(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(V1_DDL)
    url = f"sqlite:///{path}"
    assert "champion_version" not in _columns(url)["batch"] and "step" not in _columns(url)

    store = MonitoringStore(url)
    assert store.schema_version() == LATEST_VERSION
    assert _columns(url) == _expected()
    old = store.batch("old-1")
    assert (old["status"], old["rows"], old["champion_version"]) == ("processed", 42, None)
    assert store.performance()[0]["value"] == 0.9
    # the new column and table work
    store.record_batch("old-1", champion_version="7")
    store.record_step("old-1", "train", 3.0)
    assert store.batch("old-1")["champion_version"] == "7"
    assert store.steps("old-1")[0]["seconds"] == 3.0
    store.dispose()
    with sqlite3.connect(path) as conn:
        versions = [
            v
            for (v,) in conn.execute(
                "SELECT version FROM driftline_schema_version ORDER BY version"
            )
        ]
    assert versions == list(range(1, LATEST_VERSION + 1))


def test_prediction_summaries_of_older_releases_are_read_in_the_one_key_set(tmp_path):
    path = tmp_path / "old-stats.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(V1_DDL)
        conn.execute(
            "INSERT INTO prediction VALUES (1, 'old-1', '1', '2026-01-01 06:00:00.000000', ?)",
            (
                '{"rows": 4, "class_share": {"0": 0.25, "1": 0.75}, "mean_proba": {"1": 0.6}, '
                '"model_version": "1"}',
            ),
        )
        conn.execute(
            "INSERT INTO prediction VALUES (2, 'old-1', '2', '2026-01-01 06:00:00.000000', ?)",
            ('{"rows": 3, "mean": 2.0, "std": 1.0, "quantiles": {"0.05": 1.1, "0.5": 2.0}}',),
        )
    store = MonitoringStore(f"sqlite:///{path}")
    classes, numeric = (p["stats"] for p in store.predictions())
    assert classes == {
        "kind": "classes",
        "n": 4,
        "missing": 0,
        "classes": {"0": 0.25, "1": 0.75},
        "mean_proba": {"1": 0.6},
        "model_version": "1",
    }
    assert (numeric["kind"], numeric["n"], numeric["mean"]) == ("numeric", 3, 2.0)
    assert numeric["quantiles"] == {"p05": 1.1, "p50": 2.0}
    store.dispose()


def test_migrate_twice_is_a_no_op(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'twice.db'}")
    assert migrate(engine) == LATEST_VERSION
    assert migrate(engine) == LATEST_VERSION
    with engine.connect() as conn:
        n = conn.exec_driver_sql("SELECT count(*) FROM driftline_schema_version").scalar_one()
    engine.dispose()
    assert n == LATEST_VERSION


def test_a_newer_database_is_refused(tmp_path):
    path = tmp_path / "new.db"
    MonitoringStore(f"sqlite:///{path}").dispose()
    MonitoringStore(f"sqlite:///{path}").schema_version()
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO driftline_schema_version VALUES (?, 'from the future', '2030-01-01')",
            (LATEST_VERSION + 1,),
        )
    with pytest.raises(ConfigError, match="newer"):
        MonitoringStore(f"sqlite:///{path}").schema_version()
