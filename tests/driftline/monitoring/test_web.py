"""The Driftline FastAPI app with an injected fake authentication: every route refuses
anonymous requests, the page renders the charts, the JSON API serves the store's data."""

from __future__ import annotations

import re

import pytest
from fastapi import Depends, HTTPException, Request
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from driftline.alerting import send_batch_alerts
from driftline.monitoring import Links, MonitoringStore
from driftline.monitoring.web import create_app
from tests.driftline.monitoring.seed import seed_store
from tests.driftline.monitoring.test_alerts import Recorder

TOKENS = {"good": "alice", "viewer-without-access": "bob"}


def fake_auth(request: Request) -> str:
    """Stands in for Airflow's JWT check: 401 without a token, 403 for a refused user."""
    header = request.headers.get("authorization", "")
    token = (
        header.removeprefix("Bearer ")
        if header.startswith("Bearer ")
        else request.cookies.get("_token")
    )
    if not token:
        raise HTTPException(401, "Not authenticated")
    if token not in TOKENS:
        raise HTTPException(403, "Invalid JWT token")
    if TOKENS[token] == "bob":
        raise HTTPException(403, "not allowed to view Driftline")
    return TOKENS[token]


AUTH = {"Authorization": "Bearer good"}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    store = MonitoringStore(f"sqlite:///{tmp_path_factory.mktemp('web') / 'm.db'}")
    ids = seed_store(store)
    for b in ids:
        send_batch_alerts(
            b,
            store=store,
            notifiers=[Recorder()],
            links=Links("http://af", "http://ml", "driftline"),
        )
    yield store, ids
    store.dispose()


@pytest.fixture(scope="module")
def client(seeded):
    store, _ = seeded
    app = create_app(
        store,
        auth=fake_auth,
        links=Links("", "http://ml:5000", "driftline"),
        login_url=lambda nxt: f"/auth/login?next={nxt}",
        floor=("accuracy", 0.7),
    )
    return TestClient(app)


def _get_paths(app) -> list[str]:
    paths = []
    for r in app.routes:
        if isinstance(r, APIRoute) and "GET" in r.methods:
            paths.append(
                re.sub(
                    r"\{(\w+)(:path)?\}",
                    lambda m: "week-01" if m.group(1) == "batch_id" else "index.html",
                    r.path,
                )
            )
    return paths


def test_every_route_refuses_anonymous_and_refused_users(client):
    paths = _get_paths(client.app)
    assert {"/", "/api/batches", "/api/drift", "/api/openapi.json", "/charts/heatmap.svg"} <= set(
        paths
    )
    assert not any(r.path in ("/docs", "/openapi.json", "/redoc") for r in client.app.routes)
    for path in paths:
        assert client.get(path).status_code == 401, path
        assert client.get(path, headers={"Authorization": "Bearer forged"}).status_code == 403, path
        assert (
            client.get(path, headers={"Authorization": "Bearer viewer-without-access"}).status_code
            == 403
        ), path
    assert client.get("/api/nope", headers=AUTH).status_code == 404


