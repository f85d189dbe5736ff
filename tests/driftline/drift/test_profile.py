"""ReferenceProfile: roles, summaries, sketch accuracy, merging, JSON round trips."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy import stats

from driftline.drift.decision import DatasetDrift
from driftline.drift.profile import SCHEMA_VERSION, ReferenceProfile
from driftline.drift.sketches import CategoricalSummary, NumericSummary
from driftline.drift.statistics import psi
from driftline.errors import ConfigError, DataError

LEVELS = 2000


def _mixture(rng: np.random.Generator, n: int, shift: float) -> np.ndarray:
    first = rng.random(n) < 0.3
    return np.where(first, rng.normal(0, 0.1, n), rng.normal(5, 2, n)) + shift


GENERATORS = {
    "normal": lambda rng, n, s: rng.normal(s, 1, n),
    "lognormal": lambda rng, n, s: rng.lognormal(0, 1.5, n) + s,
    "mixture": _mixture,
    "rounded_ties": lambda rng, n, s: np.round(rng.normal(10 * s, 3, n)),
    "few_values": lambda rng, n, s: rng.poisson(2 + 5 * s, n).astype(float),
    "cauchy": lambda rng, n, s: rng.standard_cauchy(n) + s,
}


def exact_psi(reference: np.ndarray, current: np.ndarray, bins: int = 10) -> float:
    """PSI on the raw reference's inverted-CDF deciles (the value the sketch approximates)."""
    ref = np.sort(reference)
    edges = np.unique(np.quantile(ref, np.arange(1, bins) / bins, method="inverted_cdf"))
    cur = np.sort(current)
    fr = np.concatenate(([0], np.searchsorted(ref, edges, "right") / ref.size, [1]))
    fc = np.concatenate(([0], np.searchsorted(cur, edges, "right") / cur.size, [1]))
    return psi(np.diff(fr), np.diff(fc))


def ecdf(sample: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.sort(sample), x, "right") / sample.size


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 3000
    x = rng.normal(2, 3, n)
    x[:40] = np.nan
    return pd.DataFrame(
        {
            "x": x,
            "k": rng.integers(0, 5, n),
            "c": pd.Series(rng.choice(["a", "b", "c", None], n, p=[0.5, 0.3, 0.15, 0.05])),
            "flag": rng.random(n) < 0.2,
            "ts": pd.date_range("2025-01-01", periods=n, freq="min"),
            "y": rng.choice([0, 1], n, p=[0.7, 0.3]),
        }
    )


# -- building -------------------------------------------------------------------------------


def test_roles_are_inferred_from_types(frame: pd.DataFrame) -> None:
    p = ReferenceProfile.from_frame(frame, target="y", timestamp="ts")
    assert p.roles == {
        "x": "numeric",
        "k": "numeric",
        "c": "categorical",
        "flag": "categorical",
        "y": "target",
        "ts": "timestamp",
    }
    assert p.features == ["x", "k", "c", "flag"]
    assert p.time_range is not None and p.time_range.min.startswith("2025-01-01T00:00")


def test_explicit_roles_and_exclude(frame: pd.DataFrame) -> None:
    p = ReferenceProfile.from_frame(frame, numeric=["x"], categorical=["k"], exclude=["flag"])
    assert p.roles == {"x": "numeric", "k": "categorical"}
    assert set(p.categorical["k"].counts) == {"0", "1", "2", "3", "4"}
    assert "c" in p.ignored and "flag" not in p.ignored


def test_numeric_summary_matches_numpy(frame: pd.DataFrame) -> None:
    s = ReferenceProfile.from_frame(frame).numeric["x"]
    x = frame["x"].dropna().to_numpy()
    assert (s.n, s.nulls) == (x.size, 40)
    assert s.mean == pytest.approx(x.mean(), rel=1e-12)
    assert s.std == pytest.approx(x.std(), rel=1e-12)
    assert (s.min, s.max) == (x.min(), x.max())


