"""Tables of the monitoring database (SQLAlchemy Core), at the latest schema version.

One row per batch in ``batch``; per batch the drift statistics of every column
(``drift_column``) and the whole drift report (``drift_report``), the training decision
(``decision``), the prediction distribution per model version (``prediction``), the
performance metrics once labels arrive (``performance``), the duration of each pipeline
step (``step``) and the alerts sent (``alert``). ``model_event`` records fine-tunes,
retrains, promotions, rollbacks and refusals, each labelled a ``data`` or ``model``
iteration (``iteration``). ``live_traffic`` holds one row per sample of the online
endpoint's requests written to S3 (rows seen and sampled, prediction statistics).
``estimated_performance`` holds the champion's estimated metrics on a batch without
labels (:mod:`driftline.estimate`: estimate, band, hold-out value); its realized value is
the ``performance`` row of the same batch, version and metric once labels arrive. Every table has a natural unique key so that
a retried Airflow task overwrites its own rows instead of adding new ones.

The schema is created and upgraded by :mod:`driftline.monitoring.migrations`; the tables
here must equal what the ordered migration steps produce (a test checks it).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

#: Allowed values of ``batch.status``.
BATCH_STATUSES = ("received", "validated", "quarantined", "processed", "failed")
#: Allowed values of ``model_event.iteration``.
ITERATIONS = ("data", "model")
#: Allowed values of ``model_event.kind``.
MODEL_EVENT_KINDS = ("fine_tune", "full_retrain", "promotion", "rollback", "refused", "registered")

_ID = 250  # length of identifiers (batch ids, Airflow run ids, model versions)


def _utc() -> DateTime:
    return DateTime(timezone=True)


schema_version = Table(
    "driftline_schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("description", String(200), nullable=False),
    Column("applied_at", _utc(), nullable=False),
)

batch = Table(
    "batch",
    metadata,
    Column("batch_id", String(_ID), primary_key=True),
    Column("received_at", _utc(), nullable=False),
    Column("updated_at", _utc(), nullable=False),
    Column("status", String(20), nullable=False),
    Column("rows", Integer),
    Column("dag_id", String(_ID)),
    Column("run_id", String(_ID)),
    Column("source", Text),
    Column("data_docs", Text),
    Column("message", Text),
    Column("champion_version", String(_ID)),  # added in schema version 2
    Index("ix_batch_received_at", "received_at"),
)

drift_column = Table(
    "drift_column",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("batch_id", String(_ID), nullable=False),
    Column("column_name", String(_ID), nullable=False),
    Column("role", String(40)),
    Column("method", String(80)),
    Column("statistic", Float),
    Column("p_value", Float),
    Column("p_value_corrected", Float),
    Column("effect_size", Float),
    Column("effect_size_name", String(80)),
    Column("drifted", Boolean, nullable=False),
    Column("severity", String(20)),
    Column("rank", Integer),
    UniqueConstraint("batch_id", "column_name", name="uq_drift_column"),
)

drift_report = Table(
    "drift_report",
    metadata,
    Column("batch_id", String(_ID), primary_key=True),
    Column("recorded_at", _utc(), nullable=False),
    Column("is_drift", Boolean, nullable=False),
    Column("kinds", JSON, nullable=False),
    Column("severity", String(20), nullable=False),
    Column("max_effect", Float, nullable=False),
    Column("report", JSON, nullable=False),
)

decision = Table(
    "decision",
    metadata,
    Column("batch_id", String(_ID), primary_key=True),
    Column("decided_at", _utc(), nullable=False),
    Column("action", String(40), nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("kinds", JSON, nullable=False),
    Column("severity", String(20), nullable=False),
    Column("dag_id", String(_ID)),
    Column("run_id", String(_ID)),
    Column("mlflow_run_id", String(_ID)),
    Column("model_version", String(_ID)),
    Column("details", JSON, nullable=False),
)

prediction = Table(
    "prediction",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("batch_id", String(_ID), nullable=False),
    Column("model_version", String(_ID), nullable=False),
    Column("recorded_at", _utc(), nullable=False),
    Column("stats", JSON, nullable=False),
    UniqueConstraint("batch_id", "model_version", name="uq_prediction"),
)

performance = Table(
    "performance",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("batch_id", String(_ID), nullable=False),
    Column("model_version", String(_ID), nullable=False),
    Column("metric", String(80), nullable=False),
    Column("value", Float, nullable=False),
    Column("n_labels", Integer),
    Column("role", String(40), nullable=False),
    Column("recorded_at", _utc(), nullable=False),
    UniqueConstraint("batch_id", "model_version", "metric", name="uq_performance"),
)

model_event = Table(
    "model_event",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dedup_key", String(900), nullable=False, unique=True),
    Column("kind", String(40), nullable=False),
    Column("model_version", String(_ID)),
    Column("previous_version", String(_ID)),
    Column("mlflow_run_id", String(_ID)),
    Column("batch_id", String(_ID)),
    Column("at", _utc(), nullable=False),
    Column("reason", Text),
    Column("iteration", String(20)),  # added in schema version 3: "data" or "model"
    Index("ix_model_event_at", "at"),
)

step = Table(  # added in schema version 2
    "step",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("batch_id", String(_ID), nullable=False),
    Column("step", String(_ID), nullable=False),
    Column("seconds", Float, nullable=False),
    Column("recorded_at", _utc(), nullable=False),
    UniqueConstraint("batch_id", "step", name="uq_step"),
)

live_traffic = Table(  # added in schema version 3
    "live_traffic",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("uri", String(900), nullable=False, unique=True),
    Column("model_version", String(_ID), nullable=False),
    Column("started_at", _utc(), nullable=False),
    Column("ended_at", _utc(), nullable=False),
    Column("requests", Integer, nullable=False),
    Column("rows_seen", Integer, nullable=False),
    Column("rows_sampled", Integer, nullable=False),
    Column("stats", JSON, nullable=False),
    Index("ix_live_traffic_ended_at", "ended_at"),
)

estimated_performance = Table(  # added in schema version 5
    "estimated_performance",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("batch_id", String(_ID), nullable=False),
    Column("model_version", String(_ID), nullable=False),
    Column("metric", String(80), nullable=False),
    Column("method", String(40), nullable=False),
    Column("value", Float, nullable=False),
    Column("low", Float),
    Column("high", Float),
    Column("confidence", Float),
    Column("n_rows", Integer),
    Column("reference_value", Float),
    Column("n_reference", Integer),
    Column("recorded_at", _utc(), nullable=False),
    UniqueConstraint("batch_id", "model_version", "metric", name="uq_estimated_performance"),
)

alert = Table(
    "alert",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dedup_key", String(600), nullable=False, unique=True),
    Column("rule", String(80), nullable=False),
    Column("batch_id", String(_ID), nullable=False),
    Column("severity", String(20), nullable=False),
    Column("message", Text, nullable=False),
    Column("links", JSON, nullable=False),
    Column("created_at", _utc(), nullable=False),
    Column("channels", JSON, nullable=False),
)
