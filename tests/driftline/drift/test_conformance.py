"""Conformance suite run on every DriftTest subclass (as scikit-learn's estimator checks).

Subclasses are discovered recursively from ``DriftTest.__subclasses__()``, so a new test
is covered automatically; its ``input_type`` picks the data generator in ``GENERATORS``
(a new input type must register one, or ``test_every_input_type_has_a_generator`` fails).

Checks: (1) calibration under no shift, (2) power under a shift of the test's kind,
(3) bad inputs raise DataError, (4) results are frozen, JSON-serialisable and
deterministic.

The dataset-level check :class:`~driftline.drift.DatasetDrift` (what the DAGs run) goes
through the same four checks with the ``"dataset"`` generator (a reference frame, profiled
first, and a current frame: 3 numeric, 2 categorical columns and a label), and through
(5) agreement: each per-column statistic it reports equals that of the per-test class
named in ``AGREEMENT`` on the same data, to 1e-12, since both run
:mod:`driftline.drift.statistics`.

Calibration: the single-test false-alarm rate (p < 0.05, or the effect-size rule for
tests without a p-value) over ``TRIALS`` = 500 seeded trials must be at most 0.07 (the
binomial sd of a 0.05 rate is 0.010, so a calibrated test passes with probability about
0.98); the permutation test (Wasserstein) runs 200 trials with the same bound. The
classifier test, which fits a model per trial, runs 100 trials with the tolerance
0.05 + 2 sd = 0.094. Power: at least 0.9 of ``POWER_TRIALS`` = 100 shifted
trials (50 for the classifier and the permutation test) are flagged (``is_drift``:
p < alpha and effect >= the default floor).
"""

from __future__ import annotations

import inspect
import json
import math
from collections.abc import Callable
from dataclasses import FrozenInstanceError, dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from driftline.drift import (
    PSI,
    CategoricalPSI,
    ChiSquare,
    DatasetDrift,
    DriftReport,
    DriftResult,
    DriftTest,
    JensenShannon,
    KolmogorovSmirnov,
    LabelProportions,
    ReferenceProfile,
    StreamingDetector,
    Wasserstein,
)
from driftline.errors import ConfigError, DataError

TRIALS = 500
POWER_TRIALS = 100
#: Fewer trials for the expensive tests (per-trial cost: model fitting, permutations).
FEWER_TRIALS = {"DomainClassifier": 100, "Wasserstein": 200}
FEWER_POWER_TRIALS = {"DomainClassifier", "Wasserstein"}

Pair = tuple[Any, Any]


def _all_subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out.append(sub)
        out.extend(_all_subclasses(sub))
    return out


CONCRETE = sorted(
    {
        c
        for c in _all_subclasses(DriftTest)
        # the library's tests only: test modules define throw-away subclasses of their own
        if not inspect.isabstract(c) and c.__module__.startswith("driftline.")
    },
    key=lambda c: c.__name__,
)


# -- generators: (null pair, shifted pair, bad pairs) per input type ------------------------


def _numeric(rng: np.random.Generator, shift: bool) -> Pair:
    return rng.normal(size=1000), rng.normal(0.3 if shift else 0.0, 1.0, size=1000)


LEVELS = np.array(["a", "b", "c", "d", "e"])
PRIOR = [0.3, 0.25, 0.2, 0.15, 0.1]
PRIOR_SHIFTED = [0.2, 0.25, 0.2, 0.15, 0.2]  # 10 points moved from "a" to "e"


def _categorical(rng: np.random.Generator, shift: bool) -> Pair:
    cur = rng.choice(LEVELS, 1000, p=PRIOR_SHIFTED if shift else PRIOR)
    return rng.choice(LEVELS, 1000, p=PRIOR), cur


def _labels(rng: np.random.Generator, shift: bool) -> Pair:
    prior, shifted = [0.5, 0.3, 0.2], [0.4, 0.3, 0.3]  # a 10-point prior change
    return rng.choice(3, 1000, p=prior), rng.choice(3, 1000, p=shifted if shift else prior)


def _frame(rng: np.random.Generator, shift: bool, n: int = 500) -> Pair:
    def draw(mu: float) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "x1": rng.normal(mu, 1.0, n),
                "x2": rng.normal(size=n),
                "x3": rng.exponential(size=n),
                "c": rng.choice(["u", "v", "w"], n, p=[0.5, 0.3, 0.2]),
            }
        )

    return draw(0.0), draw(0.75 if shift else 0.0)