def test_category_and_label_counts(frame: pd.DataFrame) -> None:
    p = ReferenceProfile.from_frame(frame, target="y")
    c = p.categorical["c"]
    expected = frame["c"].value_counts().to_dict()
    assert dict(c.counts) == expected
    assert c.nulls == int(frame["c"].isna().sum())
    assert isinstance(p.label, CategoricalSummary)
    assert dict(p.label.counts) == {str(k): v for k, v in frame["y"].value_counts().items()}
    assert dict(p.categorical["flag"].counts) == {
        str(k): v for k, v in frame["flag"].value_counts().items()
    }


def test_float_target_with_many_values_is_numeric() -> None:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=500), "y": rng.normal(size=500)})
    p = ReferenceProfile.from_frame(df, target="y")
    assert isinstance(p.label, NumericSummary) and p.label.n == 500


def test_predictions_and_performance_are_kept() -> None:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=400)})
    proba = rng.random((400, 2))
    p = ReferenceProfile.from_frame(df, predictions=proba, performance={"auc": 0.81})
    assert p.predictions is not None and p.predictions.n == 400
    assert p.predictions.mean == pytest.approx(proba[:, 1].mean())
    assert p.performance == {"auc": 0.81}
    assert p.with_performance({"auc": 0.7}).performance == {"auc": 0.7}


def test_pyarrow_table_input_gives_the_same_profile(frame: pd.DataFrame) -> None:
    a = ReferenceProfile.from_frame(frame, target="y", timestamp="ts")
    b = ReferenceProfile.from_frame(
        pa.Table.from_pandas(frame, preserve_index=False), target="y", timestamp="ts"
    )
    assert _strip(a.to_dict()) == _strip(b.to_dict())


def test_category_cap_sums_the_rest_into_other() -> None:
    counts = {f"l{i}": 100 - i for i in range(30)}
    s = CategoricalSummary.from_counts(counts, nulls=3, max_categories=10)
    assert len(s.counts) == 10 and s.other == sum(100 - i for i in range(10, 30))
    assert s.n == sum(counts.values()) and s.nulls == 3


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"levels": 3}, ConfigError),
        ({"max_categories": 0}, ConfigError),
        ({"target": "nope"}, DataError),
        ({"numeric": ["nope"]}, DataError),
    ],
)
def test_invalid_arguments_raise(frame: pd.DataFrame, kwargs: dict, error: type) -> None:
    with pytest.raises(error):
        ReferenceProfile.from_frame(frame, **kwargs)


def test_infinite_values_raise() -> None:
    with pytest.raises(DataError, match="inf"):
        NumericSummary.from_values([1.0, np.inf, 2.0])


def test_not_a_frame_raises() -> None:
    with pytest.raises(DataError, match="DataFrame"):
        ReferenceProfile.from_frame([[1, 2]])


# -- the quantile sketch --------------------------------------------------------------------


def test_few_distinct_values_are_stored_exactly() -> None:
    rng = np.random.default_rng(1)
    x = rng.poisson(3, 10_000).astype(float)
    s = NumericSummary.from_values(x, LEVELS)
    grid = np.arange(-1, 20, 0.5)
    np.testing.assert_allclose(s.cdf(grid), ecdf(x, grid))
    q = np.linspace(0.01, 1, 57)
    np.testing.assert_array_equal(s.quantile(q), np.quantile(x, q, method="inverted_cdf"))


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_sketch_cdf_is_within_one_cell_of_the_ecdf(name: str) -> None:
    rng = np.random.default_rng(2)
    x = GENERATORS[name](rng, 100_000, 0.0)
    s = NumericSummary.from_values(x, LEVELS)
    pts = np.sort(np.concatenate([x[:20_000], rng.choice(s.knots, 2000)]))
    err = np.max(np.abs(s.cdf(pts) - ecdf(x, pts)))
    assert err <= 1.0 / LEVELS + 1e-12
    assert s.knots.size <= LEVELS + 1


def test_sketch_quantiles_agree_with_numpy() -> None:
    rng = np.random.default_rng(3)
    x = rng.lognormal(0, 1, 50_000)
    s = NumericSummary.from_values(x, LEVELS)
    q = np.linspace(0.001, 0.999, 99)
    # the CDF of the exact quantile at the sketch's quantile stays within one cell
    np.testing.assert_allclose(ecdf(x, s.quantile(q)), q, atol=1.0 / LEVELS + 1e-9)


