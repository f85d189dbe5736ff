"""render_html: a self-contained page with the decision, plots and the column table."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from driftline.drift.decision import DatasetDrift
from driftline.drift.html import render_html
from driftline.drift.profile import ReferenceProfile


@pytest.fixture(scope="module")
def case():
    rng = np.random.default_rng(41)
    n = 3000
    ref = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "<b>odd</b>": rng.lognormal(size=n),
            "c": rng.choice(list("abc"), n, p=[0.6, 0.3, 0.1]),
            "y": rng.choice([0, 1], n),
        }
    )
    cur = pd.DataFrame(
        {
            "x": rng.normal(0.7, 1, n),
            "<b>odd</b>": rng.lognormal(0.5, 1, n),
            "c": rng.choice(list("abd"), n, p=[0.3, 0.3, 0.4]),
            "y": rng.choice([0, 1], n),
        }
    )
    prof = ReferenceProfile.from_frame(ref, target="y")
    return prof, cur, DatasetDrift().check(prof, cur, batch_id="2025-06")


def test_page_is_self_contained_and_names_drifted_columns(case, artifacts_dir) -> None:
    prof, cur, report = case
    page = render_html(report, prof, cur)
    (artifacts_dir / "drift_report.html").write_text(page, encoding="utf-8")
    assert report.is_drift and len(report.drifted_columns) >= 3
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:)""", page)
    assert page.count('src="data:image/png;base64,') >= 1 + len(report.drifted_columns)
    for col in report.drifted_columns:
        assert f"<h3>{col.replace('<', '&lt;').replace('>', '&gt;')} (drifted)" in page
    assert "<b>odd</b>" not in page and "&lt;b&gt;odd&lt;/b&gt;" in page
    assert page.count("<tr class=") == len(report.columns)
    for word in ("DRIFT", report.severity, *report.kinds):
        assert word in page


def test_page_without_distributions(case) -> None:
    _, _, report = case
    page = render_html(report)
    assert page.count("data:image/png;base64,") == 1  # only the effect-size chart
    assert "Distributions" not in page


def test_current_may_be_a_profile(case) -> None:
    prof, cur, report = case
    page = render_html(report, prof, ReferenceProfile.from_frame(cur, like=prof), top_k=1)
    assert page.count("data:image/png;base64,") >= 1 + len(report.drifted_columns)