def test_a_browser_without_a_session_is_sent_to_the_login_page(client):
    r = client.get("/", headers={"accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith(
        "/auth/login?next=http://testserver/"
    )
    # an API client gets the status code, not a redirect
    assert client.get("/api/batches", headers={"accept": "application/json"}).status_code == 401


def test_the_session_cookie_is_accepted(client):
    client.cookies.set("_token", "good")
    try:
        assert client.get("/api/summary").status_code == 200
    finally:
        client.cookies.clear()


def test_dashboard_renders_both_charts_and_the_tables(client, seeded):
    _, ids = seeded
    r = client.get("/", headers=AUTH)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    for section in ("heatmap", "performance", "latest-report", "timeline", "alerts", "steps"):
        assert f'id="{section}"' in html
    heat = html[html.index('id="heatmap"') : html.index('id="performance"')]
    perf = html[html.index('id="performance"') : html.index('id="latest-report"')]
    assert "<svg" in heat and "nswprice" in heat and ids[-1] in heat
    assert "<svg" in perf and "accuracy" in perf and "promotion" in perf and "rollback" in perf
    # no external resource: no script, no stylesheet link, no remote image
    assert "<script" not in html and "<link" not in html and 'src="http' not in html
    # the timeline links the Airflow run (same origin, top window), MLflow and Data Docs
    assert (
        'href="/dags/driftline_continual_training/runs/scheduled__2026-03-12T06%3A00%3A00%2B00%3A00" target="_top"'
        in html
    )
    assert 'href="http://ml:5000/#/runs/run0012"' in html
    assert 'href="http://ml:5000/#/models/driftline/versions/2"' in html
    assert 'href="/datadocs/week-12/index.html"' in html


def test_last_limits_the_batches_shown(client, seeded):
    _, ids = seeded
    html = client.get("/?last=3", headers=AUTH).text
    assert "last 3 batches" in html
    heat = html[html.index('id="heatmap"') : html.index('id="performance"')]
    assert ids[-1] in heat and ids[0] not in heat
    assert client.get("/?last=0", headers=AUTH).status_code == 422


def test_json_endpoints_serve_the_store(client, seeded):
    store, ids = seeded
    batches = client.get("/api/batches", headers=AUTH).json()
    assert [b["batch_id"] for b in batches] == ids
    assert [
        b["batch_id"] for b in client.get("/api/batches?status=quarantined", headers=AUTH).json()
    ] == ["week-04"]
    assert client.get("/api/batches?status=lost", headers=AUTH).status_code == 422

    drift = client.get("/api/drift?column=nswprice", headers=AUTH).json()
    assert [d["batch_id"] for d in drift] == [r["batch_id"] for r in store.drift(column="nswprice")]
    assert all(d["column"] == "nswprice" for d in drift)
    latest = client.get("/api/drift/latest", headers=AUTH).json()
    assert latest["batch_id"] == ids[-1] and latest["report"]["columns"]
    verdicts = client.get("/api/drift/reports?last=2", headers=AUTH).json()
    assert [v["batch_id"] for v in verdicts] == ids[-2:] and "report" not in verdicts[0]

    perf = client.get("/api/performance?metric=accuracy", headers=AUTH).json()
    assert len(perf) == len(store.performance(metric="accuracy")) and {
        p["metric"] for p in perf
    } == {"accuracy"}
    decisions = client.get("/api/decisions", headers=AUTH).json()
    assert [d["batch_id"] for d in decisions] == ids
    assert decisions[-1]["links"]["airflow_run"].startswith(
        "/dags/driftline_continual_training/runs/"
    )
    events = client.get("/api/model-events?kind=rollback", headers=AUTH).json()
    assert [e["model_version"] for e in events] == ["2"]
    assert client.get("/api/model-events?kind=nope", headers=AUTH).status_code == 422
    assert (
        client.get("/api/predictions?batch_id=week-01", headers=AUTH).json()[0]["stats"]["n"]
        == 1344
    )
    assert {s["step"] for s in client.get("/api/steps?batch_id=week-02", headers=AUTH).json()} >= {
        "validate",
        "drift",
    }
    alerts = client.get("/api/alerts", headers=AUTH).json()
    assert {a["rule"] for a in alerts} >= {
        "drift_detected",
        "quarantined_batch",
        "rollback",
        "failed_run",
    }

    summary = client.get("/api/summary", headers=AUTH).json()
    assert summary["batches"] == len(ids) and summary["by_status"]["quarantined"] == 1
    assert summary["latest_batch"]["batch_id"] == ids[-1]

    detail = client.get("/api/batches/week-10", headers=AUTH).json()
    assert detail["batch"]["batch_id"] == "week-10" and detail["decision"]["batch_id"] == "week-10"
    assert {e["kind"] for e in detail["model_events"]} >= {"rollback"}
    assert client.get("/api/batches/nope", headers=AUTH).status_code == 404


def test_openapi_documents_the_routes(client):
    doc = client.get("/api/openapi.json", headers=AUTH).json()
    for path in ("/api/batches", "/api/drift", "/api/performance", "/api/decisions", "/api/alerts"):
        assert path in doc["paths"]
    assert "DecisionOut" in doc["components"]["schemas"]


def test_chart_endpoints_return_svg(client):
    for path in ("/charts/heatmap.svg", "/charts/performance.svg", "/icon.svg"):
        r = client.get(path, headers=AUTH)
        assert (
            r.status_code == 200
            and r.headers["content-type"] == "image/svg+xml"
            and "<svg" in r.text
        )


def test_data_docs_are_served_from_the_batch_folder_only(tmp_path):
    docs = tmp_path / "docs" / "b1"
    (docs / "validations").mkdir(parents=True)
    (docs / "index.html").write_text("<h1>GX</h1>")
    (docs / "validations" / "v.html").write_text("<p>v</p>")
    (tmp_path / "secret.txt").write_text("no")
    store = MonitoringStore(f"sqlite:///{tmp_path / 'm.db'}")
    store.record_validation(
        "b1", {"passed": True, "n_rows": 1, "data_docs": str(docs / "index.html")}
    )
    store.record_validation(
        "b2", {"passed": True, "n_rows": 1, "data_docs": "s3://bucket/docs/index.html"}
    )
    c = TestClient(create_app(store, auth=fake_auth))
    assert c.get("/datadocs/b1/index.html", headers=AUTH).text == "<h1>GX</h1>"
    assert c.get("/datadocs/b1/validations/v.html", headers=AUTH).text == "<p>v</p>"
    assert c.get("/datadocs/b1/..%2F..%2Fsecret.txt", headers=AUTH).status_code == 404
    assert c.get("/datadocs/b1/../../secret.txt", headers=AUTH).status_code == 404
    assert c.get("/datadocs/b2/index.html", headers=AUTH).status_code == 404  # no S3 reader
    assert c.get("/datadocs/b1/index.html").status_code == 401
    from driftline.monitoring.web import _safe_file

    assert _safe_file(docs.resolve(), "../../secret.txt") is None
    assert _safe_file(docs.resolve(), "index.html") == (docs / "index.html").resolve()
    outside = TestClient(create_app(store, auth=fake_auth, docs_root=tmp_path / "elsewhere"))
    assert outside.get("/datadocs/b1/index.html", headers=AUTH).status_code == 404
    store.dispose()


def test_data_docs_in_object_storage_are_read_through_the_reader(tmp_path):
    objects = {
        "s3://reports/datadocs/b1/index.html": b"<h1>GX</h1>",
        "s3://reports/datadocs/b1/v/x.html": b"x",
    }
    asked = []

    def reader(uri: str) -> bytes:
        asked.append(uri)
        if uri.endswith("boom.html"):
            raise OSError("storage down")
        if uri not in objects:
            raise FileNotFoundError(uri)
        return objects[uri]

    store = MonitoringStore(f"sqlite:///{tmp_path / 'm.db'}")
    store.record_validation(
        "b1",
        {
            "passed": True,
            "data_docs": "/tmp/gone",
            "data_docs_uri": "s3://reports/datadocs/b1/index.html",
        },
    )
    c = TestClient(create_app(store, auth=fake_auth, docs_reader=reader))
    r = c.get("/datadocs/b1/index.html", headers=AUTH)
    assert r.text == "<h1>GX</h1>" and r.headers["content-type"].startswith("text/html")
    assert c.get("/datadocs/b1/v/x.html", headers=AUTH).content == b"x"
    assert c.get("/datadocs/b1/missing.html", headers=AUTH).status_code == 404
    assert c.get("/datadocs/b1/boom.html", headers=AUTH).status_code == 502
    before = len(asked)
    assert c.get("/datadocs/b1/..%2F..%2Fother%2Fsecret", headers=AUTH).status_code == 404
    assert len(asked) == before  # refused before reaching the storage
    store.dispose()


def test_an_empty_store_renders_an_empty_dashboard(tmp_path):
    store = MonitoringStore(f"sqlite:///{tmp_path / 'empty.db'}")
    c = TestClient(create_app(lambda: store, auth=fake_auth))
    html = c.get("/", headers=AUTH).text
    assert "No drift reports yet" in html and "No decision yet" in html
    assert c.get("/api/drift/latest", headers=AUTH).status_code == 404
    assert c.get("/api/summary", headers=AUTH).json()["batches"] == 0
    store.dispose()


def test_auth_dependency_may_have_its_own_dependencies(tmp_path):
    def token(request: Request) -> str | None:
        return request.headers.get("x-token")

    def auth(t: str | None = Depends(token)) -> str:
        if t != "ok":
            raise HTTPException(401)
        return "u"

    store = MonitoringStore("sqlite://")
    c = TestClient(create_app(store, auth=auth))
    assert c.get("/api/batches").status_code == 401
    assert c.get("/api/batches", headers={"x-token": "ok"}).json() == []