def test_empty_numeric_summary() -> None:
    s = NumericSummary.from_values([np.nan, np.nan])
    assert (s.n, s.nulls) == (0, 2)
    assert np.isnan(s.cdf([0.0])).all()
    assert NumericSummary.from_dict(s.to_dict()).nulls == 2


@pytest.mark.parametrize("name", sorted(GENERATORS))
@pytest.mark.parametrize("shift", [0.0, 0.1, 0.5])
def test_ks_and_psi_against_a_sample_are_within_001_of_exact(name: str, shift: float) -> None:
    rng = np.random.default_rng(4)
    ref = GENERATORS[name](rng, 60_000, 0.0)
    cur = GENERATORS[name](rng, 20_000, shift)
    profile = ReferenceProfile.from_frame(pd.DataFrame({"x": ref}))
    exact_ks = stats.ks_2samp(ref, cur).statistic
    exact = exact_psi(ref, cur)
    detector = DatasetDrift()
    checked = detector.check(profile, pd.DataFrame({"x": cur})).column("x").effects
    assert abs(checked["ks_d"] - exact_ks) <= 0.01
    assert abs(checked["psi"] - exact) <= 0.01
    # a reference merged from chunk profiles (a tree of 7 merges)
    parts = [ReferenceProfile.from_frame(pd.DataFrame({"x": c})) for c in np.array_split(ref, 7)]
    merged = detector.check(ReferenceProfile.merge_all(parts), pd.DataFrame({"x": cur}))
    assert abs(merged.column("x").effects["ks_d"] - exact_ks) <= 0.01
    assert abs(merged.column("x").effects["psi"] - exact) <= 0.01
    # profile to profile: the current side is a sketch too; the PSI of a nearly empty bin
    # is steep in its proportion, so allow 1 % of the PSI on top
    cur_profile = ReferenceProfile.from_frame(pd.DataFrame({"x": cur}))
    compared = detector.compare(profile, cur_profile).column("x").effects
    assert abs(compared["ks_d"] - exact_ks) <= 0.01
    assert abs(compared["psi"] - exact) <= 0.01 + 0.01 * exact


# -- merging --------------------------------------------------------------------------------


def test_merge_equals_the_profile_of_the_union(frame: pd.DataFrame) -> None:
    a, b = frame.iloc[:1700], frame.iloc[1700:]
    kw = {"target": "y", "timestamp": "ts"}
    whole = ReferenceProfile.from_frame(frame, **kw)
    merged = ReferenceProfile.from_frame(a, **kw).merge(ReferenceProfile.from_frame(b, **kw))
    assert merged.n_rows == whole.n_rows
    assert merged.roles == whole.roles
    m, w = merged.numeric["x"], whole.numeric["x"]
    assert (m.n, m.nulls, m.min, m.max) == (w.n, w.nulls, w.min, w.max)
    assert m.mean == pytest.approx(w.mean, rel=1e-12)
    assert m.std == pytest.approx(w.std, rel=1e-12)
    pts = np.linspace(-12, 16, 500)
    np.testing.assert_allclose(
        m.cdf(pts), ecdf(frame["x"].dropna().to_numpy(), pts), atol=2 / LEVELS
    )
    assert dict(merged.categorical["c"].counts) == dict(whole.categorical["c"].counts)
    assert merged.categorical["c"].nulls == whole.categorical["c"].nulls
    assert dict(merged.label.counts) == dict(whole.label.counts)
    assert merged.time_range == whole.time_range
    k_m, k_w = merged.numeric["k"], whole.numeric["k"]
    np.testing.assert_array_equal(
        k_m.counts_at(np.arange(5.0))[1], k_w.counts_at(np.arange(5.0))[1]
    )


