"""The FastAPI app of the Driftline view: the HTML dashboard and its JSON API.

:func:`create_app` builds the app around a :class:`~driftline.monitoring.MonitoringStore`.
Authentication is injected: ``auth`` is a FastAPI dependency that returns the user or
raises ``HTTPException`` (401 when no credential, 403 when refused); it guards *every*
route, including the OpenAPI document. The Airflow plugin passes Airflow's own JWT check;
tests pass a fake. An unauthenticated browser asking for a page is redirected to
``login_url(next)`` when given.

Routes (relative to where the app is mounted, ``/driftline`` in Airflow):

=================================  =======================================================
``GET /``                          the dashboard (HTML, charts inline)
``GET /api/summary``               counts per status, latest batch, champion, last decision
``GET /api/batches``               batches (``last``, ``status``)
``GET /api/batches/{batch_id}``    one batch with all its records
``GET /api/drift``                 per-column drift rows (``column``, ``batch_id``, ``last``)
``GET /api/drift/reports``         the drift verdict of every batch (``last``)
``GET /api/drift/latest``          the latest drift report (``batch_id`` for another one)
``GET /api/performance``           metrics (``metric``, ``model_version``, ``role``, ``last``)
``GET /api/estimated-performance`` estimates without labels, with the realized value
                                   (``metric``, ``model_version``, ``batch_id``, ``last``)
``GET /api/predictions``           prediction distributions (``batch_id``, ``last``)
``GET /api/decisions``             the decision timeline with links (``last``)
``GET /api/model-events``          fine-tunes, retrains, promotions, rollbacks (``kind``)
``GET /api/steps``                 step durations (``batch_id``)
``GET /api/alerts``                alerts sent (``last``, ``batch_id``)
``GET /api/openapi.json``          the OpenAPI document of these routes
``GET /charts/heatmap.svg``        the drift heatmap alone (``last``)
``GET /charts/performance.svg``    the performance chart alone (``last``)
``GET /charts/estimated.svg``      estimated vs realized performance alone (``last``)
``GET /datadocs/{batch_id}/{path}`` the batch's Great Expectations Data Docs (local or S3)
``GET /icon.svg``                  the navigation icon
=================================  =======================================================
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from driftline.monitoring import charts
from driftline.monitoring.links import Links
from driftline.monitoring.page import Dashboard, render_dashboard
from driftline.monitoring.store import MonitoringStore

Last = Annotated[int, Query(ge=1, le=1000, description="keep the N most recent batches")]
_NO_CACHE = {"Cache-Control": "no-store"}
#: The navigation icon: a line drifting away from its baseline.
ICON_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" '
    'stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d="M3 17h6l3-3 3 1 6-8"/>'
    '<path d="M3 21h18" stroke-dasharray="2 3"/><circle cx="21" cy="7" r="1.5"/></svg>'
)


# ------------------------------------------------------------------ response models (docs)
class _Row(BaseModel):
    model_config = ConfigDict(extra="allow")


class BatchOut(_Row):
    """A batch and where it stands."""

    batch_id: str
    received_at: datetime
    updated_at: datetime
    status: str
    rows: int | None = None
    dag_id: str | None = None
    run_id: str | None = None
    source: str | None = None
    data_docs: str | None = None
    message: str | None = None
    champion_version: str | None = None


class DriftColumnOut(_Row):
    """Drift statistics of one column on one batch."""

    batch_id: str
    column: str
    role: str | None = None
    method: str | None = None
    statistic: float | None = None
    p_value: float | None = None
    p_value_corrected: float | None = None
    effect_size: float | None = None
    effect_size_name: str | None = None
    drifted: bool
    severity: str | None = None
    rank: int | None = None
    received_at: datetime


class DriftReportOut(_Row):
    """A batch's dataset-level drift verdict and the full report (``DriftReport.to_dict()``)."""

    batch_id: str
    recorded_at: datetime
    received_at: datetime
    is_drift: bool
    kinds: list[str]
    severity: str
    max_effect: float
    report: dict[str, Any]


