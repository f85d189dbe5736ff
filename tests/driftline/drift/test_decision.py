"""DatasetDrift: per-column tests, correction, effect floors, kinds, severity, inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from driftline.drift.base import DriftResult
from driftline.drift.correction import benjamini_hochberg, holm
from driftline.drift.counting import Binner
from driftline.drift.decision import SEVERE_THRESHOLDS, DatasetDrift, adjust_pvalues
from driftline.drift.profile import ReferenceProfile
from driftline.drift.statistics import ks_p_value
from driftline.errors import ConfigError, DataError

LEVELS = list("abcde")
PROBS = np.array([0.35, 0.25, 0.2, 0.12, 0.08])


def make(
    n: int,
    rng: np.random.Generator,
    *,
    x_shift: float = 0.0,
    probs: np.ndarray = PROBS,
    prior: float = 0.3,
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": rng.normal(x_shift, 1, n),
            "w": rng.lognormal(0, 1, n),
            "c": rng.choice(LEVELS, n, p=probs),
            "y": (rng.random(n) < prior).astype(int),
        }
    )


@pytest.fixture(scope="module")
def reference() -> tuple[pd.DataFrame, ReferenceProfile]:
    df = make(20_000, np.random.default_rng(11))
    return df, ReferenceProfile.from_frame(df, target="y")


def test_same_distribution_is_not_drift(reference) -> None:
    _, prof = reference
    r = DatasetDrift().check(prof, make(5000, np.random.default_rng(1)), batch_id="b")
    assert (r.is_drift, r.kinds, r.severity, r.max_effect) == (False, (), "none", 0.0)
    assert r.drifted_columns == []
    assert {c.column for c in r.columns} == {"x", "w", "c", "y"}
    assert sorted(c.rank for c in r.columns) == [1, 2, 3, 4]
    assert r.n_reference == 20_000 and r.n_current == 5000 and r.batch_id == "b"


def test_numeric_shift_is_covariate_drift_ranked_first(reference) -> None:
    _, prof = reference
    r = DatasetDrift().check(prof, make(5000, np.random.default_rng(2), x_shift=0.3))
    assert r.is_drift and r.kinds == ("covariate",)
    assert r.drifted_columns == ["x"]
    x = r.column("x")
    assert x.rank == 1 and x.role == "numeric" and x.effect_size_name == "ks_d"
    assert x.severity == "moderate" and r.severity == "moderate"
    assert r.max_effect == pytest.approx(x.effect_size)
    assert {res.method for res in x.results} == {"kolmogorov_smirnov", "psi", "wasserstein"}
    assert x.effects["wasserstein_sd"] == pytest.approx(0.3, abs=0.05)


def test_large_shift_is_severe(reference) -> None:
    _, prof = reference
    r = DatasetDrift().check(prof, make(5000, np.random.default_rng(3), x_shift=1.0))
    assert r.severity == "severe" and r.column("x").severity == "severe"
    assert r.column("x").effect_size >= SEVERE_THRESHOLDS["numeric"]
    custom = DatasetDrift(severe_thresholds={"numeric": 0.9})
    assert custom.check(prof, make(5000, np.random.default_rng(3), x_shift=1.0)).severity == (
        "moderate"
    )


def test_categorical_shift_and_unseen_vanished_levels(reference) -> None:
    _, prof = reference
    cur = make(5000, np.random.default_rng(4), probs=np.array([0.2, 0.25, 0.2, 0.27, 0.08]))
    cur.loc[:99, "c"] = "new"
    cur.loc[cur["c"] == "e", "c"] = "d"
    r = DatasetDrift().check(prof, cur)
    assert r.drifted_columns == ["c"] and r.kinds == ("covariate",)
    c = r.column("c")
    assert c.effect_size_name == "js_distance"
    assert {res.method for res in c.results} == {"chi_square", "jensen_shannon", "categorical_psi"}
    assert r.unseen_categories == {"c": ("new",)}
    assert r.vanished_categories == {"c": ("e",)}
    assert any("unseen" in n for n in r.notes)


def test_label_shift(reference) -> None:
    df, prof = reference
    r = DatasetDrift().check(prof, make(5000, np.random.default_rng(5), prior=0.45))
    assert r.kinds == ("label",) and r.drifted_columns == ["y"]
    y = r.column("y")
    assert y.role == "target" and y.effect_size_name == "total_variation"
    assert y.effect_size == pytest.approx(0.15, abs=0.03)


def test_target_as_array_and_missing_target(reference) -> None:
    _, prof = reference
    cur = make(5000, np.random.default_rng(6), prior=0.45)
    labels = cur.pop("y").to_numpy()
    r = DatasetDrift().check(prof, cur)
    assert "y" not in [c.column for c in r.columns]
    assert any("no target" in n for n in r.notes)
    r2 = DatasetDrift().check(prof, cur, target=labels)
    assert r2.drifted_columns == ["y"]


def test_concept_drift_comes_from_extra_results(reference) -> None:
    _, prof = reference
    cur = make(5000, np.random.default_rng(7))
    drop = DriftResult(
        method="performance_drop",
        column=None,
        statistic=0.08,
        p_value=0.001,
        effect_size=0.08,
        effect_size_name="metric_drop",
        threshold=0.02,
        alpha=0.05,
        is_drift=True,
        reference="test",
        n_reference=100,
        n_current=100,
        kind="concept",
    )
    r = DatasetDrift().check(prof, cur, extra_results=[drop])
    assert r.is_drift and r.kinds == ("concept",) and r.drifted_columns == []
    assert r.max_effect == pytest.approx(0.08) and r.severity == "moderate"
    assert r.extra_results == (drop,)
    quiet = DriftResult(**{**drop.to_dict(), "is_drift": False})
    assert not DatasetDrift().check(prof, cur, extra_results=[quiet]).is_drift


def test_floor_blocks_significant_but_small_effects(reference) -> None:
    _, prof = reference
    cur = make(5000, np.random.default_rng(8), x_shift=0.3)
    r = DatasetDrift(numeric_floor=0.5).check(prof, cur)
    x = r.column("x")
    assert x.p_value_corrected < 0.05 and not x.drifted and not r.is_drift
    assert x.floor == 0.5


@pytest.mark.parametrize(("name", "fn"), [("holm", holm), ("bh", benjamini_hochberg)])
def test_corrected_p_values_use_the_chosen_method(reference, name, fn) -> None:
    _, prof = reference
    r = DatasetDrift(correction=name).check(
        prof, make(3000, np.random.default_rng(9), x_shift=0.05)
    )
    raw = [c.p_value for c in r.columns]
    np.testing.assert_allclose([c.p_value_corrected for c in r.columns], fn(raw))
    np.testing.assert_allclose(adjust_pvalues(raw, name), fn(raw))


@pytest.mark.parametrize(
    ("n", "m", "how", "rel"),
    [
        (300, 200, "exact", 1e-12),  # exact regime: scipy's ks_2samp(method="auto")
        (5000, 5000, "exact", 1e-12),
        (20_000, 600, "asymptotic", 1e-12),  # kstwo at en <= KSTWO_MAX_EN: scipy's "asymp"
        (20_000, 3000, "asymptotic", 0.02),  # Stephens' form above
    ],
)
def test_ks_p_value_matches_scipy(n: int, m: int, how: str, rel: float) -> None:
    rng = np.random.default_rng(10)
    a, b = rng.normal(size=n), rng.normal(0.06, 1, m)
    res = stats.ks_2samp(a, b, method="auto")
    p, p_method = ks_p_value(res.statistic, n, m)
    assert p_method == how
    assert p == pytest.approx(res.pvalue, rel=rel, abs=1e-300)


def test_categorical_statistics_match_scipy() -> None:
    rng = np.random.default_rng(12)
    ref = pd.DataFrame({"c": rng.choice(LEVELS, 4000, p=PROBS)})
    cur = pd.DataFrame({"c": rng.choice(LEVELS, 3000, p=[0.3, 0.3, 0.2, 0.1, 0.1])})
    r = DatasetDrift().check(ReferenceProfile.from_frame(ref), cur).column("c")
    table = np.array([[(ref.c == k).sum() for k in LEVELS], [(cur.c == k).sum() for k in LEVELS]])
    chi = stats.chi2_contingency(table, correction=False)
    main = next(x for x in r.results if x.method == "chi_square")
    assert main.statistic == pytest.approx(chi.statistic)
    assert r.p_value == pytest.approx(chi.pvalue)
    assert main.effect_size == pytest.approx(np.sqrt(chi.statistic / table.sum()))
    p, q = table[0] / table[0].sum(), table[1] / table[1].sum()
    assert r.effect_size == pytest.approx(jensenshannon(p, q, base=2))


def test_wasserstein_matches_scipy() -> None:
    rng = np.random.default_rng(13)
    a, b = rng.normal(size=20_000), rng.normal(0.4, 1.3, 8000)
    r = DatasetDrift().check(
        ReferenceProfile.from_frame(pd.DataFrame({"x": a})), pd.DataFrame({"x": b})
    )
    exact = stats.wasserstein_distance(a, b) / a.std()
    assert r.column("x").effects["wasserstein_sd"] == pytest.approx(exact, rel=0.02)


@pytest.mark.parametrize(("row_group", "chunk_rows"), [(None, 1234), (1000, 2500), (700, 10**6)])
def test_check_parquet_in_chunks_equals_check(tmp_path, reference, row_group, chunk_rows) -> None:
    _, prof = reference
    cur = make(10_000, np.random.default_rng(14), x_shift=0.1)
    cur.loc[::50, "x"] = np.nan
    path = tmp_path / "cur.parquet"
    table = pa.Table.from_pandas(cur, preserve_index=False)
    pq.write_table(table, path, row_group_size=row_group)
    a = DatasetDrift().check(prof, cur)
    b = DatasetDrift().check_parquet(prof, path, chunk_rows=chunk_rows)
    assert a.n_current == b.n_current == 10_000
    for ca in a.columns:
        cb = b.column(ca.column)
        assert cb.effects == pytest.approx(ca.effects, rel=1e-9, abs=1e-12)
        assert cb.p_value == pytest.approx(ca.p_value, rel=1e-9, abs=1e-300)
    with pytest.raises(DataError, match="parquet"):
        DatasetDrift().check_parquet(prof, tmp_path / "missing.parquet")


def test_compare_profiles_agrees_with_check(reference) -> None:
    _, prof = reference
    cur = make(8000, np.random.default_rng(15), x_shift=0.2)
    a = DatasetDrift().check(prof, cur)
    b = DatasetDrift().compare(prof, ReferenceProfile.from_frame(cur, like=prof))
    assert a.drifted_columns == b.drifted_columns
    for ca in a.columns:
        assert b.column(ca.column).effect_size == pytest.approx(ca.effect_size, abs=0.01)


def test_prediction_drift_is_covariate() -> None:
    rng = np.random.default_rng(16)
    df = pd.DataFrame({"x": rng.normal(size=5000)})
    prof = ReferenceProfile.from_frame(df, predictions=rng.beta(2, 5, 5000))
    r = DatasetDrift().check(prof, df.iloc[:3000], predictions=rng.beta(3, 4, 3000))
    p = r.column("__predictions__")
    assert p.role == "prediction" and p.drifted and r.kinds == ("covariate",)


def test_missing_columns_and_nulls_are_reported(reference) -> None:
    _, prof = reference
    cur = make(3000, np.random.default_rng(17)).drop(columns=["w"])
    cur.loc[:999, "x"] = np.nan
    r = DatasetDrift().check(prof, cur)
    assert "w" not in [c.column for c in r.columns]
    assert any("missing" in n and "w" in n for n in r.notes)
    ks = next(x for x in r.column("x").results if x.method == "kolmogorov_smirnov")
    assert ks.n_current == 2000
    assert ks.details["current_null_fraction"] == pytest.approx(1 / 3)


def test_pyarrow_input(reference) -> None:
    _, prof = reference
    cur = make(3000, np.random.default_rng(18), x_shift=0.4)
    r = DatasetDrift().check(prof, pa.Table.from_pandas(cur, preserve_index=False))
    assert r.drifted_columns == ["x"]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"alpha": 1.5}, ConfigError),
        ({"correction": "bonferroni"}, ConfigError),
        ({"numeric_floor": -0.1}, ConfigError),
        ({"psi_bins": 1}, ConfigError),
    ],
)
def test_invalid_parameters_raise(reference, kwargs, error) -> None:
    _, prof = reference
    with pytest.raises(error):
        DatasetDrift(**kwargs).check(prof, make(100, np.random.default_rng(0)))


def test_not_a_profile_raises() -> None:
    with pytest.raises(DataError, match="ReferenceProfile"):
        DatasetDrift().check({"x": 1}, pd.DataFrame({"x": [1.0]}))


@pytest.mark.parametrize(
    "values",
    [
        lambda rng: rng.normal(size=50_000),
        lambda rng: rng.lognormal(0, 2, 50_000),
        lambda rng: rng.standard_cauchy(50_000),
        lambda rng: np.round(rng.normal(0, 3, 50_000)),
        lambda rng: rng.normal(1e6, 1, 50_000),
        lambda rng: np.concatenate([rng.normal(0, 1e-9, 25_000), rng.normal(1e9, 1, 25_000)]),
    ],
)
def test_binner_equals_searchsorted(values) -> None:
    rng = np.random.default_rng(19)
    x = values(rng)
    grid = np.unique(np.quantile(x, np.linspace(0, 1, 2001), method="inverted_cdf"))
    probe = np.concatenate(
        [x, rng.choice(grid, 5000), grid, [-0.0, 0.0, grid[0] - 1, grid[-1] + 1, grid[0], grid[-1]]]
    )
    np.testing.assert_array_equal(Binner(grid).index(probe), np.searchsorted(grid, probe, "left"))


def test_rows_without_a_label_are_left_out_of_the_label_test():
    """A partly labelled batch: the unlabelled rows are not a level of the label."""
    import numpy as np
    import pandas as pd

    from driftline.drift import DatasetDrift, ReferenceProfile

    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"x": rng.normal(size=3000), "y": rng.integers(0, 2, 3000)})
    cur = pd.DataFrame({"x": rng.normal(size=3000), "y": rng.integers(0, 2, 3000).astype(float)})
    cur.loc[cur.index[:2400], "y"] = np.nan  # 20 % labelled, arriving as floats
    report = DatasetDrift().check(ReferenceProfile.from_frame(ref, target="y"), cur, target="y")
    label = next(c for c in report.columns if c.role == "target")
    assert not label.drifted and "label" not in report.kinds
    assert report.columns and not report.is_drift