def _probabilities(rng: np.random.Generator, shift: bool) -> Pair:
    def draw(prior: list[float]) -> np.ndarray:
        y = rng.choice(3, 1000, p=prior)
        logits = 1.5 * np.eye(3)[y] + rng.normal(size=(1000, 3))
        e = np.exp(logits)
        return e / e.sum(axis=1, keepdims=True)

    uniform = [1 / 3] * 3
    return draw(uniform), draw([0.5, 0.25, 0.25] if shift else uniform)


def _outcomes(rng: np.random.Generator, shift: bool) -> Pair:
    return (rng.random(1000) < 0.8).astype(float), (rng.random(1000) < (0.7 if shift else 0.8))


def _errors(rng: np.random.Generator, shift: bool) -> Pair:
    return (rng.random(1000) < 0.2).astype(float), (rng.random(1000) < (0.4 if shift else 0.2))


def _bad_1d(valid: Pair, nan_is_bad: bool = True) -> dict[str, Pair]:
    ref, cur = valid
    cur = np.asarray(cur)
    cases = {
        "empty reference": (ref[:0], cur),
        "empty current": (ref, cur[:0]),
        "2-D current": (ref, np.stack([cur, cur], axis=1)),
    }
    if nan_is_bad:
        with_nan = cur.astype(float)
        with_nan[3] = np.nan
        cases["NaN in current"] = (ref, with_nan)
        with_inf = cur.astype(float)
        with_inf[5] = np.inf
        cases["inf in current"] = (ref, with_inf)
    return cases


def _bad_labels(valid: Pair) -> dict[str, Pair]:
    ref, cur = valid
    missing = cur.astype(object)
    missing[2] = None
    return {**_bad_1d(valid, nan_is_bad=False), "missing label": (ref, missing)}


def _bad_binary(valid: Pair) -> dict[str, Pair]:
    ref, cur = valid
    other = np.asarray(cur, dtype=float)
    other[1] = 0.5
    return {**_bad_1d(valid), "non-binary value": (ref, other)}


def _bad_frame(valid: Pair) -> dict[str, Pair]:
    ref, cur = valid
    with_inf = cur.copy()
    with_inf.loc[3, "x2"] = np.inf
    return {
        "empty current": (ref, cur.iloc[:0]),
        "too few rows": (ref, cur.iloc[:3]),
        "inf in current": (ref, with_inf),
        "columns differ": (ref, cur.drop(columns="x3")),
        "3-D current": (ref, np.zeros((4, 4, 4))),
    }


def _bad_probabilities(valid: Pair) -> dict[str, Pair]:
    ref, cur = valid
    with_nan = cur.copy()
    with_nan[2, 1] = np.nan
    above = cur.copy()
    above[0, 0] = 1.5
    return {
        "empty current": (ref, cur[:0]),
        "1-D current": (ref, cur[:, 0]),
        "NaN in current": (ref, with_nan),
        "classes differ": (ref, cur[:, :2]),
        "not probabilities": (ref, above),
    }


def _bad_outcomes(valid: Pair) -> dict[str, Pair]:
    ref, cur = valid
    return {
        **_bad_binary(valid),
        "pair of unequal length": ((ref, ref), (cur, cur[:-1])),
        "mixed forms": (ref, (cur, cur)),
    }


@dataclass(frozen=True)
class Generator:
    draw: Callable[[np.random.Generator, bool], Pair]
    bad: Callable[[Pair], dict[str, Pair]]


GENERATORS: dict[str, Generator] = {
    "numeric": Generator(_numeric, _bad_1d),
    "categorical": Generator(_categorical, lambda v: _bad_1d(v, nan_is_bad=False)),
    "labels": Generator(_labels, _bad_labels),
    "frame": Generator(_frame, _bad_frame),
    "probabilities": Generator(_probabilities, _bad_probabilities),
    "outcomes": Generator(_outcomes, _bad_outcomes),
    "binary": Generator(_errors, _bad_binary),
    "stream": Generator(_errors, _bad_1d),
}


