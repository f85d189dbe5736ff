"""DriftReport: JSON round trips and the fields the training policy reads."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from driftline.drift.base import DriftResult
from driftline.drift.decision import DatasetDrift
from driftline.drift.profile import ReferenceProfile
from driftline.drift.report import ColumnDrift, DriftReport
from driftline.drift.windows import WindowedDrift
from driftline.errors import DataError


@pytest.fixture(scope="module")
def report() -> DriftReport:
    rng = np.random.default_rng(21)
    n = 4000
    ref = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "z": rng.normal(size=n),
            "c": rng.choice(list("abc"), n),
            "y": rng.choice([0, 1], n),
        }
    )
    cur = pd.DataFrame(
        {
            "x": rng.normal(0.8, 1, n),
            "z": rng.normal(size=n),
            "c": rng.choice(list("abd"), n),
            "y": rng.choice([0, 1], n, p=[0.3, 0.7]),
        }
    )
    concept = DriftResult(
        method="performance_drop",
        column=None,
        statistic=0.1,
        p_value=None,
        effect_size=0.1,
        effect_size_name="metric_drop",
        threshold=0.02,
        alpha=0.05,
        is_drift=True,
        reference="test",
        n_reference=10,
        n_current=10,
        details={"metric": "auc"},
        kind="concept",
    )
    prof = ReferenceProfile.from_frame(ref, target="y")
    reports = WindowedDrift(n_previous=1).run(prof, [("b0", ref), ("b1", cur)])
    r = DatasetDrift().check(prof, cur, batch_id="b1", extra_results=[concept])
    return DriftReport(**{**r.__dict__, "windows": reports[1].windows})


def test_policy_fields(report: DriftReport) -> None:
    assert report.is_drift
    assert report.kinds == ("covariate", "label", "concept")
    assert report.severity == "severe"
    effects = [c.effect_size for c in report.columns]
    assert effects == sorted(effects, reverse=True)
    assert set(report.drifted_columns) == {"x", "c", "y"}
    assert report.max_effect == max(c.effect_size for c in report.columns if c.drifted)
    assert [c.rank for c in report.columns] == list(range(1, len(report.columns) + 1))


def test_round_trip_through_json(report: DriftReport) -> None:
    text = report.to_json()
    again = DriftReport.from_dict(json.loads(text))
    assert again == report
    assert DriftReport.from_json(report.to_json(indent=2)) == report
    assert again.drifted_columns == report.drifted_columns
    assert json.loads(text)["drifted_columns"] == report.drifted_columns


def test_column_entry_round_trip(report: DriftReport) -> None:
    for c in report.columns:
        assert ColumnDrift.from_dict(c.to_dict()) == c
        assert c.results and c.effects[c.effect_size_name] == pytest.approx(c.effect_size)


def test_summary_names_kinds_and_columns(report: DriftReport) -> None:
    line = report.summary()
    assert "\n" not in line and line.startswith("batch b1: DRIFT")
    for name in [*report.drifted_columns, "covariate", "label", "concept", "performance_drop"]:
        assert name in line


def test_lookup_and_errors(report: DriftReport) -> None:
    assert report.column("x").column == "x"
    with pytest.raises(KeyError):
        report.column("nope")
    d = report.to_dict()
    with pytest.raises(DataError, match="schema version"):
        DriftReport.from_dict({**d, "schema_version": 99})
    broken = dict(d)
    del broken["is_drift"]
    with pytest.raises(DataError, match="malformed"):
        DriftReport.from_dict(broken)