@pytest.mark.parametrize("name", ["normal", "lognormal", "mixture", "cauchy"])
def test_many_merges_keep_the_sketch_accurate(name: str) -> None:
    rng = np.random.default_rng(5)
    x = GENERATORS[name](rng, 200_000, 0.0)
    parts = [NumericSummary.from_values(c, LEVELS) for c in np.array_split(x, 20)]
    seq = parts[0]
    for p in parts[1:]:
        seq = seq.merge(p, LEVELS)
    pts = np.sort(x[::7])
    assert seq.n == x.size
    assert np.max(np.abs(seq.cdf(pts) - ecdf(x, pts))) <= 0.005
    assert seq.knots.size <= LEVELS + 1


def test_merge_with_other_roles_raises(frame: pd.DataFrame) -> None:
    a = ReferenceProfile.from_frame(frame)
    b = ReferenceProfile.from_frame(frame, exclude=["x"])
    with pytest.raises(DataError, match="roles"):
        a.merge(b)
    with pytest.raises(DataError):
        ReferenceProfile.merge_all([])


def test_like_profiles_a_batch_with_the_reference_roles(frame: pd.DataFrame) -> None:
    ref = ReferenceProfile.from_frame(frame, target="y", numeric=["x"], categorical=["c"])
    batch = frame.assign(extra=1.0)
    p = ReferenceProfile.from_frame(batch, like=ref)
    assert p.roles == ref.roles
    ref.merge(p)  # compatible


def test_from_parquet_in_chunks_matches_from_frame(tmp_path, frame: pd.DataFrame) -> None:
    path = tmp_path / "ref.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    chunked = ReferenceProfile.from_parquet(path, chunk_rows=700, target="y", timestamp="ts")
    whole = ReferenceProfile.from_frame(frame, target="y", timestamp="ts")
    assert chunked.n_rows == whole.n_rows
    assert dict(chunked.categorical["c"].counts) == dict(whole.categorical["c"].counts)
    assert chunked.numeric["x"].mean == pytest.approx(whole.numeric["x"].mean, rel=1e-12)
    pts = np.linspace(-10, 14, 200)
    np.testing.assert_allclose(
        chunked.numeric["x"].cdf(pts), whole.numeric["x"].cdf(pts), atol=3 / LEVELS
    )
    with pytest.raises(ConfigError):
        ReferenceProfile.from_parquet(path, chunk_rows=0)


# -- serialisation --------------------------------------------------------------------------


def _strip(d: dict) -> dict:
    return {k: v for k, v in d.items() if k != "created_at"}


def test_json_round_trip(tmp_path, frame: pd.DataFrame) -> None:
    rng = np.random.default_rng(0)
    p = ReferenceProfile.from_frame(
        frame,
        target="y",
        timestamp="ts",
        predictions=rng.random(len(frame)),
        performance={"accuracy": 0.9},
    )
    path = tmp_path / "profile.json"
    text = p.to_json(path)
    raw = json.loads(path.read_text())
    assert (
        raw["schema_version"] == SCHEMA_VERSION and raw["schema"] == "driftline.reference_profile"
    )
    q = ReferenceProfile.from_json(path)
    assert q.to_dict() == p.to_dict()
    assert ReferenceProfile.from_json(text).to_dict() == p.to_dict()
    np.testing.assert_array_equal(q.numeric["x"].lt, p.numeric["x"].lt)


FIXTURES = Path(__file__).parent / "data"


def _fixture_frames() -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """The data of the fixtures in ``data/``, written by the code before issue 16."""
    rng = np.random.default_rng(16)
    n = 1500
    df = pd.DataFrame(
        {
            "x": np.where(rng.random(n) < 0.05, np.nan, rng.normal(2, 3, n)),
            "w": rng.lognormal(0, 1, n),
            "k": rng.poisson(3, n),
            "c": rng.choice(list("abcde"), n, p=[0.4, 0.3, 0.15, 0.1, 0.05]),
            "flag": rng.random(n) < 0.3,
            "ts": pd.date_range("2024-01-01", periods=n, freq="h", tz="UTC"),
            "y": (rng.random(n) < 0.3).astype(int),
        }
    )
    df.loc[df.sample(frac=0.02, random_state=1).index, "c"] = None
    predictions = rng.beta(2, 5, n)
    regression = pd.DataFrame(
        {
            "x": rng.normal(size=800),
            "c": rng.choice(list("pq"), 800),
            "target": rng.gamma(2.0, 10.0, 800),
        }
    )
    return df, predictions, regression


