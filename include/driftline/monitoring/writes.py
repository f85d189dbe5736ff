"""The writes of the monitoring store: one ``record_*`` method per pipeline event.

Every write is idempotent per its natural key (a batch, a batch and a column, a batch and
a metric, ...), so a retried Airflow task overwrites its own rows; :func:`upsert` is the
insert-or-update behind them (SQLite and PostgreSQL ``ON CONFLICT``, a generic fallback
elsewhere).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from driftline.errors import ConfigError, fail
from driftline.monitoring import schema as s
from driftline.monitoring.engine import StoreEngine
from driftline.monitoring.summary import prediction_summary
from driftline.monitoring.values import (
    check_choice,
    check_id,
    finite_or_none,
    json_safe,
    opt_id,
    report_dict,
    string_list,
    utc,
    utc_now,
)


def upsert(
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


def ensure_batch(conn: Any, batch_id: str, received_at: datetime | None = None) -> None:
    """Insert the batch with status ``received`` unless it exists."""
    now = utc_now()
    upsert(
        conn,
        s.batch,
        {
            "batch_id": batch_id,
            "received_at": utc(received_at) or now,
            "updated_at": now,
            "status": "received",
        },
        ("batch_id",),
        update_cols=(),
    )


def set_batch(conn: Any, batch_id: str, **fields: Any) -> None:
    """Set the given batch fields (``None`` values are left alone) and ``updated_at``."""
    given = {k: v for k, v in fields.items() if v is not None}
    if given:
        conn.execute(
            update(s.batch)
            .where(s.batch.c.batch_id == batch_id)
            .values(updated_at=utc_now(), **given)
        )


class StoreWrites(StoreEngine):
    """The ``record_*`` methods of :class:`~driftline.monitoring.MonitoringStore`."""

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
        check_id("batch_id", batch_id)
        if status is not None:
            check_choice("batch status", status, s.BATCH_STATUSES)
        with self.engine.begin() as conn:
            ensure_batch(conn, batch_id, received_at)
            set_batch(
                conn,
                batch_id,
                status=status,
                rows=None if rows is None else int(rows),
                dag_id=opt_id("dag_id", dag_id),
                run_id=opt_id("run_id", run_id),
                source=source,
                data_docs=data_docs,
                message=message,
                champion_version=opt_id("champion_version", champion_version),
                received_at=utc(received_at),
            )

    def record_validation(
        self, batch_id: str, report: Any, *, dag_id: str | None = None, run_id: str | None = None
    ) -> str:
        """Record a validation outcome (``ValidationReport`` or its ``to_dict()``).

        Sets the batch status to ``validated`` or ``quarantined`` (from ``passed``), its
        rows, source, Data Docs location and a message listing the failures. Returns the
        status.
        """
        r = report_dict(report)
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
        check_id("batch_id", batch_id)
        r = json_safe(report_dict(report))
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
                    "statistic": finite_or_none(c.get("statistic", primary.get("statistic"))),
                    "p_value": finite_or_none(c.get("p_value", primary.get("p_value"))),
                    "p_value_corrected": finite_or_none(
                        c.get("p_value_corrected", c.get("corrected_p_value"))
                    ),
                    "effect_size": finite_or_none(c.get("effect_size", primary.get("effect_size"))),
                    "effect_size_name": c.get("effect_size_name")
                    or primary.get("effect_size_name"),
                    "drifted": bool(c.get("drifted", c.get("is_drift", False))),
                    "severity": c.get("severity"),
                    "rank": int(c.get("rank") or rank),
                }
            )
        with self.engine.begin() as conn:
            ensure_batch(conn, batch_id)
            conn.execute(delete(s.drift_column).where(s.drift_column.c.batch_id == batch_id))
            if rows:
                conn.execute(s.drift_column.insert(), rows)
            upsert(
                conn,
                s.drift_report,
                {
                    "batch_id": batch_id,
                    "recorded_at": utc_now(),
                    "is_drift": bool(r.get("is_drift", any(x["drifted"] for x in rows))),
                    "kinds": string_list(r.get("kinds")),
                    "severity": str(r.get("severity") or "none"),
                    "max_effect": finite_or_none(r.get("max_effect")) or 0.0,
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
        check_id("batch_id", batch_id)
        d: dict[str, Any] = {} if isinstance(action, str) else report_dict(action)
        act = action if isinstance(action, str) else d.get("action")
        check_id("decision action", act)
        values = {
            "batch_id": batch_id,
            "decided_at": utc_now(),
            "action": str(act),
            "reasons": string_list(reasons if reasons is not None else d.get("reasons")),
            "kinds": string_list(kinds if kinds is not None else d.get("kinds")),
            "severity": str(severity or d.get("severity") or "none"),
            "dag_id": opt_id("dag_id", dag_id),
            "run_id": opt_id("run_id", run_id),
            "mlflow_run_id": opt_id("mlflow_run_id", mlflow_run_id or d.get("mlflow_run_id")),
            "model_version": opt_id("model_version", model_version or d.get("model_version")),
            "details": json_safe(
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
            ensure_batch(conn, batch_id)
            upsert(conn, s.decision, values, ("batch_id",))

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
        check_id("batch_id", batch_id)
        check_id("model_version", str(model_version))
        if (stats is None) == (values is None):
            raise ConfigError(
                fail("record_predictions needs exactly one of stats or values", "pass one")
            )
        summary = json_safe(dict(stats) if stats is not None else prediction_summary(values))
        with self.engine.begin() as conn:
            ensure_batch(conn, batch_id)
            upsert(
                conn,
                s.prediction,
                {
                    "batch_id": batch_id,
                    "model_version": str(model_version),
                    "recorded_at": utc_now(),
                    "stats": summary,
                },
                ("batch_id", "model_version"),
            )
            if role == "champion":
                set_batch(conn, batch_id, champion_version=str(model_version))
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
        check_id("batch_id", batch_id)
        check_id("model_version", str(model_version))
        check_id("role", role)
        now = utc_now()
        with self.engine.begin() as conn:
            ensure_batch(conn, batch_id)
            for metric, value in metrics.items():
                x = finite_or_none(value)
                if x is None:
                    continue
                upsert(
                    conn,
                    s.performance,
                    {
                        "batch_id": batch_id,
                        "model_version": str(model_version),
                        "metric": check_id("metric", metric),
                        "value": x,
                        "n_labels": None if n_labels is None else int(n_labels),
                        "role": role,
                        "recorded_at": now,
                    },
                    ("batch_id", "model_version", "metric"),
                )

    def record_estimated_performance(
        self,
        batch_id: str,
        model_version: str,
        estimates: Iterable[Any] | Mapping[str, Any],
    ) -> int:
        """Record the estimated metrics of a model on a batch without labels; return how many.

        ``estimates`` are :class:`driftline.estimate.Estimate` objects or their
        ``to_dict()`` (``metric``, ``value``, ``low``, ``high``, ``n``, ``method``,
        ``reference_value``, ``n_reference``, ``confidence``), or a mapping of them by
        metric. Non-finite estimates are skipped. One row per (batch, version, metric).
        """
        check_id("batch_id", batch_id)
        check_id("model_version", str(model_version))
        items = estimates.values() if isinstance(estimates, Mapping) else estimates
        rows = []
        for e in items:
            d = report_dict(e)
            value = finite_or_none(d.get("value"))
            if value is None:
                continue
            rows.append(
                {
                    "batch_id": batch_id,
                    "model_version": str(model_version),
                    "metric": check_id("metric", d.get("metric")),
                    "method": check_id("estimation method", str(d.get("method") or "unknown")),
                    "value": value,
                    "low": finite_or_none(d.get("low")),
                    "high": finite_or_none(d.get("high")),
                    "confidence": finite_or_none(d.get("confidence")),
                    "n_rows": None if d.get("n") is None else int(d["n"]),
                    "reference_value": finite_or_none(d.get("reference_value")),
                    "n_reference": None if d.get("n_reference") is None else int(d["n_reference"]),
                    "recorded_at": utc_now(),
                }
            )
        with self.engine.begin() as conn:
            ensure_batch(conn, batch_id)
            for row in rows:
                upsert(conn, s.estimated_performance, row, ("batch_id", "model_version", "metric"))
        return len(rows)

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
        check_choice("model event kind", kind, s.MODEL_EVENT_KINDS)
        if iteration is not None:
            check_choice("iteration", iteration, s.ITERATIONS)
        version = opt_id("model_version", None if model_version is None else str(model_version))
        opt_id("batch_id", batch_id)
        key = "|".join((kind, batch_id or "", version or "", mlflow_run_id or ""))
        with self.engine.begin() as conn:
            if batch_id is not None:
                ensure_batch(conn, batch_id)
            upsert(
                conn,
                s.model_event,
                {
                    "dedup_key": key,
                    "kind": kind,
                    "model_version": version,
                    "previous_version": opt_id("previous_version", previous_version),
                    "mlflow_run_id": opt_id("mlflow_run_id", mlflow_run_id),
                    "batch_id": batch_id,
                    "at": utc(at) or utc_now(),
                    "reason": reason,
                    "iteration": iteration,
                },
                ("dedup_key",),
                update_cols=("previous_version", "reason", "iteration"),
            )
            if batch_id is not None and version is not None and kind in ("promotion", "rollback"):
                set_batch(conn, batch_id, champion_version=version)

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
        check_id("model_version", str(model_version))
        check_id("uri", uri, 900)
        counts = {"rows_seen": rows_seen, "rows_sampled": rows_sampled, "requests": requests}
        for name, value in counts.items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ConfigError(fail(f"{name}={value!r}", "pass a count >= 0"))
        with self.engine.begin() as conn:
            upsert(
                conn,
                s.live_traffic,
                {
                    "uri": uri,
                    "model_version": str(model_version),
                    "started_at": utc(started_at),
                    "ended_at": utc(ended_at),
                    **counts,
                    "stats": json_safe(dict(stats or {})),
                },
                ("uri",),
            )

    def record_step(self, batch_id: str, step: str, seconds: float) -> None:
        """Record how long a pipeline step took on a batch (a retry overwrites it)."""
        check_id("batch_id", batch_id)
        check_id("step", step)
        x = finite_or_none(seconds)
        if x is None or x < 0:
            raise ConfigError(
                fail(f"step duration {seconds!r} is not a non-negative number", "pass seconds")
            )
        with self.engine.begin() as conn:
            ensure_batch(conn, batch_id)
            upsert(
                conn,
                s.step,
                {"batch_id": batch_id, "step": step, "seconds": x, "recorded_at": utc_now()},
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


def _failure_text(failures: Sequence[Any]) -> str | None:
    text = "; ".join(
        str(f.get("message", f)) if isinstance(f, Mapping) else str(f) for f in failures
    )
    return text or None


def _primary_result(column: Mapping[str, Any]) -> Mapping[str, Any]:
    """The method result behind a column's primary effect size (the first with a p-value)."""
    results = [r for r in column.get("results") or [] if isinstance(r, Mapping)]
    name = column.get("effect_size_name")
    same = [r for r in results if name is None or r.get("effect_size_name") == name]
    for r in same or results:
        if r.get("p_value") is not None:
            return r
    return (same or results or [{}])[0]
