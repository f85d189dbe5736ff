"""The monitoring store: what the pipeline did to every batch, in a SQL database.

:class:`MonitoringStore` wraps a SQLAlchemy engine (SQLite by default, PostgreSQL when
``DRIFTLINE_MONITORING_DB_URL`` says so). DAG tasks call one ``record_*`` method per event;
the Driftline view, the JSON API and the alert rules call the query methods. Every write is
idempotent per its natural key (a batch, a batch and a column, a batch and a metric, ...),
so a retried Airflow task overwrites its own rows. The schema is created or upgraded on
first use (:mod:`driftline.monitoring.migrations`).

Query methods return JSON-ready ``dict`` rows (datetimes as timezone-aware ``datetime``);
``last=N`` keeps the N most recent batches, always returned oldest first.

>>> store = MonitoringStore("sqlite://")
>>> store.record_validation("b1", {"passed": True, "n_rows": 500}, dag_id="d", run_id="r1")
'validated'
>>> store.record_drift("b1", {"is_drift": True, "kinds": ["covariate"], "severity": "severe",
...     "max_effect": 0.4, "columns": [{"column": "x", "effect_size": 0.4, "p_value": 1e-9,
...     "p_value_corrected": 2e-9, "drifted": True}]})
1
>>> store.record_decision("b1", "full_retrain", reasons=["x drifted"], severity="severe")
>>> store.record_performance("b1", "3", {"accuracy": 0.81, "f1": 0.78})
>>> [(b["batch_id"], b["status"], b["rows"]) for b in store.batches()]
[('b1', 'validated', 500)]
>>> store.decisions()[0]["action"], store.drift(column="x")[0]["effect_size"]
('full_retrain', 0.4)
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, create_engine, delete, event, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from driftline.errors import ConfigError, fail
from driftline.monitoring import schema as s
from driftline.monitoring.migrations import LATEST_VERSION, current_version, migrate
from driftline.monitoring.summary import prediction_summary

#: Environment variable naming the database URL.
ENV_URL = "DRIFTLINE_MONITORING_DB_URL"
_MAX_ID = 250


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


# --------------------------------------------------------------------------- validation
def _check_id(what: str, value: Any, limit: int = _MAX_ID) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise ConfigError(
            fail(
                f"{what} {value!r} is not a non-empty string",
                f"pass an id of at most {limit} characters",
            )
        )
    return value


def _check_choice(what: str, value: Any, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise ConfigError(fail(f"{what} {value!r} is unknown", f"use one of {', '.join(allowed)}"))
    return value


def _opt_id(what: str, value: Any) -> str | None:
    return None if value is None else _check_id(what, str(value))


def _num(value: Any) -> float | None:
    """A finite float or ``None`` (NaN, inf, missing and non-numbers become ``None``)."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _json(value: Any) -> Any:
    """Strict-JSON-safe copy: non-finite floats become ``None``, tuples lists."""
    if isinstance(value, Mapping):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "item"):  # numpy scalar
        return _json(value.item())
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _as_dict(obj: Any) -> dict[str, Any]:
    if isinstance(obj, Mapping):
        return dict(obj)
    if hasattr(obj, "to_dict"):
        return dict(obj.to_dict())
    raise ConfigError(fail(f"cannot read a {type(obj).__name__} as a report", "pass a dict"))


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _now() -> datetime:
    return datetime.now(UTC)


def _row(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _aware(v) if isinstance(v, datetime) else v for k, v in mapping.items()}