class DriftVerdictOut(_Row):
    """A batch's dataset-level drift verdict."""

    batch_id: str
    recorded_at: datetime
    received_at: datetime
    is_drift: bool
    kinds: list[str]
    severity: str
    max_effect: float


class PerformanceOut(_Row):
    """One metric of one model on one labelled batch."""

    batch_id: str
    model_version: str
    metric: str
    value: float
    n_labels: int | None = None
    role: str
    recorded_at: datetime
    received_at: datetime


class EstimatedPerformanceOut(_Row):
    """One estimated metric of one model on a batch without labels (and its realized value)."""

    batch_id: str
    model_version: str
    metric: str
    method: str
    value: float
    low: float | None = None
    high: float | None = None
    confidence: float | None = None
    n_rows: int | None = None
    reference_value: float | None = None
    n_reference: int | None = None
    realized: float | None = None
    n_labels: int | None = None
    recorded_at: datetime
    received_at: datetime


class PredictionOut(_Row):
    """Prediction distribution of one model on one batch."""

    batch_id: str
    model_version: str
    recorded_at: datetime
    received_at: datetime
    stats: dict[str, Any]


class ModelEventOut(_Row):
    """A fine-tune, retrain, promotion, rollback, refusal or registration."""

    kind: str
    model_version: str | None = None
    previous_version: str | None = None
    mlflow_run_id: str | None = None
    batch_id: str | None = None
    at: datetime
    reason: str | None = None
    received_at: datetime | None = None


class DecisionOut(_Row):
    """One entry of the decision timeline, with the URLs of what it refers to."""

    batch_id: str
    decided_at: datetime
    received_at: datetime
    action: str
    reasons: list[str]
    kinds: list[str]
    severity: str
    status: str
    dag_id: str | None = None
    run_id: str | None = None
    mlflow_run_id: str | None = None
    model_version: str | None = None
    data_docs: str | None = None
    events: list[dict[str, Any]] = []
    details: dict[str, Any] = {}
    links: dict[str, str] = {}


class StepOut(_Row):
    """Duration of one pipeline step on one batch."""

    batch_id: str
    step: str
    seconds: float
    recorded_at: datetime
    received_at: datetime


class AlertOut(_Row):
    """An alert sent (deduplicated per rule and batch)."""

    dedup_key: str
    rule: str
    batch_id: str
    severity: str
    message: str
    links: dict[str, str]
    created_at: datetime
    channels: list[str]


class SummaryOut(_Row):
    """Headline numbers."""

    batches: int
    by_status: dict[str, int]
    latest_batch: BatchOut | None = None
    champion_version: str | None = None
    latest_decision: DecisionOut | None = None
    alerts: int
    schema_version: int


class BatchDetailOut(_Row):
    """A batch with all its records."""

    batch: BatchOut
    drift_report: DriftReportOut | None = None
    drift: list[DriftColumnOut]
    decision: DecisionOut | None = None
    predictions: list[PredictionOut]
    performance: list[PerformanceOut]
    estimated_performance: list[EstimatedPerformanceOut] = []
    model_events: list[ModelEventOut]
    steps: list[StepOut]
    alerts: list[AlertOut]


# ------------------------------------------------------------------ the app
def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def _safe_file(base: Path, relative: str) -> Path | None:
    target = (base / relative).resolve()
    return target if target.is_relative_to(base) and target.is_file() else None