def test_profiles_stored_by_the_previous_code_still_load_and_check() -> None:
    """Trained models keep their profile as an MLflow artifact: the v1 JSON must load."""
    df, predictions, regression = _fixture_frames()
    stored = ReferenceProfile.from_json(FIXTURES / "profile_v1_classification.json")
    assert stored.n_rows == 1500 and stored.target == "y" and stored.timestamp == "ts"
    assert stored.roles == {
        "x": "numeric",
        "w": "numeric",
        "k": "numeric",
        "c": "categorical",
        "flag": "categorical",
        "y": "target",
        "ts": "timestamp",
    }
    assert stored.categorical["c"].other > 0 and stored.numeric["x"].nulls > 0
    assert stored.predictions is not None and stored.performance["accuracy"] == 0.81
    regressed = ReferenceProfile.from_json(FIXTURES / "profile_v1_regression.json")
    assert isinstance(regressed.label, NumericSummary)
    # this code writes exactly what the previous code wrote (the format did not change)
    rebuilt = ReferenceProfile.from_frame(
        df,
        target="y",
        timestamp="ts",
        predictions=predictions,
        performance={"accuracy": 0.81, "log_loss": 0.45},
        levels=40,
        max_categories=4,
    )
    for path, profile in (
        ("profile_v1_classification.json", rebuilt),
        (
            "profile_v1_regression.json",
            ReferenceProfile.from_frame(regression, target="target", levels=30),
        ),
    ):
        text = (FIXTURES / path).read_text()
        assert ReferenceProfile.from_json(text).to_json() == text
        assert {**json.loads(profile.to_json()), "created_at": None} == {
            **json.loads(text),
            "created_at": None,
        }
    # and a batch is checked against the stored profile as before
    batch = df.sample(600, random_state=2).reset_index(drop=True)
    batch["x"] = batch["x"] + 1.0
    report = DatasetDrift().check(stored, batch, predictions=predictions[:600], batch_id="b")
    assert report.drifted_columns == ["x"] and report.kinds == ("covariate",)
    assert {c.column for c in report.columns} == {
        "x",
        "w",
        "k",
        "c",
        "flag",
        "y",
        "__predictions__",
    }


def test_large_profile_json_stays_compact() -> None:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({f"x{i}": rng.normal(size=50_000) for i in range(5)})
    text = ReferenceProfile.from_frame(df).to_json()
    assert len(text) < 5 * 2 * (LEVELS + 1) * 25  # knots + cumulative counts per column


def test_wrong_schema_version_raises(frame: pd.DataFrame) -> None:
    d = ReferenceProfile.from_frame(frame).to_dict()
    d["schema_version"] = SCHEMA_VERSION + 1
    with pytest.raises(DataError, match="schema version"):
        ReferenceProfile.from_dict(d)
    with pytest.raises(DataError, match="unreadable"):
        ReferenceProfile.from_json("{not json")


def test_like_fills_columns_missing_from_the_batch(frame: pd.DataFrame) -> None:
    ref = ReferenceProfile.from_frame(frame, target="y", timestamp="ts")
    batch = frame.drop(columns=["y", "c"]).iloc[:500]
    p = ReferenceProfile.from_frame(batch, like=ref)
    assert p.roles == ref.roles and p.label is None
    assert (p.categorical["c"].n, p.categorical["c"].nulls) == (0, 500)
    merged = ref.merge(p)
    assert merged.label.n == ref.label.n and merged.categorical["c"].nulls == (
        ref.categorical["c"].nulls + 500
    )


def test_like_keeps_the_label_type() -> None:
    rng = np.random.default_rng(0)
    ref = ReferenceProfile.from_frame(
        pd.DataFrame({"x": rng.normal(size=300), "y": rng.normal(size=300)}), target="y"
    )
    batch = pd.DataFrame({"x": rng.normal(size=50), "y": np.round(rng.normal(size=50))})
    assert isinstance(ReferenceProfile.from_frame(batch, like=ref).label, NumericSummary)