def _trials(cls: type) -> int:
    return FEWER_TRIALS.get(cls.__name__, TRIALS)


def _tolerance(trials: int) -> float:
    return 0.07 if trials >= 200 else 0.05 + 2 * math.sqrt(0.05 * 0.95 / trials)


def _alarm(result: DriftResult) -> bool:
    if result.p_value is None:
        return result.is_drift
    return result.p_value < 0.05


# -- checks ---------------------------------------------------------------------------------


def test_discovery_finds_every_test() -> None:
    names = {c.__name__ for c in CONCRETE}
    assert {"KolmogorovSmirnov", "ChiSquare", "DomainClassifier", "DDM", "ADWIN"} <= names
    assert len(CONCRETE) >= 12


@pytest.mark.parametrize("cls", CONCRETE, ids=lambda c: c.__name__)
def test_every_input_type_has_a_generator(cls: type) -> None:
    assert cls.input_type in GENERATORS, f"register a generator for {cls.input_type!r}"


@pytest.mark.parametrize("cls", CONCRETE, ids=lambda c: c.__name__)
def test_class_attributes(cls: type) -> None:
    assert cls.kind in {"numeric", "categorical", "multivariate", "label", "concept"}
    assert cls.method and cls.effect_size_name and cls.reference
    assert isinstance(cls.default_threshold, float) and cls.default_threshold > 0
    assert any(ch.isdigit() for ch in cls.reference)  # cites a year
    assert cls.__doc__


@pytest.mark.slow
@pytest.mark.parametrize("cls", CONCRETE, ids=lambda c: c.__name__)
def test_calibration_under_no_shift(cls: type) -> None:
    gen = GENERATORS[cls.input_type]
    trials = _trials(cls)
    rng = np.random.default_rng(1234)
    alarms = sum(_alarm(cls().test(*gen.draw(rng, False))) for _ in range(trials))
    rate = alarms / trials
    print(f"\n{cls.__name__}: false-alarm rate {rate:.3f} over {trials} trials")
    assert rate <= _tolerance(trials)


@pytest.mark.slow
@pytest.mark.parametrize("cls", CONCRETE, ids=lambda c: c.__name__)
def test_power_under_shift(cls: type) -> None:
    gen = GENERATORS[cls.input_type]
    trials = POWER_TRIALS // 2 if cls.__name__ in FEWER_POWER_TRIALS else POWER_TRIALS
    rng = np.random.default_rng(5678)
    detected = sum(cls().test(*gen.draw(rng, True)).is_drift for _ in range(trials))
    power = detected / trials
    print(f"\n{cls.__name__}: power {power:.3f} over {trials} trials")
    assert power >= 0.9


@pytest.mark.parametrize("cls", CONCRETE, ids=lambda c: c.__name__)
def test_bad_inputs_raise_data_error(cls: type) -> None:
    gen = GENERATORS[cls.input_type]
    cases = gen.bad(gen.draw(np.random.default_rng(0), False))
    assert cases
    for name, (ref, cur) in cases.items():
        with pytest.raises(DataError) as err:
            cls().test(ref, cur, column="feature")
        assert "feature" in str(err.value), name
        assert ": " in str(err.value), name  # "what: what to do"


@pytest.mark.parametrize("cls", CONCRETE, ids=lambda c: c.__name__)
def test_result_frozen_serialisable_deterministic(cls: type) -> None:
    gen = GENERATORS[cls.input_type]
    ref, cur = gen.draw(np.random.default_rng(7), True)
    first = cls().test(ref, cur, column="feature")
    second = cls().test(ref, cur, column="feature")
    assert first.to_dict() == second.to_dict()
    assert first.method == cls.method and first.kind == cls.kind
    assert first.column == "feature"
    assert first.threshold == cls().effective_threshold
    assert first.effect_size_name == cls.effect_size_name
    text = json.dumps(first.to_dict(), allow_nan=False)
    assert DriftResult.from_dict(json.loads(text)) == first
    with pytest.raises(FrozenInstanceError):
        first.effect_size = 0.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        first.details["new"] = 1  # type: ignore[index]
    assert first.p_value is None or 0.0 <= first.p_value <= 1.0


