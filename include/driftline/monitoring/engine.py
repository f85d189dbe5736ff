"""The monitoring database: its URL, the SQLAlchemy engine and the schema upgrade on first use.

SQLite by default (``<state_dir>/monitoring.db``; WAL, a busy timeout and ``BEGIN
IMMEDIATE`` transactions so concurrent task processes serialise their writes),
PostgreSQL when ``DRIFTLINE_MONITORING_DB_URL`` says so. The first use of
:attr:`StoreEngine.engine` creates or upgrades the schema
(:mod:`driftline.monitoring.migrations`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Self

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from driftline.errors import ConfigError, fail
from driftline.monitoring.migrations import current_version, migrate

#: Environment variable naming the database URL.
ENV_URL = "DRIFTLINE_MONITORING_DB_URL"


def default_url(env: Mapping[str, str] | None = None) -> str:
    """``$DRIFTLINE_MONITORING_DB_URL``, else ``sqlite:///<state_dir>/monitoring.db``.

    >>> default_url({"DRIFTLINE_STATE_DIR": "/tmp/x"})
    'sqlite:////tmp/x/monitoring.db'
    >>> default_url({"DRIFTLINE_MONITORING_DB_URL": "postgresql+psycopg://h/db"})
    'postgresql+psycopg://h/db'
    """
    from driftline.settings import Settings

    env = os.environ if env is None else env
    if env.get(ENV_URL):
        return env[ENV_URL]
    return f"sqlite:///{Settings.from_env(env).state_dir / 'monitoring.db'}"


def create_store_engine(url_text: str) -> Engine:
    """A SQLAlchemy engine for the store URL (SQLite: WAL, busy timeout, ``BEGIN IMMEDIATE``)."""
    try:
        url = make_url(url_text)
    except ArgumentError:
        raise ConfigError(
            fail(
                f"{ENV_URL} {url_text!r} is not a database URL",
                "use sqlite:///path or postgresql+psycopg://...",
            )
        ) from None
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, future=True)
    if url.database and url.database != ":memory:":
        from pathlib import Path

        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60})
    else:
        engine = create_engine(url, connect_args={"check_same_thread": False}, poolclass=StaticPool)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (DDL is transactional)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # take the write lock up front

    return engine


class StoreEngine:
    """The database behind a :class:`~driftline.monitoring.MonitoringStore`: URL, engine, schema.

    Parameters
    ----------
    url : str
        SQLAlchemy URL, e.g. ``sqlite:////abs/path/monitoring.db`` or
        ``postgresql+psycopg://user@host:5432/db``. ``sqlite://`` is an in-memory database.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Engine | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Self:
        """Store at :func:`default_url`."""
        return cls(default_url(env))

    def __repr__(self) -> str:
        try:
            shown = make_url(self.url).render_as_string(hide_password=True)
        except ArgumentError:
            shown = "<invalid url>"
        return f"{type(self).__name__}({shown!r})"

    @property
    def engine(self) -> Engine:
        """The engine; the first access creates the database schema or upgrades it."""
        if self._engine is None:
            engine = create_store_engine(self.url)
            try:
                migrate(engine)
            except Exception:
                engine.dispose()
                raise
            self._engine = engine
        return self._engine

    def dispose(self) -> None:
        """Close pooled connections (the store can be used again afterwards)."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def schema_version(self) -> int:
        """Version of the database schema (equals :data:`LATEST_VERSION` once opened)."""
        with self.engine.connect() as conn:
            return current_version(conn)
