"""Server-side SVG charts: the data shows up as cells, labels and markers."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import numpy as np

from driftline.monitoring import drift_heatmap_svg, performance_svg
from driftline.monitoring.charts import EVENT_STYLE

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return ["".join(t.itertext()).strip() for t in root.iter("{http://www.w3.org/2000/svg}text")]


def _rows(rng, n_batches=6, columns=("a", "b", "c")):
    rows = []
    for j in range(n_batches):
        for c in columns:
            e = float(rng.uniform(0, 0.6))
            rows.append({"batch_id": f"b{j}", "column": c, "effect_size": e, "drifted": e > 0.3})
    return rows


def test_heatmap_labels_every_batch_column_and_cell():
    rows = _rows(np.random.default_rng(0))
    svg = drift_heatmap_svg(rows)
    texts = _texts(svg)  # valid XML, text kept as text
    for r in rows:
        assert r["batch_id"] in texts and r["column"] in texts
        label = f"{r['effect_size']:.2f}" + ("*" if r["drifted"] else "")
        assert label in texts
    assert svg.startswith('<svg class="chart"')
    # self-contained: nothing but XML namespaces names a URL
    assert "http" not in re.sub(r'xmlns(:\w+)?="[^"]*"', "", svg)


def test_heatmap_puts_the_most_drifted_column_on_top():
    rows = [
        {"batch_id": "b0", "column": "calm", "effect_size": 0.01, "drifted": False},
        {"batch_id": "b0", "column": "wild", "effect_size": 0.5, "drifted": True},
    ]
    texts = _texts(drift_heatmap_svg(rows))
    # y tick labels are written top to bottom
    assert texts.index("wild") < texts.index("calm")


def test_heatmap_tolerates_missing_cells_and_effects():
    rows = [
        {"batch_id": "b0", "column": "a", "effect_size": 0.2, "drifted": False},
        {"batch_id": "b1", "column": "b", "effect_size": None, "drifted": False},
    ]
    texts = _texts(drift_heatmap_svg(rows))
    assert "0.20" in texts and "b1" in texts


def test_performance_shows_metrics_events_and_floor():
    perf, events = [], []
    for i in range(5):
        when = T0 + timedelta(days=i)
        for m, v in (("accuracy", 0.8 - i / 50), ("f1", 0.7)):
            perf.append(
                {
                    "batch_id": f"b{i}",
                    "metric": m,
                    "value": v,
                    "model_version": "1",
                    "received_at": when,
                }
            )
    for kind, i in (
        ("fine_tune", 1),
        ("full_retrain", 2),
        ("promotion", 2),
        ("rollback", 3),
        ("refused", 4),
    ):
        events.append(
            {
                "kind": kind,
                "batch_id": f"b{i}",
                "model_version": str(i),
                "received_at": T0 + timedelta(days=i),
                "at": T0,
            }
        )
    texts = _texts(performance_svg(perf, events, floor=0.7, floor_metric="accuracy"))
    for label in ("accuracy", "f1", "alert floor (accuracy 0.7)", "v2", "v3"):
        assert label in texts
    for _, _, _, label in EVENT_STYLE.values():
        assert label in texts


def test_events_without_a_batch_are_placed_by_time():
    perf = [
        {
            "batch_id": f"b{i}",
            "metric": "accuracy",
            "value": 0.8,
            "model_version": "1",
            "received_at": T0 + timedelta(days=i),
        }
        for i in range(3)
    ]
    event = {
        "kind": "promotion",
        "batch_id": None,
        "model_version": "9",
        "received_at": None,
        "at": T0 + timedelta(days=1, hours=1),
    }
    assert "v9" in _texts(performance_svg(perf, [event]))


def test_empty_charts_say_why():
    assert "No drift reports yet" in _texts(drift_heatmap_svg([]))
    assert any("No labelled batches yet" in t for t in _texts(performance_svg([], [])))