@pytest.mark.parametrize("cls", CONCRETE, ids=lambda c: c.__name__)
def test_decision_rule(cls: type) -> None:
    gen = GENERATORS[cls.input_type]
    ref, cur = gen.draw(np.random.default_rng(11), True)
    result = cls().test(ref, cur)
    significant = result.p_value is None or result.p_value < result.alpha
    assert result.is_drift == (significant and result.effect_size >= result.threshold)
    never = cls(threshold=1e9).test(ref, cur)
    assert not never.is_drift
    if not issubclass(cls, StreamingDetector):  # a detector's threshold is its drift level
        assert never.effect_size == result.effect_size


# -- the dataset-level check ----------------------------------------------------------------

DATASET_ROWS = 1000
#: Columns the shifted draw of ``_dataset`` moves, and the kind of shift each one is.
DATASET_SHIFTED = {"x_normal": "covariate", "c_levels": "covariate", "y": "label"}
LABEL_PRIOR, LABEL_PRIOR_SHIFTED = [0.5, 0.3, 0.2], [0.4, 0.3, 0.3]  # 10 points moved


def _dataset_frame(rng: np.random.Generator, n: int, shift: bool) -> pd.DataFrame:
    """3 numeric (one with 2 % NaN, one discrete), 2 categorical (one with None) and ``y``."""
    lognormal = rng.lognormal(0.0, 0.75, n)
    lognormal[rng.random(n) < 0.02] = np.nan
    flag = rng.choice(np.array(["yes", "no", None], dtype=object), n, p=[0.3, 0.68, 0.02])
    return pd.DataFrame(
        {
            "x_normal": rng.normal(0.3 if shift else 0.0, 1.0, n),  # a 0.3-sd shift
            "x_lognormal": lognormal,
            "x_counts": rng.poisson(3.0, n).astype(float),  # ties
            "c_levels": rng.choice(LEVELS, n, p=PRIOR_SHIFTED if shift else PRIOR),
            "c_flag": flag,
            "y": rng.choice(3, n, p=LABEL_PRIOR_SHIFTED if shift else LABEL_PRIOR),
        }
    )


def _dataset(rng: np.random.Generator, shift: bool) -> Pair:
    return _dataset_frame(rng, DATASET_ROWS, False), _dataset_frame(rng, DATASET_ROWS, shift)


def _dataset_check(reference: pd.DataFrame, current: Any, **kwargs: Any) -> DriftReport:
    """What the pipeline does: profile the reference, check the batch against it."""
    profile = ReferenceProfile.from_frame(reference, target="y")
    return DatasetDrift().check(profile, current, batch_id="batch", **kwargs)


#: Bad inputs of the dataset check: a call on the valid pair, the error, words it names.
DatasetCase = tuple[Callable[[pd.DataFrame, pd.DataFrame], Any], type, str]


def _bad_dataset(valid: Pair) -> dict[str, DatasetCase]:
    def with_value(frame: pd.DataFrame, column: str, value: Any) -> pd.DataFrame:
        out = frame.copy()
        out[column] = out[column].astype(object) if isinstance(value, str) else out[column]
        out.loc[3, column] = value
        return out

    return {
        "empty batch": (lambda r, c: _dataset_check(r, c.iloc[:0]), DataError, "no rows"),
        "no profiled column": (
            lambda r, c: _dataset_check(r, c.add_suffix("_renamed")),
            DataError,
            "none of the profile's columns",
        ),
        "inf in a numeric column": (
            lambda r, c: _dataset_check(r, with_value(c, "x_normal", np.inf)),
            DataError,
            "'x_normal'",
        ),
        "text in a numeric column": (
            lambda r, c: _dataset_check(r, c.assign(x_counts="many")),
            DataError,
            "'x_counts'",
        ),
        "mixed types in a column": (
            lambda r, c: _dataset_check(r, with_value(c, "x_lognormal", "n/a")),
            DataError,
            "'x_lognormal'",
        ),
        "labels of another length": (
            lambda r, c: _dataset_check(r, c.drop(columns="y"), target=c["y"].to_numpy()[:-1]),
            DataError,
            "target",
        ),
        "predictions of another length": (
            lambda r, c: _dataset_check(r, c, predictions=np.full(len(c) - 1, 0.5)),
            DataError,
            "predictions",
        ),
        "target column not in the batch": (
            lambda r, c: _dataset_check(r, c, target="label"),
            DataError,
            "'label'",
        ),
        "target for a profile without label": (
            lambda r, c: DatasetDrift().check(ReferenceProfile.from_frame(r), c, target="y"),
            ConfigError,
            "no label",
        ),
        "not a profile": (
            lambda r, c: DatasetDrift().check(r, c),  # type: ignore[arg-type]
            DataError,
            "ReferenceProfile",
        ),
        "not a data set": (
            lambda r, c: _dataset_check(r, c.to_numpy().tolist()),
            DataError,
            "list",
        ),
        "invalid parameter": (
            lambda r, c: DatasetDrift(alpha=2.0).check(ReferenceProfile.from_frame(r), c),
            ConfigError,
            "alpha",
        ),
    }


