"""Live-traffic samples and iteration labels in the monitoring store (schema version 3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from driftline.errors import ConfigError
from driftline.monitoring import ITERATIONS, MonitoringStore

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def sample(store, uri, version="3", minutes=0, rows=10):
    store.record_live_traffic(
        version,
        uri=uri,
        rows_seen=rows * 10,
        rows_sampled=rows,
        requests=2,
        started_at=T0 + timedelta(minutes=minutes),
        ended_at=T0 + timedelta(minutes=minutes + 1),
        stats={"kind": "classes", "n": rows, "missing": 0, "classes": {"0": 0.5, "1": 0.5}},
    )


def test_live_samples_are_idempotent_per_uri_and_ordered():
    store = MonitoringStore("sqlite://")
    sample(store, "s3://r/live/m/a.parquet", minutes=5)
    sample(store, "s3://r/live/m/b.parquet", version="4", minutes=1)
    sample(store, "s3://r/live/m/a.parquet", minutes=5, rows=20)  # a retried write
    rows = store.live_traffic()
    assert [r["uri"] for r in rows] == ["s3://r/live/m/b.parquet", "s3://r/live/m/a.parquet"]
    assert rows[1]["rows_sampled"] == 20 and rows[1]["rows_seen"] == 200
    assert [r["model_version"] for r in store.live_traffic(model_version="4")] == ["4"]
    assert [r["uri"] for r in store.live_traffic(last=1)] == ["s3://r/live/m/a.parquet"]
    assert store.batches() == []  # live traffic is not a batch


@pytest.mark.parametrize("field", ["rows_seen", "rows_sampled", "requests"])
def test_counts_must_be_non_negative_integers(field):
    store = MonitoringStore("sqlite://")
    kwargs = {"rows_seen": 1, "rows_sampled": 1, "requests": 1, field: -1}
    with pytest.raises(ConfigError, match=field):
        store.record_live_traffic("1", uri="u", started_at=T0, ended_at=T0, **kwargs)


def test_model_events_carry_their_iteration():
    store = MonitoringStore("sqlite://")
    store.record_model_event("full_retrain", "2", batch_id="b1", iteration="model")
    store.record_model_event("fine_tune", "3", batch_id="b2", iteration="data")
    store.record_model_event("promotion", "2", batch_id="b1")
    assert [e["iteration"] for e in store.model_events()] == ["model", "data", None]
    assert ITERATIONS == ("data", "model")
    with pytest.raises(ConfigError, match="iteration"):
        store.record_model_event("full_retrain", "4", iteration="hyper")