# --------------------------------------------------------------------------- the store
class MonitoringStore:
    """Read and write the monitoring database.

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
    def from_env(cls, env: Mapping[str, str] | None = None) -> MonitoringStore:
        """Store at :func:`default_url`."""
        return cls(default_url(env))

    def __repr__(self) -> str:
        try:
            shown = make_url(self.url).render_as_string(hide_password=True)
        except ArgumentError:
            shown = "<invalid url>"
        return f"MonitoringStore({shown!r})"

    # ----------------------------------------------------------------- engine
    @property
    def engine(self) -> Engine:
        """The engine; the first access creates the database schema or upgrades it."""
        if self._engine is None:
            engine = self._create_engine()
            try:
                migrate(engine)
            except Exception:
                engine.dispose()
                raise
            self._engine = engine
        return self._engine

    def _create_engine(self) -> Engine:
        try:
            url = make_url(self.url)
        except ArgumentError:
            raise ConfigError(
                fail(
                    f"{ENV_URL} {self.url!r} is not a database URL",
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
            engine = create_engine(
                url, connect_args={"check_same_thread": False}, poolclass=StaticPool
            )

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

    def dispose(self) -> None:
        """Close pooled connections (the store can be used again afterwards)."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def schema_version(self) -> int:
        """Version of the database schema (equals :data:`LATEST_VERSION` once opened)."""
        with self.engine.connect() as conn:
            return current_version(conn)

    # ----------------------------------------------------------------- write helpers
    def _upsert(
        self,
        conn: Any,
        table: Any,
        values: Mapping[str, Any],
        keys: Sequence[str],
        update_cols: Iterable[str] | None = None,
    ) -> int:
        """Insert ``values``; on a conflict on ``keys`` update ``update_cols`` (all others by
        default; none means do nothing). Returns the number of rows inserted or updated."""
        dialect = conn.dialect.name
        cols = [c for c in (values if update_cols is None else update_cols) if c not in keys]
        if dialect in ("sqlite", "postgresql"):
            if dialect == "sqlite":
                from sqlalchemy.dialects.sqlite import insert
            else:
                from sqlalchemy.dialects.postgresql import insert
            stmt = insert(table).values(**values)
            if cols:
                stmt = stmt.on_conflict_do_update(
                    index_elements=list(keys), set_={c: stmt.excluded[c] for c in cols}
                )
            else:
                stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
            return conn.execute(stmt).rowcount
        where = [table.c[k] == values[k] for k in keys]  # generic fallback
        if conn.execute(select(table.c[keys[0]]).where(*where)).first() is None:
            return conn.execute(table.insert().values(**values)).rowcount
        if cols:
            return conn.execute(
                update(table).where(*where).values({c: values[c] for c in cols})
            ).rowcount
        return 0

    def _ensure_batch(self, conn: Any, batch_id: str, received_at: datetime | None = None) -> None:
        now = _now()
        self._upsert(
            conn,
            s.batch,
            {
                "batch_id": batch_id,
                "received_at": _aware(received_at) or now,
                "updated_at": now,
                "status": "received",
            },
            ("batch_id",),
            update_cols=(),
        )

    def _set_batch(self, conn: Any, batch_id: str, **fields: Any) -> None:
        given = {k: v for k, v in fields.items() if v is not None}
        if given:
            conn.execute(
                update(s.batch)
                .where(s.batch.c.batch_id == batch_id)
                .values(updated_at=_now(), **given)
            )

    # ----------------------------------------------------------------- writes
    def record_batch(
        self,
        batch_id: str,
        status: str | None = None,
        *,
        rows: int | None = None,
        dag_id: str | None = None,
        run_id: str | None = None,
        source: str | None = None,
        data_docs: str | None = None,
        message: str | None = None,
        champion_version: str | None = None,
        received_at: datetime | None = None,
    ) -> None:
        """Create the batch if new and set the given fields (``None`` keeps the stored value).

        ``status`` is one of :data:`~driftline.monitoring.schema.BATCH_STATUSES`.
        """
        _check_id("batch_id", batch_id)
        if status is not None:
            _check_choice("batch status", status, s.BATCH_STATUSES)
        with self.engine.begin() as conn:
            self._ensure_batch(conn, batch_id, received_at)
            self._set_batch(
                conn,
                batch_id,
                status=status,
                rows=None if rows is None else int(rows),
                dag_id=_opt_id("dag_id", dag_id),
                run_id=_opt_id("run_id", run_id),
                source=source,
                data_docs=data_docs,
                message=message,
                champion_version=_opt_id("champion_version", champion_version),
                received_at=_aware(received_at),
            )

    def record_validation(
        self, batch_id: str, report: Any, *, dag_id: str | None = None, run_id: str | None = None
    ) -> str:
        """Record a validation outcome (``ValidationReport`` or its ``to_dict()``).

        Sets the batch status to ``validated`` or ``quarantined`` (from ``passed``), its
        rows, source, Data Docs location and a message listing the failures. Returns the
        status.
        """
        r = _as_dict(report)
        failures = r.get("failures") or []
        status = "validated" if r.get("passed", not failures) else "quarantined"
        self.record_batch(
            batch_id,
            status,
            rows=r.get("n_rows", r.get("rows")),
            dag_id=dag_id,
            run_id=run_id,
            source=r.get("source"),
            data_docs=r.get("data_docs_uri") or r.get("data_docs"),
            message=_failure_text(failures),
        )
        return status

    def record_quarantine(self, batch_id: str, info: Mapping[str, Any]) -> None:
        """Mark a batch quarantined; ``info`` may hold ``uri`` (where it was moved) and
        ``validation`` (the validation report dict, for the message and Data Docs)."""
        validation = info.get("validation") or {}
        where = f" (moved to {info['uri']})" if info.get("uri") else ""
        text = _failure_text(validation.get("failures") or []) or "validation failed"
        self.record_batch(
            batch_id,
            "quarantined",
            rows=validation.get("n_rows"),
            data_docs=validation.get("data_docs_uri") or validation.get("data_docs"),
            message=text + where,
        )

    def record_drift(self, batch_id: str, report: Any) -> int:
        """Record a drift report (``DriftReport`` or its ``to_dict()``); return its column count.

        Replaces the batch's previous drift rows. Missing keys are tolerated: a column needs
        only ``column``; the method and statistic are read from the result whose effect
        size is the column's primary one.
        """
        _check_id("batch_id", batch_id)
        r = _json(_as_dict(report))
        rows = []
        for rank, c in enumerate(r.get("columns") or [], start=1):
            if not isinstance(c, Mapping) or not c.get("column"):
                raise ConfigError(
                    fail(f"drift report column {c!r} has no name", "pass DriftReport.to_dict()")
                )
            primary = _primary_result(c)
            rows.append(
                {
                    "batch_id": batch_id,
                    "column_name": str(c["column"]),
                    "role": c.get("role"),
                    "method": c.get("method") or primary.get("method"),
                    "statistic": _num(c.get("statistic", primary.get("statistic"))),
                    "p_value": _num(c.get("p_value", primary.get("p_value"))),
                    "p_value_corrected": _num(
                        c.get("p_value_corrected", c.get("corrected_p_value"))
                    ),
                    "effect_size": _num(c.get("effect_size", primary.get("effect_size"))),
                    "effect_size_name": c.get("effect_size_name")
                    or primary.get("effect_size_name"),
                    "drifted": bool(c.get("drifted", c.get("is_drift", False))),
                    "severity": c.get("severity"),
                    "rank": int(c.get("rank") or rank),
                }
            )
        with self.engine.begin() as conn:
            self._ensure_batch(conn, batch_id)
            conn.execute(delete(s.drift_column).where(s.drift_column.c.batch_id == batch_id))
            if rows:
                conn.execute(s.drift_column.insert(), rows)
            self._upsert(
                conn,
                s.drift_report,
                {
                    "batch_id": batch_id,
                    "recorded_at": _now(),
                    "is_drift": bool(r.get("is_drift", any(x["drifted"] for x in rows))),
                    "kinds": _strings(r.get("kinds")),
                    "severity": str(r.get("severity") or "none"),
                    "max_effect": _num(r.get("max_effect")) or 0.0,
                    "report": r,
                },
                ("batch_id",),
            )
        return len(rows)

    def record_decision(
        self,
        batch_id: str,
        action: Any,
        *,
        reasons: Any = None,
        kinds: Any = None,
        severity: str | None = None,
        dag_id: str | None = None,
        run_id: str | None = None,
        mlflow_run_id: str | None = None,
        model_version: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        """Record the training decision of a batch (one per batch; a retry overwrites it).

        ``action`` is a string (``none``, ``fine_tune``, ``full_retrain``, ...) or a decision
        object / dict with keys ``action``, ``reasons``, ``kinds``, ``severity`` (keyword
        arguments win). ``reasons`` may be one string or a list.
        """
        _check_id("batch_id", batch_id)
        d: dict[str, Any] = {} if isinstance(action, str) else _as_dict(action)
        act = action if isinstance(action, str) else d.get("action")
        _check_id("decision action", act)
        values = {
            "batch_id": batch_id,
            "decided_at": _now(),
            "action": str(act),
            "reasons": _strings(reasons if reasons is not None else d.get("reasons")),
            "kinds": _strings(kinds if kinds is not None else d.get("kinds")),
            "severity": str(severity or d.get("severity") or "none"),
            "dag_id": _opt_id("dag_id", dag_id),
            "run_id": _opt_id("run_id", run_id),
            "mlflow_run_id": _opt_id("mlflow_run_id", mlflow_run_id or d.get("mlflow_run_id")),
            "model_version": _opt_id("model_version", model_version or d.get("model_version")),
            "details": _json(
                dict(details)
                if details is not None
                else {
                    k: v
                    for k, v in d.items()
                    if k not in ("action", "reasons", "kinds", "severity")
                }
            ),
        }
        with self.engine.begin() as conn:
            self._ensure_batch(conn, batch_id)
            self._upsert(conn, s.decision, values, ("batch_id",))

    def record_predictions(
        self,
        batch_id: str,
        model_version: str,
        stats: Mapping[str, Any] | None = None,
        *,
        values: Any = None,
        role: str = "champion",
    ) -> dict[str, Any]:
        """Record the prediction distribution of one model on a batch; return the stats.

        Pass ready ``stats`` or the raw predictions as ``values`` (summarised by
        :func:`~driftline.monitoring.summary.prediction_summary`). With ``role="champion"``
        the batch's champion version is set to ``model_version``.
        """
        _check_id("batch_id", batch_id)
        _check_id("model_version", str(model_version))
        if (stats is None) == (values is None):
            raise ConfigError(
                fail("record_predictions needs exactly one of stats or values", "pass one")
            )
        summary = _json(dict(stats) if stats is not None else prediction_summary(values))
        with self.engine.begin() as conn:
            self._ensure_batch(conn, batch_id)
            self._upsert(
                conn,
                s.prediction,
                {
                    "batch_id": batch_id,
                    "model_version": str(model_version),
                    "recorded_at": _now(),
                    "stats": summary,
                },
                ("batch_id", "model_version"),
            )
            if role == "champion":
                self._set_batch(conn, batch_id, champion_version=str(model_version))
        return summary

    def record_performance(
        self,
        batch_id: str,
        model_version: str,
        metrics: Mapping[str, float],
        *,
        n_labels: int | None = None,
        role: str = "champion",
    ) -> None:
        """Record metrics of one model on a labelled batch (e.g. accuracy, f1, roc_auc or
        mae, rmse). Non-finite values are skipped. ``role`` is ``champion`` or
        ``challenger`` (only champion rows drive the performance chart and alerts)."""
        _check_id("batch_id", batch_id)
        _check_id("model_version", str(model_version))
        _check_id("role", role)
        now = _now()
        with self.engine.begin() as conn:
            self._ensure_batch(conn, batch_id)
            for metric, value in metrics.items():
                x = _num(value)
                if x is None:
                    continue
                self._upsert(
                    conn,
                    s.performance,
                    {
                        "batch_id": batch_id,
                        "model_version": str(model_version),
                        "metric": _check_id("metric", metric),
                        "value": x,
                        "n_labels": None if n_labels is None else int(n_labels),
                        "role": role,
                        "recorded_at": now,
                    },
                    ("batch_id", "model_version", "metric"),
                )

    def record_model_event(
        self,
        kind: str,
        model_version: str | None = None,
        *,
        batch_id: str | None = None,
        mlflow_run_id: str | None = None,
        previous_version: str | None = None,
        reason: str | None = None,
        at: datetime | None = None,
        iteration: str | None = None,
    ) -> None:
        """Record a model event: ``fine_tune``, ``full_retrain``, ``promotion``, ``rollback``,
        ``refused`` (a candidate that failed its gate) or ``registered``.

        ``iteration`` labels a training event: ``data`` (new data, same model spec) or
        ``model`` (a changed model spec, see :mod:`driftline.training.iteration`).

        Idempotent per (kind, batch, version, MLflow run). A promotion or rollback tied to a
        batch sets that batch's champion version.
        """
        _check_choice("model event kind", kind, s.MODEL_EVENT_KINDS)
        if iteration is not None:
            _check_choice("iteration", iteration, s.ITERATIONS)
        version = _opt_id("model_version", None if model_version is None else str(model_version))
        _opt_id("batch_id", batch_id)
        key = "|".join((kind, batch_id or "", version or "", mlflow_run_id or ""))
        with self.engine.begin() as conn:
            if batch_id is not None:
                self._ensure_batch(conn, batch_id)
            self._upsert(
                conn,
                s.model_event,
                {
                    "dedup_key": key,
                    "kind": kind,
                    "model_version": version,
                    "previous_version": _opt_id("previous_version", previous_version),
                    "mlflow_run_id": _opt_id("mlflow_run_id", mlflow_run_id),
                    "batch_id": batch_id,
                    "at": _aware(at) or _now(),
                    "reason": reason,
                    "iteration": iteration,
                },
                ("dedup_key",),
                update_cols=("previous_version", "reason", "iteration"),
            )
            if batch_id is not None and version is not None and kind in ("promotion", "rollback"):
                self._set_batch(conn, batch_id, champion_version=version)

    def record_live_traffic(
        self,
        model_version: str,
        *,
        uri: str,
        rows_seen: int,
        rows_sampled: int,
        requests: int,
        started_at: datetime,
        ended_at: datetime,
        stats: Mapping[str, Any] | None = None,
    ) -> None:
        """Record one sample of the online endpoint's traffic (idempotent per ``uri``).

        ``uri`` is the S3 object holding the sampled rows and predictions
        (:class:`driftline.serving.LiveSampler`); ``rows_seen`` counts every scored row,
        ``rows_sampled`` the rows in the object.
        """
        _check_id("model_version", str(model_version))
        _check_id("uri", uri, 900)
        counts = {"rows_seen": rows_seen, "rows_sampled": rows_sampled, "requests": requests}
        for name, value in counts.items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ConfigError(fail(f"{name}={value!r}", "pass a count >= 0"))
        with self.engine.begin() as conn:
            self._upsert(
                conn,
                s.live_traffic,
                {
                    "uri": uri,
                    "model_version": str(model_version),
                    "started_at": _aware(started_at),
                    "ended_at": _aware(ended_at),
                    **counts,
                    "stats": _json(dict(stats or {})),
                },
                ("uri",),
            )

    def live_traffic(
        self, model_version: str | None = None, last: int | None = None
    ) -> list[dict[str, Any]]:
        """Samples of live traffic, oldest first (the ``last`` newest when given)."""
        q = select(s.live_traffic)
        if model_version is not None:
            q = q.where(s.live_traffic.c.model_version == str(model_version))
        q = q.order_by(s.live_traffic.c.ended_at.desc(), s.live_traffic.c.id.desc())
        if last is not None:
            q = q.limit(int(last))
        with self.engine.connect() as conn:
            rows = [
                {k: v for k, v in _row(r).items() if k != "id"} for r in conn.execute(q).mappings()
            ]
        return rows[::-1]

    def record_step(self, batch_id: str, step: str, seconds: float) -> None:
        """Record how long a pipeline step took on a batch (a retry overwrites it)."""
        _check_id("batch_id", batch_id)
        _check_id("step", step)
        x = _num(seconds)
        if x is None or x < 0:
            raise ConfigError(
                fail(f"step duration {seconds!r} is not a non-negative number", "pass seconds")
            )
        with self.engine.begin() as conn:
            self._ensure_batch(conn, batch_id)
            self._upsert(
                conn,
                s.step,
                {"batch_id": batch_id, "step": step, "seconds": x, "recorded_at": _now()},
                ("batch_id", "step"),
            )

    @contextmanager
    def timed_step(self, batch_id: str, step: str) -> Iterator[None]:
        """Context manager timing its body with :meth:`record_step` (also when it raises)."""
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.record_step(batch_id, step, time.perf_counter() - t0)

    # ----------------------------------------------------------------- alerts bookkeeping
    def claim_alert(
        self,
        dedup_key: str,
        *,
        rule: str,
        batch_id: str,
        severity: str,
        message: str,
        links: Mapping[str, str],
    ) -> bool:
        """Insert an alert row unless ``dedup_key`` exists; True when this call inserted it."""
        with self.engine.begin() as conn:
            inserted = self._upsert(
                conn,
                s.alert,
                {
                    "dedup_key": _check_id("alert dedup key", dedup_key, 600),
                    "rule": rule,
                    "batch_id": batch_id,
                    "severity": severity,
                    "message": message,
                    "links": _json(dict(links)),
                    "created_at": _now(),
                    "channels": [],
                },
                ("dedup_key",),
                update_cols=(),
            )
        return inserted == 1

    def release_alert(self, dedup_key: str) -> None:
        """Forget a claimed alert (its delivery failed; a retry may send it again)."""
        with self.engine.begin() as conn:
            conn.execute(delete(s.alert).where(s.alert.c.dedup_key == dedup_key))

    def mark_alert_sent(self, dedup_key: str, channels: Sequence[str]) -> None:
        """Record the channels an alert was delivered to."""
        with self.engine.begin() as conn:
            conn.execute(
                update(s.alert)
                .where(s.alert.c.dedup_key == dedup_key)
                .values(channels=list(channels))
            )

    # ----------------------------------------------------------------- reads
    def _recent_batch_ids(self, conn: Any, last: int | None, table: Any = None) -> list[str] | None:
        if last is None:
            return None
        q = select(s.batch.c.batch_id)
        if table is not None:
            q = q.where(s.batch.c.batch_id.in_(select(table.c.batch_id)))
        q = q.order_by(s.batch.c.received_at.desc(), s.batch.c.batch_id.desc()).limit(int(last))
        return list(conn.execute(q).scalars())

    def batches(self, last: int | None = None, status: str | None = None) -> list[dict[str, Any]]:
        """Batches oldest first (the ``last`` most recent ones), optionally of one status."""
        q = select(s.batch)
        if status is not None:
            q = q.where(s.batch.c.status == _check_choice("batch status", status, s.BATCH_STATUSES))
        q = q.order_by(s.batch.c.received_at.desc(), s.batch.c.batch_id.desc())
        if last is not None:
            q = q.limit(int(last))
        with self.engine.connect() as conn:
            rows = [_row(r) for r in conn.execute(q).mappings()]
        return rows[::-1]

    def batch(self, batch_id: str) -> dict[str, Any] | None:
        """One batch row, or ``None``."""
        with self.engine.connect() as conn:
            r = (
                conn.execute(select(s.batch).where(s.batch.c.batch_id == batch_id))
                .mappings()
                .first()
            )
        return None if r is None else _row(r)

    def drift(
        self, batch_id: str | None = None, column: str | None = None, last: int | None = None
    ) -> list[dict[str, Any]]:
        """Per-column drift rows (with the batch's ``received_at``), batch order then rank."""
        q = select(s.drift_column, s.batch.c.received_at).join(
            s.batch, s.batch.c.batch_id == s.drift_column.c.batch_id
        )
        if batch_id is not None:
            q = q.where(s.drift_column.c.batch_id == batch_id)
        if column is not None:
            q = q.where(s.drift_column.c.column_name == column)
        q = q.order_by(s.batch.c.received_at, s.batch.c.batch_id, s.drift_column.c.rank)
        with self.engine.connect() as conn:
            keep = self._recent_batch_ids(conn, last, s.drift_column)
            if keep is not None:
                q = q.where(s.drift_column.c.batch_id.in_(keep))
            out = []
            for r in conn.execute(q).mappings():
                d = _row(r)
                d["column"] = d.pop("column_name")
                d.pop("id", None)
                out.append(d)
        return out

    def drift_report(self, batch_id: str | None = None) -> dict[str, Any] | None:
        """Summary and full report of a batch's drift check (the latest batch's when ``None``)."""
        q = select(s.drift_report, s.batch.c.received_at).join(
            s.batch, s.batch.c.batch_id == s.drift_report.c.batch_id
        )
        if batch_id is not None:
            q = q.where(s.drift_report.c.batch_id == batch_id)
        q = q.order_by(s.batch.c.received_at.desc(), s.batch.c.batch_id.desc()).limit(1)
        with self.engine.connect() as conn:
            r = conn.execute(q).mappings().first()
        return None if r is None else _row(r)

    def drift_reports(self, last: int | None = None) -> list[dict[str, Any]]:
        """Dataset-level drift verdicts (without the full report), oldest first."""
        cols = [c for c in s.drift_report.c if c.name != "report"]
        q = select(*cols, s.batch.c.received_at).join(
            s.batch, s.batch.c.batch_id == s.drift_report.c.batch_id
        )
        q = q.order_by(s.batch.c.received_at.desc(), s.batch.c.batch_id.desc())
        if last is not None:
            q = q.limit(int(last))
        with self.engine.connect() as conn:
            return [_row(r) for r in conn.execute(q).mappings()][::-1]

    def decisions(self, last: int | None = None) -> list[dict[str, Any]]:
        """The decision timeline, oldest first: each decision with its batch's status, Airflow
        run, Data Docs, champion and, when the decision names none, the MLflow run and model
        version of the batch's latest model event."""
        q = select(
            s.decision,
            s.batch.c.received_at,
            s.batch.c.status,
            s.batch.c.rows,
            s.batch.c.data_docs,
            s.batch.c.champion_version,
            s.batch.c.dag_id.label("batch_dag_id"),
            s.batch.c.run_id.label("batch_run_id"),
        ).join(s.batch, s.batch.c.batch_id == s.decision.c.batch_id)
        q = q.order_by(s.batch.c.received_at.desc(), s.batch.c.batch_id.desc())
        if last is not None:
            q = q.limit(int(last))
        with self.engine.connect() as conn:
            rows = [_row(r) for r in conn.execute(q).mappings()][::-1]
            ids = [r["batch_id"] for r in rows]
            events = (
                conn.execute(
                    select(s.model_event)
                    .where(s.model_event.c.batch_id.in_(ids))
                    .order_by(s.model_event.c.at)
                ).mappings()
                if ids
                else []
            )
            by_batch: dict[str, list[dict[str, Any]]] = {}
            for e in events:
                by_batch.setdefault(e["batch_id"], []).append(_row(e))
        for r in rows:
            dag_id, run_id = r.pop("batch_dag_id"), r.pop("batch_run_id")
            r["dag_id"] = r["dag_id"] or dag_id
            r["run_id"] = r["run_id"] or run_id
            evs = by_batch.get(r["batch_id"], [])
            r["events"] = [
                {k: e[k] for k in ("kind", "model_version", "mlflow_run_id", "at")} for e in evs
            ]
            if not r["mlflow_run_id"]:
                r["mlflow_run_id"] = next(
                    (e["mlflow_run_id"] for e in reversed(evs) if e["mlflow_run_id"]), None
                )
            if not r["model_version"]:
                r["model_version"] = next(
                    (e["model_version"] for e in reversed(evs) if e["model_version"]),
                    r["champion_version"],
                )
        return rows

    def predictions(
        self, batch_id: str | None = None, last: int | None = None
    ) -> list[dict[str, Any]]:
        """Prediction distributions, batch order."""
        q = select(s.prediction, s.batch.c.received_at).join(
            s.batch, s.batch.c.batch_id == s.prediction.c.batch_id
        )
        if batch_id is not None:
            q = q.where(s.prediction.c.batch_id == batch_id)
        q = q.order_by(s.batch.c.received_at, s.batch.c.batch_id, s.prediction.c.model_version)
        with self.engine.connect() as conn:
            keep = self._recent_batch_ids(conn, last, s.prediction)
            if keep is not None:
                q = q.where(s.prediction.c.batch_id.in_(keep))
            return [
                {k: v for k, v in _row(r).items() if k != "id"} for r in conn.execute(q).mappings()
            ]

    def performance(
        self,
        metric: str | None = None,
        model_version: str | None = None,
        role: str | None = None,
        last: int | None = None,
    ) -> list[dict[str, Any]]:
        """Performance rows with the batch's ``received_at``, batch order."""
        q = select(s.performance, s.batch.c.received_at).join(
            s.batch, s.batch.c.batch_id == s.performance.c.batch_id
        )
        for col, value in (("metric", metric), ("model_version", model_version), ("role", role)):
            if value is not None:
                q = q.where(s.performance.c[col] == value)
        q = q.order_by(s.batch.c.received_at, s.batch.c.batch_id, s.performance.c.metric)
        with self.engine.connect() as conn:
            keep = self._recent_batch_ids(conn, last, s.performance)
            if keep is not None:
                q = q.where(s.performance.c.batch_id.in_(keep))
            return [
                {k: v for k, v in _row(r).items() if k != "id"} for r in conn.execute(q).mappings()
            ]

    def model_events(
        self, kind: str | None = None, batch_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Model events oldest first, with the batch's ``received_at`` when tied to a batch."""
        q = select(s.model_event, s.batch.c.received_at).outerjoin(
            s.batch, s.batch.c.batch_id == s.model_event.c.batch_id
        )
        if kind is not None:
            q = q.where(
                s.model_event.c.kind == _check_choice("model event kind", kind, s.MODEL_EVENT_KINDS)
            )
        if batch_id is not None:
            q = q.where(s.model_event.c.batch_id == batch_id)
        q = q.order_by(s.model_event.c.at, s.model_event.c.id)
        with self.engine.connect() as conn:
            return [
                {k: v for k, v in _row(r).items() if k not in ("id", "dedup_key")}
                for r in conn.execute(q).mappings()
            ]

    def steps(self, batch_id: str | None = None) -> list[dict[str, Any]]:
        """Step durations, batch order then step name."""
        q = select(s.step, s.batch.c.received_at).join(
            s.batch, s.batch.c.batch_id == s.step.c.batch_id
        )
        if batch_id is not None:
            q = q.where(s.step.c.batch_id == batch_id)
        q = q.order_by(
            s.batch.c.received_at, s.batch.c.batch_id, s.step.c.recorded_at, s.step.c.step
        )
        with self.engine.connect() as conn:
            return [
                {k: v for k, v in _row(r).items() if k != "id"} for r in conn.execute(q).mappings()
            ]

    def alerts(self, last: int | None = None, batch_id: str | None = None) -> list[dict[str, Any]]:
        """Alerts sent, newest first."""
        q = select(s.alert)
        if batch_id is not None:
            q = q.where(s.alert.c.batch_id == batch_id)
        q = q.order_by(s.alert.c.created_at.desc(), s.alert.c.id.desc())
        if last is not None:
            q = q.limit(int(last))
        with self.engine.connect() as conn:
            return [
                {k: v for k, v in _row(r).items() if k != "id"} for r in conn.execute(q).mappings()
            ]


def _failure_text(failures: Sequence[Any]) -> str | None:
    text = "; ".join(
        str(f.get("message", f)) if isinstance(f, Mapping) else str(f) for f in failures
    )
    return text or None


_STORES: dict[str, MonitoringStore] = {}


def record(method: str, *args: Any, url: str | None = None, **kwargs: Any) -> Any:
    """Call ``MonitoringStore.<method>(*args, **kwargs)`` on the store at ``url`` (default
    :func:`default_url`), kept open per process: one call per pipeline event.

    >>> record("record_batch", "b1", "validated", url="sqlite://")
    >>> record("batch", "b1", url="sqlite://")["status"]
    'validated'
    """
    target = getattr(MonitoringStore, method, None)
    if method.startswith("_") or not callable(target):
        raise ConfigError(
            fail(f"{method!r} is not a MonitoringStore method", "use e.g. record_drift")
        )
    url = url or default_url()
    if url not in _STORES:
        _STORES[url] = MonitoringStore(url)
    return getattr(_STORES[url], method)(*args, **kwargs)


def _primary_result(column: Mapping[str, Any]) -> Mapping[str, Any]:
    """The method result behind a column's primary effect size (the first with a p-value)."""
    results = [r for r in column.get("results") or [] if isinstance(r, Mapping)]
    name = column.get("effect_size_name")
    same = [r for r in results if name is None or r.get("effect_size_name") == name]
    for r in same or results:
        if r.get("p_value") is not None:
            return r
    return (same or results or [{}])[0]


__all__ = ["ENV_URL", "LATEST_VERSION", "MonitoringStore", "default_url", "record"]