def create_app(
    store: MonitoringStore | Callable[[], MonitoringStore],
    *,
    auth: Callable[..., Any],
    links: Links | None = None,
    login_url: Callable[[str], str] | None = None,
    docs_root: str | Path | None = None,
    floor: tuple[str, float] | None = None,
    last: int = 30,
    docs_reader: Callable[[str], bytes] | None = None,
) -> FastAPI:
    """The Driftline app.

    Parameters
    ----------
    store : MonitoringStore or callable
        The store, or a factory called on the first request (so importing the plugin does
        not touch the database).
    auth : FastAPI dependency
        Returns the user or raises ``HTTPException`` (401/403); guards every route.
    links : Links, optional
        URL builder; ``airflow_url=""`` (the default) links the Airflow UI on the same origin.
    login_url : callable, optional
        ``login_url(next_url)``: where an unauthenticated browser is sent.
    docs_root : path, optional
        Data Docs are only served from below this folder (default: anywhere the batch's
        recorded ``index.html`` lives).
    floor : (metric, value), optional
        Alert floor drawn on the performance chart.
    last : int
        Batches shown by default.
    docs_reader : callable, optional
        ``docs_reader("s3://bucket/key") -> bytes`` (raising ``FileNotFoundError`` when
        missing): serves Data Docs stored in object storage.
    """
    links = links or Links()
    root = None if docs_root is None else Path(docs_root).resolve()
    cache: dict[str, MonitoringStore] = {}

    def get_store() -> MonitoringStore:
        if "store" not in cache:
            cache["store"] = store if isinstance(store, MonitoringStore) else store()
        return cache["store"]

    app = FastAPI(
        title="Driftline monitoring API",
        version="1",
        description="Drift, decisions, performance and alerts per batch. Every route needs an "
        "Airflow login (the UI session cookie or an `Authorization: Bearer <JWT>` header).",
        dependencies=[Depends(auth)],
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 401 and login_url is not None and _wants_html(request):
            return RedirectResponse(login_url(str(request.url)), status_code=303)
        return await http_exception_handler(request, exc)

    def view_links(request: Request) -> Links:
        return links.with_(view_prefix=request.scope.get("root_path", "").rstrip("/"))

    def decisions_with_links(request: Request, n: int | None) -> list[dict[str, Any]]:
        lk = view_links(request)
        return [{**d, "links": lk.for_record(d)} for d in get_store().decisions(last=n)]

    # ---------------------------------------------------------------- HTML and charts
    @app.get("/", response_class=HTMLResponse, summary="The Driftline dashboard")
    def dashboard(request: Request, last: Last = last) -> HTMLResponse:
        st = get_store()
        batches = st.batches(last=last)
        lk = view_links(request)
        metric, bound = floor if floor else (None, None)
        perf = st.performance(role="champion", last=last)
        page = Dashboard(
            model_name=links.model_name,
            batches=batches,
            heatmap_svg=charts.drift_heatmap_svg(st.drift(last=last)),
            performance_svg=charts.performance_svg(
                perf,
                _events_in(st, perf),
                floor=bound if _has_metric(perf, metric) else None,
                floor_metric=metric,
            ),
            estimated_svg=charts.estimated_performance_svg(
                st.estimated_performance(last=last), perf, floor=bound, floor_metric=metric
            ),
            report=st.drift_report(),
            decisions=st.decisions(last=last),
            alerts=st.alerts(last=8),
            steps=st.steps(batches[-1]["batch_id"]) if batches else [],
            links=lk,
            api_base=f"{request.scope.get('root_path', '').rstrip('/')}/api",
            generated_at=datetime.now(UTC),
            n_batches_shown=len(batches),
            extra={"drift_reports": st.drift_reports(last=last)},
        )
        return HTMLResponse(render_dashboard(page), headers=_NO_CACHE)

    @app.get("/charts/heatmap.svg", summary="Drift heatmap (SVG)")
    def heatmap(last: Last = last) -> Response:
        svg = charts.drift_heatmap_svg(get_store().drift(last=last))
        return Response(svg, media_type="image/svg+xml", headers=_NO_CACHE)

    @app.get("/charts/performance.svg", summary="Performance chart (SVG)")
    def performance_chart(last: Last = last) -> Response:
        st = get_store()
        perf = st.performance(role="champion", last=last)
        metric, bound = floor if floor else (None, None)
        svg = charts.performance_svg(
            perf,
            _events_in(st, perf),
            floor=bound if _has_metric(perf, metric) else None,
            floor_metric=metric,
        )
        return Response(svg, media_type="image/svg+xml", headers=_NO_CACHE)

    @app.get("/charts/estimated.svg", summary="Estimated vs realized performance chart (SVG)")
    def estimated_chart(last: Last = last) -> Response:
        st = get_store()
        metric, bound = floor if floor else (None, None)
        svg = charts.estimated_performance_svg(
            st.estimated_performance(last=last),
            st.performance(role="champion", last=last),
            floor=bound,
            floor_metric=metric,
        )
        return Response(svg, media_type="image/svg+xml", headers=_NO_CACHE)

    @app.get("/datadocs/{batch_id}/{path:path}", summary="Data Docs of a batch")
    def data_docs(batch_id: str, path: str) -> Response:
        b = get_store().batch(batch_id)
        location = (b or {}).get("data_docs")
        relative = path or "index.html"
        media = mimetypes.guess_type(relative)[0] or "application/octet-stream"
        if location and location.startswith("s3://") and docs_reader is not None:
            parts = relative.split("/")
            if any(p in ("", ".", "..") for p in parts):
                raise HTTPException(404, "no such Data Docs file")
            try:
                body = docs_reader(f"{location.rsplit('/', 1)[0]}/{relative}")
            except FileNotFoundError:
                raise HTTPException(404, "no such Data Docs file") from None
            except Exception as exc:  # noqa: BLE001 - the storage is down or refuses
                raise HTTPException(502, f"cannot read Data Docs: {type(exc).__name__}") from None
            return Response(body, media_type=media)
        if not location or location.startswith(("http://", "https://", "s3://")):
            raise HTTPException(404, "no Data Docs served here for this batch")
        base = Path(location).parent.resolve()
        if root is not None and not base.is_relative_to(root):
            raise HTTPException(404, "Data Docs outside the allowed folder")
        target = _safe_file(base, relative)
        if target is None:
            raise HTTPException(404, "no such Data Docs file")
        return FileResponse(target, media_type=media)

    @app.get("/icon.svg", summary="Navigation icon")
    def icon() -> Response:
        return Response(
            ICON_SVG, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"}
        )

    # ---------------------------------------------------------------- JSON API
    @app.get("/api/openapi.json", summary="OpenAPI document of this API")
    def openapi() -> dict[str, Any]:
        return app.openapi()

    @app.get("/api/summary", response_model=SummaryOut, summary="Headline numbers")
    def summary(request: Request) -> dict[str, Any]:
        st = get_store()
        batches = st.batches()
        by_status: dict[str, int] = {}
        for b in batches:
            by_status[b["status"]] = by_status.get(b["status"], 0) + 1
        decisions = decisions_with_links(request, 1)
        champion = next(
            (b["champion_version"] for b in reversed(batches) if b.get("champion_version")), None
        )
        return {
            "batches": len(batches),
            "by_status": by_status,
            "latest_batch": batches[-1] if batches else None,
            "champion_version": champion,
            "latest_decision": decisions[-1] if decisions else None,
            "alerts": len(st.alerts()),
            "schema_version": st.schema_version(),
        }

    @app.get("/api/batches", response_model=list[BatchOut], summary="Batches, oldest first")
    def batches(last: Last | None = None, status: str | None = None) -> list[dict[str, Any]]:
        try:
            return get_store().batches(last=last, status=status)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None

    @app.get(
        "/api/batches/{batch_id}", response_model=BatchDetailOut, summary="One batch, all records"
    )
    def batch_detail(request: Request, batch_id: str) -> dict[str, Any]:
        st = get_store()
        b = st.batch(batch_id)
        if b is None:
            raise HTTPException(404, f"no batch {batch_id!r}")
        decision = next(
            (d for d in decisions_with_links(request, None) if d["batch_id"] == batch_id), None
        )
        return {
            "batch": b,
            "drift_report": st.drift_report(batch_id),
            "drift": st.drift(batch_id=batch_id),
            "decision": decision,
            "predictions": st.predictions(batch_id=batch_id),
            "performance": [r for r in st.performance() if r["batch_id"] == batch_id],
            "estimated_performance": st.estimated_performance(batch_id=batch_id),
            "model_events": st.model_events(batch_id=batch_id),
            "steps": st.steps(batch_id=batch_id),
            "alerts": st.alerts(batch_id=batch_id),
        }

    @app.get(
        "/api/drift", response_model=list[DriftColumnOut], summary="Per-column drift statistics"
    )
    def drift(
        column: str | None = None, batch_id: str | None = None, last: Last | None = None
    ) -> list[dict[str, Any]]:
        return get_store().drift(batch_id=batch_id, column=column, last=last)

    @app.get(
        "/api/drift/reports",
        response_model=list[DriftVerdictOut],
        summary="Drift verdict per batch",
    )
    def drift_reports(last: Last | None = None) -> list[dict[str, Any]]:
        return get_store().drift_reports(last=last)

    @app.get("/api/drift/latest", response_model=DriftReportOut, summary="Latest drift report")
    def drift_latest(batch_id: str | None = None) -> dict[str, Any]:
        r = get_store().drift_report(batch_id)
        if r is None:
            raise HTTPException(404, "no drift report yet")
        return r

    @app.get(
        "/api/performance", response_model=list[PerformanceOut], summary="Model metrics per batch"
    )
    def performance(
        metric: str | None = None,
        model_version: str | None = None,
        role: str | None = None,
        last: Last | None = None,
    ) -> list[dict[str, Any]]:
        return get_store().performance(
            metric=metric, model_version=model_version, role=role, last=last
        )

    @app.get(
        "/api/estimated-performance",
        response_model=list[EstimatedPerformanceOut],
        summary="Estimated metrics of batches without labels, with the realized value",
    )
    def estimated_performance(
        metric: str | None = None,
        model_version: str | None = None,
        batch_id: str | None = None,
        last: Last | None = None,
    ) -> list[dict[str, Any]]:
        return get_store().estimated_performance(
            metric=metric, model_version=model_version, batch_id=batch_id, last=last
        )

    @app.get(
        "/api/predictions", response_model=list[PredictionOut], summary="Prediction distributions"
    )
    def predictions(batch_id: str | None = None, last: Last | None = None) -> list[dict[str, Any]]:
        return get_store().predictions(batch_id=batch_id, last=last)

    @app.get("/api/decisions", response_model=list[DecisionOut], summary="Decision timeline")
    def decisions(request: Request, last: Last | None = None) -> list[dict[str, Any]]:
        return decisions_with_links(request, last)

    @app.get("/api/model-events", response_model=list[ModelEventOut], summary="Model events")
    def model_events(kind: str | None = None, batch_id: str | None = None) -> list[dict[str, Any]]:
        try:
            return get_store().model_events(kind=kind, batch_id=batch_id)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None

    @app.get("/api/steps", response_model=list[StepOut], summary="Step durations")
    def steps(batch_id: str | None = None) -> list[dict[str, Any]]:
        return get_store().steps(batch_id=batch_id)

    @app.get("/api/alerts", response_model=list[AlertOut], summary="Alerts sent, newest first")
    def alerts(last: Last | None = None, batch_id: str | None = None) -> list[dict[str, Any]]:
        return get_store().alerts(last=last, batch_id=batch_id)

    return app


def _has_metric(rows: list[dict[str, Any]], metric: str | None) -> bool:
    return metric is not None and any(r["metric"] == metric for r in rows)


def _events_in(store: MonitoringStore, perf: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Model events tied to the charted batches (or to none, placed by time)."""
    shown = {r["batch_id"] for r in perf}
    events = store.model_events()
    if not shown:
        return [e for e in events if e.get("batch_id")][-30:]
    first = min((r["received_at"] for r in perf), default=None)
    return [
        e
        for e in events
        if e.get("batch_id") in shown
        or (e.get("batch_id") is None and first is not None and e["at"] >= first)
        or (e.get("received_at") is not None and first is not None and e["received_at"] >= first)
    ]
