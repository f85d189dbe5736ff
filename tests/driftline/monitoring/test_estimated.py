"""The estimated_performance records: store round trip with the realized value, the schema
upgrade from version 4, the alert rule, the chart and the view's routes."""

from __future__ import annotations

import sqlite3

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect

from driftline.errors import ConfigError
from driftline.monitoring import (
    LATEST_VERSION,
    MIGRATIONS,
    BatchFacts,
    EstimatedPerformanceDrop,
    Links,
    MonitoringStore,
    estimated_performance_svg,
    rules_from_env,
)
from driftline.monitoring import schema as s
from driftline.monitoring.web import create_app
from tests.driftline.monitoring.seed import seed_estimates, seed_store
from tests.driftline.monitoring.test_web import AUTH, fake_auth


def est(metric="accuracy", value=0.74, reference=0.85, **extra):
    return {"metric": metric, "value": value, "low": value - 0.03, "high": value + 0.03,
            "n": 400, "method": "cbpe", "reference_value": reference, "n_reference": 320,
            "confidence": 0.95, **extra}  # fmt: skip


@pytest.fixture
def store():
    st = MonitoringStore("sqlite://")
    yield st
    st.dispose()


def test_round_trip_and_the_realized_value_once_labels_arrive(store):
    assert store.record_estimated_performance("b1", "3", [est(), est("f1", 0.7)]) == 2
    rows = store.estimated_performance()
    assert [(r["metric"], r["value"], r["realized"]) for r in rows] == [
        ("accuracy", 0.74, None),
        ("f1", 0.7, None),
    ]
    r = rows[0]
    assert (r["low"], r["high"], r["n_rows"], r["method"], r["reference_value"]) == (
        pytest.approx(0.71),
        pytest.approx(0.77),
        400,
        "cbpe",
        0.85,
    )
    assert store.batch("b1")["status"] == "received" and r["received_at"] is not None
    # labels arrive: the champion's performance row of the same version pairs with it
    store.record_performance("b1", "3", {"accuracy": 0.72}, n_labels=400)
    store.record_performance("b1", "4", {"accuracy": 0.99}, role="challenger")
    acc = store.estimated_performance(metric="accuracy")
    assert [(r["realized"], r["n_labels"]) for r in acc] == [(0.72, 400)]
    # a retry overwrites; non-finite estimates are skipped
    assert store.record_estimated_performance("b1", "3", {"accuracy": est(value=0.75)}) == 1
    assert store.record_estimated_performance("b1", "3", [est(value=float("nan"))]) == 0
    assert store.estimated_performance(metric="accuracy")[0]["value"] == 0.75
    assert len(store.estimated_performance()) == 2


def test_filters_and_last(store):
    for i in range(5):
        store.record_estimated_performance(f"b{i}", "1", [est(value=0.7 + i / 100)])
    assert [r["batch_id"] for r in store.estimated_performance(last=2)] == ["b3", "b4"]
    assert store.estimated_performance(batch_id="b2")[0]["value"] == pytest.approx(0.72)
    assert store.estimated_performance(model_version="9") == []


def test_bad_records_are_refused(store):
    with pytest.raises(ConfigError):
        store.record_estimated_performance("", "1", [est()])
    with pytest.raises(ConfigError):
        store.record_estimated_performance("b1", "1", [{"value": 0.5}])  # no metric
    with pytest.raises(ConfigError):
        store.record_estimated_performance("b1", "1", [object()])


def test_a_version_4_database_gets_the_table_and_keeps_its_data(tmp_path):
    path = tmp_path / "v4.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        s.schema_version.create(conn)
        for step in MIGRATIONS[:4]:
            step.apply(conn)
            conn.execute(s.schema_version.insert().values(
                version=step.version, description=step.description,
                applied_at=__import__("datetime").datetime(2026, 1, 1)))  # fmt: skip
    engine.dispose()
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO batch (batch_id, received_at, updated_at, status) VALUES "
            "('old', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 'processed')"
        )
    assert (
        "estimated_performance" not in inspect(create_engine(f"sqlite:///{path}")).get_table_names()
    )
    st = MonitoringStore(f"sqlite:///{path}")
    assert st.schema_version() == LATEST_VERSION == 5
    assert st.batch("old")["status"] == "processed"
    st.record_estimated_performance("old", "1", [est()])
    assert st.estimated_performance()[0]["batch_id"] == "old"
    st.dispose()


def facts(*rows):
    return BatchFacts("b1", batch={"status": "processed"}, estimated=tuple(rows))