GENERATORS["dataset"] = Generator(_dataset, _bad_dataset)  # type: ignore[arg-type]


@pytest.mark.slow
def test_dataset_calibration_under_no_shift() -> None:
    gen = GENERATORS["dataset"]
    rng = np.random.default_rng(1234)
    alarms = 0
    column_alarms: dict[str, int] = {}
    for _ in range(TRIALS):
        report = _dataset_check(*gen.draw(rng, False))
        alarms += report.is_drift
        for c in report.columns:
            column_alarms[c.column] = column_alarms.get(c.column, 0) + (c.p_value < 0.05)
    rate = alarms / TRIALS
    sd = math.sqrt(0.05 * 0.95 / TRIALS)
    bound = 0.05 + 2 * sd  # alpha + 2 sd
    # each column's raw p-value too (+ 3 sd: six columns are checked, a calibrated one
    # exceeds 3 sd with probability 0.0013; KS on the discrete column is conservative)
    column_bound = 0.05 + 3 * sd
    per_column = {k: v / TRIALS for k, v in sorted(column_alarms.items())}
    print(
        f"\nDatasetDrift: false-alarm rate {rate:.3f} over {TRIALS} trials; raw p < 0.05 "
        f"per column {per_column}"
    )
    assert len(column_alarms) == 6
    assert rate <= bound
    assert all(r <= column_bound for r in per_column.values()), per_column


@pytest.mark.slow
def test_dataset_power_under_shift() -> None:
    gen = GENERATORS["dataset"]
    rng = np.random.default_rng(5678)
    flagged = dict.fromkeys(DATASET_SHIFTED, 0)
    whole = 0
    for _ in range(POWER_TRIALS):
        report = _dataset_check(*gen.draw(rng, True))
        whole += report.is_drift and report.kinds == ("covariate", "label")
        for column, kind in DATASET_SHIFTED.items():
            flagged[column] += column in report.drifted_columns and kind in report.kinds
    power = {k: v / POWER_TRIALS for k, v in flagged.items()}
    print(
        f"\nDatasetDrift: power {power} (both kinds: {whole / POWER_TRIALS:.2f}) over "
        f"{POWER_TRIALS} trials"
    )
    assert whole / POWER_TRIALS >= 0.9
    assert all(p >= 0.9 for p in power.values()), power


@pytest.mark.parametrize("case", sorted(_bad_dataset(_dataset(np.random.default_rng(0), False))))
def test_dataset_bad_inputs_raise(case: str) -> None:
    ref, cur = _dataset(np.random.default_rng(0), False)
    call, error, named = _bad_dataset((ref, cur))[case]
    with pytest.raises(error) as err:
        call(ref, cur)
    assert named in str(err.value), case
    assert ": " in str(err.value), case  # "what: what to do"


def test_dataset_report_frozen_serialisable_deterministic() -> None:
    ref, cur = _dataset(np.random.default_rng(7), True)
    first, second = _dataset_check(ref, cur), _dataset_check(ref, cur)
    created = {"created_at": None}
    assert {**first.to_dict(), **created} == {**second.to_dict(), **created}
    text = json.dumps(first.to_dict(), allow_nan=False)
    assert DriftReport.from_json(text) == first
    with pytest.raises(FrozenInstanceError):
        first.is_drift = False  # type: ignore[misc]
    for column in first.columns:
        for result in column.results:
            assert result.p_value is None or 0.0 <= result.p_value <= 1.0
            with pytest.raises(TypeError):
                result.details["new"] = 1  # type: ignore[index]


