"""The queries of the monitoring store: JSON-ready rows for the view, the API and the alert rules.

Query methods return ``dict`` rows (datetimes as timezone-aware ``datetime``);
``last=N`` keeps the N most recent batches, always returned oldest first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select

from driftline.monitoring import schema as s
from driftline.monitoring.engine import StoreEngine
from driftline.monitoring.values import check_choice, plain_row


class StoreReads(StoreEngine):
    """The query methods of :class:`~driftline.monitoring.MonitoringStore`."""

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
            q = q.where(s.batch.c.status == check_choice("batch status", status, s.BATCH_STATUSES))
        q = q.order_by(s.batch.c.received_at.desc(), s.batch.c.batch_id.desc())
        if last is not None:
            q = q.limit(int(last))
        with self.engine.connect() as conn:
            rows = [plain_row(r) for r in conn.execute(q).mappings()]
        return rows[::-1]

    def batch(self, batch_id: str) -> dict[str, Any] | None:
        """One batch row, or ``None``."""
        with self.engine.connect() as conn:
            r = (
                conn.execute(select(s.batch).where(s.batch.c.batch_id == batch_id))
                .mappings()
                .first()
            )
        return None if r is None else plain_row(r)

    def _batch_rows(
        self,
        table: Any,
        where: Mapping[str, Any],
        order: Sequence[Any],
        last: int | None = None,
    ) -> list[dict[str, Any]]:
        """Rows of a per-batch ``table`` with the batch's ``received_at``, batch order then
        ``order``; ``where`` holds column filters (``None`` skips one); ``last`` keeps the
        most recent batches that have rows there. The surrogate ``id`` is left out."""
        q = select(table, s.batch.c.received_at).join(
            s.batch, s.batch.c.batch_id == table.c.batch_id
        )
        for col, value in where.items():
            if value is not None:
                q = q.where(table.c[col] == value)
        q = q.order_by(s.batch.c.received_at, s.batch.c.batch_id, *order)
        with self.engine.connect() as conn:
            keep = self._recent_batch_ids(conn, last, table)
            if keep is not None:
                q = q.where(table.c.batch_id.in_(keep))
            return [
                {k: v for k, v in plain_row(r).items() if k != "id"}
                for r in conn.execute(q).mappings()
            ]

    def drift(
        self, batch_id: str | None = None, column: str | None = None, last: int | None = None
    ) -> list[dict[str, Any]]:
        """Per-column drift rows (with the batch's ``received_at``), batch order then rank."""
        t = s.drift_column
        rows = self._batch_rows(t, {"batch_id": batch_id, "column_name": column}, [t.c.rank], last)
        for d in rows:
            d["column"] = d.pop("column_name")
        return rows

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
        return None if r is None else plain_row(r)

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
            return [plain_row(r) for r in conn.execute(q).mappings()][::-1]

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
            rows = [plain_row(r) for r in conn.execute(q).mappings()][::-1]
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
                by_batch.setdefault(e["batch_id"], []).append(plain_row(e))
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
        t = s.prediction
        return self._batch_rows(t, {"batch_id": batch_id}, [t.c.model_version], last)

    def performance(
        self,
        metric: str | None = None,
        model_version: str | None = None,
        role: str | None = None,
        last: int | None = None,
    ) -> list[dict[str, Any]]:
        """Performance rows with the batch's ``received_at``, batch order."""
        t = s.performance
        where = {"metric": metric, "model_version": model_version, "role": role}
        return self._batch_rows(t, where, [t.c.metric], last)

    def estimated_performance(
        self,
        metric: str | None = None,
        model_version: str | None = None,
        batch_id: str | None = None,
        last: int | None = None,
    ) -> list[dict[str, Any]]:
        """Estimated metrics of batches without labels, batch order, each with ``realized``
        (and ``n_labels``): the champion ``performance`` row of the same batch, model
        version and metric once labels arrived, else ``None``."""
        t = s.estimated_performance
        where = {"metric": metric, "model_version": model_version, "batch_id": batch_id}
        rows = self._batch_rows(t, where, [t.c.metric], last)
        if not rows:
            return rows
        p = s.performance
        ids = sorted({r["batch_id"] for r in rows})
        q = select(p.c.batch_id, p.c.model_version, p.c.metric, p.c.value, p.c.n_labels).where(
            p.c.batch_id.in_(ids), p.c.role == "champion"
        )
        with self.engine.connect() as conn:
            realized = {
                (r.batch_id, r.model_version, r.metric): (r.value, r.n_labels)
                for r in conn.execute(q)
            }
        for r in rows:
            value, n = realized.get((r["batch_id"], r["model_version"], r["metric"]), (None, None))
            r["realized"], r["n_labels"] = value, n
        return rows

    def model_events(
        self, kind: str | None = None, batch_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Model events oldest first, with the batch's ``received_at`` when tied to a batch."""
        q = select(s.model_event, s.batch.c.received_at).outerjoin(
            s.batch, s.batch.c.batch_id == s.model_event.c.batch_id
        )
        if kind is not None:
            q = q.where(
                s.model_event.c.kind == check_choice("model event kind", kind, s.MODEL_EVENT_KINDS)
            )
        if batch_id is not None:
            q = q.where(s.model_event.c.batch_id == batch_id)
        q = q.order_by(s.model_event.c.at, s.model_event.c.id)
        with self.engine.connect() as conn:
            return [
                {k: v for k, v in plain_row(r).items() if k not in ("id", "dedup_key")}
                for r in conn.execute(q).mappings()
            ]

    def steps(self, batch_id: str | None = None) -> list[dict[str, Any]]:
        """Step durations, batch order then step name."""
        t = s.step
        return self._batch_rows(t, {"batch_id": batch_id}, [t.c.recorded_at, t.c.step])

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
                {k: v for k, v in plain_row(r).items() if k != "id"}
                for r in conn.execute(q).mappings()
            ]
        return rows[::-1]