def test_alert_below_the_floor_and_on_a_configured_drop():
    below = {**est(value=0.64), "model_version": "3", "realized": None}
    dropped = {**est(value=0.78), "model_version": "3", "realized": None}
    rule = EstimatedPerformanceDrop("accuracy", 0.7)
    alert = rule.evaluate(facts(below))
    assert alert.rule == "estimated_accuracy_drop" and alert.severity == "warning"
    assert "estimated accuracy of champion v3 0.64" in alert.message
    assert "below the floor 0.7" in alert.message and "no labels yet" in alert.message
    assert rule.evaluate(facts(dropped)) is None  # above the floor, drop rule off
    relative = EstimatedPerformanceDrop("accuracy", 0.7, relative_drop=0.05)
    assert "8.2 % worse than its hold-out 0.85" in relative.evaluate(facts(dropped)).message
    assert relative.evaluate(facts({**dropped, "value": 0.83})) is None
    # once the labels arrived, the realized value speaks (PerformanceBelowFloor)
    assert rule.evaluate(facts({**below, "realized": 0.66})) is None
    mae = EstimatedPerformanceDrop("mae", 2.0, higher_is_better=False)
    assert (
        "above the ceiling"
        in mae.evaluate(facts({**est("mae", 2.5, 1.0), "realized": None})).message
    )


def test_rules_from_env_turn_the_drop_alert_on_with_the_action():
    def rule(env):
        return next(r for r in rules_from_env(env) if isinstance(r, EstimatedPerformanceDrop))

    assert rule({}).relative_drop is None
    on = rule({"DRIFTLINE_ESTIMATED_DROP_ACTION": "alert", "DRIFTLINE_ESTIMATED_DROP_FLOOR": "0.1"})
    assert on.relative_drop == 0.1 and on.metric == "accuracy"


def test_chart_shows_estimate_band_realized_holdout_and_floor():
    rows = [{**est(value=0.74 + i / 100), "batch_id": f"b{i}", "realized": None}
            for i in range(3)]  # fmt: skip
    real = [{"batch_id": "b0", "metric": "accuracy", "value": 0.72},
            {"batch_id": "z9", "metric": "accuracy", "value": 0.86}]  # fmt: skip
    svg = estimated_performance_svg(rows, real, floor=0.7, floor_metric="accuracy")
    assert svg.startswith("<svg") and 'class="chart"' in svg
    for text in ("estimated accuracy (CBPE, no labels)", "realized accuracy (labels)",
                 "champion's hold-out", "alert floor (accuracy 0.7)", "b2", "z9"):  # fmt: skip
        assert text in svg, text
    assert "alert floor" not in estimated_performance_svg(rows, real, 2.0, "mae")
    assert "No batch without labels yet" in estimated_performance_svg([], real)
    assert "estimated f1" in estimated_performance_svg([*rows, {**rows[0], "metric": "f1"}],
                                                       metric="f1")  # fmt: skip


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    st = MonitoringStore(f"sqlite:///{tmp_path_factory.mktemp('est') / 'm.db'}")
    ids = seed_store(st)
    seed_estimates(st, ids[-5:])
    app = create_app(st, auth=fake_auth, links=Links("", "http://ml", "driftline"),
                     floor=("accuracy", 0.7))  # fmt: skip
    yield TestClient(app), ids
    st.dispose()


def test_dashboard_has_the_estimated_vs_realized_chart(client):
    c, ids = client
    page = c.get("/", headers=AUTH).text
    section = page[page.index('<section id="estimated">') :]
    section = section[: section.index("</section>")]
    assert "Estimated vs realized performance" in section and "<svg" in section
    assert "estimated accuracy" in section and "realized accuracy" in section
    assert "alert floor (accuracy 0.7)" in section and ids[-1] in section
    svg = c.get("/charts/estimated.svg", headers=AUTH)
    assert svg.headers["content-type"].startswith("image/svg+xml") and ids[-2] in svg.text
    assert c.get("/charts/estimated.svg").status_code == 401


def test_api_serves_estimates_with_their_realized_values(client):
    c, ids = client
    rows = c.get("/api/estimated-performance", params={"metric": "accuracy"}, headers=AUTH).json()
    assert [r["batch_id"] for r in rows] == [b for b in ids[-5:] if b != "week-04"]
    assert all(r["realized"] is not None and abs(r["value"] - r["realized"]) < 0.06 for r in rows)
    detail = c.get(f"/api/batches/{ids[-1]}", headers=AUTH).json()
    assert {r["metric"] for r in detail["estimated_performance"]} == {"accuracy", "f1"}
    spec = c.get("/api/openapi.json", headers=AUTH).json()
    assert "/api/estimated-performance" in spec["paths"]