# -- agreement: DatasetDrift and the per-test classes run the same statistic -------------------

#: Per DatasetDrift result method: the class computing the same statistic, and which of its
#: result fields must be equal (effect sizes always; p-values where both report one).
AGREEMENT: dict[str, tuple[Callable[[], DriftTest], tuple[str, ...]]] = {
    "kolmogorov_smirnov": (KolmogorovSmirnov, ("statistic", "effect_size", "p_value")),
    "psi": (PSI, ("effect_size",)),
    "wasserstein": (lambda: Wasserstein(n_permutations=0), ("effect_size",)),
    "chi_square": (ChiSquare, ("statistic", "effect_size", "p_value")),
    "jensen_shannon": (lambda: JensenShannon(n_permutations=0), ("effect_size",)),
    "categorical_psi": (CategoricalPSI, ("effect_size",)),
    "label_proportions": (LabelProportions, ("statistic", "effect_size", "p_value")),
}
#: W1 between reference knots takes the current values as spread uniformly, so it equals
#: the exact value only where the current values sit on the knots (a discrete column);
#: elsewhere it is within this many reference sd.
CONTINUOUS_W1_ABS = 0.005


def _agreement_pairs(report: DriftReport, ref: pd.DataFrame, cur: pd.DataFrame):
    for column in report.columns:
        a = ref[column.column].to_numpy()
        b = cur[column.column].to_numpy()
        if column.role == "numeric":  # the classes take finite values (nulls dropped)
            a, b = a[~np.isnan(a)], b[~np.isnan(b)]
        for result in column.results:
            yield column.column, result, a, b


@pytest.mark.parametrize(
    ("n_ref", "n_cur", "shift"),
    [
        (1000, 1000, False),  # equal sizes: the exact p-value in closed form
        (1000, 1000, True),
        (1500, 700, True),  # unequal sizes: the exact lattice-path count
        (15_000, 600, True),  # kstwo at en <= 1000
        (15_000, 12_000, False),  # Stephens' limit
    ],
)
def test_dataset_statistics_equal_the_per_test_classes(n_ref: int, n_cur: int, shift: bool) -> None:
    for seed in range(3):
        rng = np.random.default_rng(100 * seed + n_cur)
        ref, cur = _dataset_frame(rng, n_ref, False), _dataset_frame(rng, n_cur, shift)
        # an exact sketch (every distinct value a knot) so that the statistics are exact
        profile = ReferenceProfile.from_frame(ref, target="y", levels=max(2000, n_ref))
        report = DatasetDrift().check(profile, cur)
        assert len(report.columns) == 6
        for column, result, a, b in _agreement_pairs(report, ref, cur):
            make, fields = AGREEMENT[result.method]
            expected = make().test(a, b, column=column)
            continuous = result.method == "wasserstein" and column != "x_counts"
            for name in fields:
                got, want = getattr(result, name), getattr(expected, name)
                tol = {"abs": CONTINUOUS_W1_ABS} if continuous else {"rel": 1e-12, "abs": 1e-14}
                assert got == pytest.approx(want, **tol), (column, result.method, name)


def test_every_dataset_statistic_has_an_agreement_check() -> None:
    report = _dataset_check(*_dataset(np.random.default_rng(3), True))
    methods = {r.method for c in report.columns for r in c.results}
    assert methods == set(AGREEMENT)


def test_dataset_p_values_agree_with_scipy() -> None:
    ref = _dataset_frame(np.random.default_rng(21), 1200, False)
    cur = _dataset_frame(np.random.default_rng(22), 900, True)
    report = DatasetDrift().check(ReferenceProfile.from_frame(ref, target="y"), cur)
    for column, result, a, b in _agreement_pairs(report, ref, cur):
        if result.method == "kolmogorov_smirnov":
            want = stats.ks_2samp(a, b, method="auto").pvalue
        elif result.method in ("chi_square", "label_proportions"):
            levels = sorted({str(v) for v in a} | {str(v) for v in b})
            table = [[sum(str(v) == k for v in x) for k in levels] for x in (a, b)]
            want = stats.chi2_contingency(table, correction=False).pvalue
        else:
            continue
        assert result.p_value == pytest.approx(want, rel=1e-10, abs=1e-300), column
