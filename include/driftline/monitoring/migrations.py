"""Create and upgrade the monitoring schema with a tiny versioned migration table.

The table ``driftline_schema_version`` holds one row per applied step. :func:`migrate`
applies, in order and in one transaction, every :class:`Migration` newer than the
database. Each step is idempotent (it creates only what is missing), so a fresh database
gets the latest tables from step 1 and later steps find nothing to add, while a database
written by an older release gets exactly the missing columns and tables. On PostgreSQL a
transaction-scoped advisory lock serialises concurrent upgrades; on SQLite the store's
``BEGIN IMMEDIATE`` transactions do.

To change the schema: edit :mod:`driftline.monitoring.schema`, then append a step that
adds the new column or table when missing (``_add_missing_columns`` / ``_create_missing``).
A step may also rewrite stored values: step 4 translates the prediction summaries of
earlier releases to the one key set of :func:`driftline.monitoring.prediction_summary`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, inspect, select, text, update
from sqlalchemy.schema import CreateColumn

from driftline.errors import ConfigError, fail
from driftline.monitoring import schema as s

_PG_LOCK_KEY = 0x44524946  # "DRIF"


@dataclass(frozen=True)
class Migration:
    """One ordered schema step."""

    version: int
    description: str
    apply: Callable[[Connection], None]


def _create_missing(conn: Connection, *tables: str) -> None:
    present = set(inspect(conn).get_table_names())
    for name in tables:
        if name not in present:
            s.metadata.tables[name].create(conn)


def _add_missing_columns(conn: Connection, table: str, *columns: str) -> None:
    present = {c["name"] for c in inspect(conn).get_columns(table)}
    for name in columns:
        if name not in present:
            col = s.metadata.tables[table].c[name]
            ddl = CreateColumn(col).compile(dialect=conn.dialect)
            conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {ddl}"))


def _v1(conn: Connection) -> None:
    _create_missing(
        conn,
        "batch",
        "drift_column",
        "drift_report",
        "decision",
        "prediction",
        "performance",
        "model_event",
        "alert",
    )


def _v2(conn: Connection) -> None:
    _add_missing_columns(conn, "batch", "champion_version")
    _create_missing(conn, "step")


def _v3(conn: Connection) -> None:
    _add_missing_columns(conn, "model_event", "iteration")
    _create_missing(conn, "live_traffic")


def _v4(conn: Connection) -> None:
    from driftline.monitoring.summary import upgrade_summary

    for table in (s.prediction, s.live_traffic):
        for row_id, stats in conn.execute(select(table.c.id, table.c.stats)).all():
            if isinstance(stats, Mapping) and upgrade_summary(stats) != stats:
                conn.execute(
                    update(table).where(table.c.id == row_id).values(stats=upgrade_summary(stats))
                )


def _v5(conn: Connection) -> None:
    _create_missing(conn, "estimated_performance")


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "batches, drift, decisions, predictions, performance, model events, alerts", _v1),
    Migration(2, "batch.champion_version and step durations", _v2),
    Migration(3, "model_event.iteration and live_traffic (online endpoint samples)", _v3),
    Migration(4, "prediction and live traffic summaries in one key set", _v4),
    Migration(5, "estimated_performance (label-free estimates per batch)", _v5),
)
#: The schema version this release writes.
LATEST_VERSION = MIGRATIONS[-1].version


def current_version(conn: Connection) -> int:
    """Version of the schema in the database (0 when empty)."""
    if not inspect(conn).has_table(s.schema_version.name):
        return 0
    versions = conn.execute(select(s.schema_version.c.version)).scalars().all()
    return max(versions, default=0)


def migrate(engine: Engine) -> int:
    """Bring the database to :data:`LATEST_VERSION`; return the version.

    Raises :class:`~driftline.errors.ConfigError` when the database was written by a newer
    release (downgrades are not supported).
    """
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        version = current_version(conn)
        if version > LATEST_VERSION:
            raise ConfigError(
                fail(
                    f"the monitoring database has schema version {version}, newer than "
                    f"{LATEST_VERSION} known to this driftline",
                    "upgrade driftline or point DRIFTLINE_MONITORING_DB_URL to another database",
                )
            )
        if version == LATEST_VERSION:
            return version
        _create_missing(conn, s.schema_version.name)
        for step in MIGRATIONS:
            if step.version > version:
                step.apply(conn)
                conn.execute(
                    s.schema_version.insert().values(
                        version=step.version,
                        description=step.description,
                        applied_at=datetime.now(UTC),
                    )
                )
    return LATEST_VERSION
