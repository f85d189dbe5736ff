"""Classifier two-sample test on whole rows (Lopez-Paz & Oquab, 2017).

A gradient-boosted classifier (scikit-learn's ``HistGradientBoostingClassifier``, seeded)
learns to tell reference rows (0) from current rows (1) on a stratified half of the
data; on the held-out half its AUC is the Mann-Whitney U statistic divided by
``n0 * n1``. Under no drift the held-out labels are exchangeable given the scores (the
classifier never saw them), so the one-sided Mann-Whitney test (Mann & Whitney, 1947) is
the permutation test of the AUC, with scipy's exact or normal-approximation null. The
effect size is ``AUC - 0.5``.

Numeric (and boolean, datetime) columns are used as they are, NaN being a missing value
the trees route natively; other columns are categorical: their most frequent
``MAX_LEVELS`` levels get codes, rarer ones share one "other" code. After the test the
fitted classifier is kept in ``model_``; :meth:`DomainClassifier.calibrated_classifier`
recalibrates it on the held-out half on first use (Platt scaling; Platt, 1999), and
:meth:`DomainClassifier.domain_probabilities` and :meth:`DomainClassifier.density_ratio`
reuse that (e.g. for importance weighting).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from driftline.drift.base import DriftTest, _Computed, _is_int, _is_real
from driftline.errors import DataError, ModelError, fail

#: Categorical levels with their own code (HistGradientBoosting allows < 255 codes).
MAX_LEVELS = 253


@dataclass(frozen=True)
class FrameEncoder:
    """Column-wise encoding of a frame into the float matrix the classifier reads."""

    columns: tuple[str, ...]
    levels: dict[str, tuple[Any, ...]]  # categorical column -> levels with their own code

    @property
    def categorical_mask(self) -> np.ndarray:
        return np.array([c in self.levels for c in self.columns])

    @classmethod
    def fit(cls, frame: pd.DataFrame) -> FrameEncoder:
        levels = {}
        for name in frame.columns:
            col = frame[name]
            if not _is_numeric(col):
                counts = col.value_counts(dropna=True)
                levels[str(name)] = tuple(counts.index[:MAX_LEVELS])
        return cls(columns=tuple(str(c) for c in frame.columns), levels=levels)

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        missing = [c for c in self.columns if c not in frame.columns.astype(str)]
        if missing:
            raise DataError(
                fail(f"frame lacks the columns {missing}", "pass the columns the test was run on")
            )
        frame = frame.set_axis(frame.columns.astype(str), axis=1)
        out = np.empty((len(frame), len(self.columns)))
        for j, name in enumerate(self.columns):
            col = frame[name]
            if name in self.levels:
                codes = pd.Categorical(col, categories=list(self.levels[name])).codes
                encoded = codes.astype(np.float64)
                unknown = codes == -1
                is_na = pd.isna(col).to_numpy()
                encoded[unknown & ~is_na] = len(self.levels[name])  # the "other" code
                encoded[unknown & is_na] = np.nan
                out[:, j] = encoded
            elif pd.api.types.is_datetime64_any_dtype(col):
                values = col.to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(np.float64)
                values[pd.isna(col).to_numpy()] = np.nan
                out[:, j] = values
            else:
                out[:, j] = col.to_numpy(dtype=np.float64, na_value=np.nan)
        return out


def _is_numeric(col: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(col) or pd.api.types.is_datetime64_any_dtype(col))


class DomainClassifier(DriftTest):
    """Classifier two-sample test of whole rows (numeric and categorical columns).

    Parameters
    ----------
    alpha, threshold
        See :class:`~driftline.drift.base.DriftTest`.
    test_size : float
        Share of the rows held out (stratified) to measure the AUC.
    max_rows : int
        Each side is subsampled (seeded) to at most this many rows to bound the cost.
    max_iter : int
        Boosting iterations (early stopping on 20 % of the training half, 10 rounds).
    n_threads : int or None
        OpenMP threads for the classifier (1 by default: predictable cost inside a worker
        that shares the machine; None uses scikit-learn's default).
    seed : int
        Seed of subsampling, split and classifier.

    Default floor AUC - 0.5 >= 0.01: a single feature shifted by 0.2 sd gives an optimal
    AUC of ``Phi(0.2 / sqrt(2)) = 0.556``, and the learned classifier reaches about 0.53
    at n = 5000 per side (held-out AUC sd about 0.008); a 0.01-sd shift has an optimal
    AUC of 0.503, below the floor at any size (at ``max_rows`` = 50,000 per side the
    held-out AUC has an sd of about 0.002).

    >>> rng = np.random.default_rng(0)
    >>> ref = pd.DataFrame({"x": rng.normal(size=600), "c": rng.choice(["a", "b"], 600)})
    >>> cur = pd.DataFrame({"x": rng.normal(1, 1, size=600), "c": rng.choice(["a", "b"], 600)})
    >>> test = DomainClassifier()
    >>> r = test.test(ref, cur)
    >>> r.is_drift, r.details["auc"] > 0.6
    (True, True)
    >>> test.domain_probabilities(cur.head(3)).shape
    (3,)
    """

    kind: ClassVar[str] = "multivariate"
    input_type: ClassVar[str] = "frame"
    method: ClassVar[str] = "domain_classifier"
    effect_size_name: ClassVar[str] = "auc_minus_half"
    default_threshold: ClassVar[float] = 0.01
    reference: ClassVar[str] = (
        "Lopez-Paz & Oquab (2017), Revisiting classifier two-sample tests, ICLR; "
        "Mann & Whitney (1947)"
    )

    def __init__(
        self,
        alpha: float = 0.05,
        threshold: float | None = None,
        *,
        test_size: float = 0.5,
        max_rows: int = 50_000,
        max_iter: int = 200,
        n_threads: int | None = 1,
        seed: int = 0,
    ) -> None:
        super().__init__(alpha, threshold)
        self.test_size = test_size
        self.max_rows = max_rows
        self.max_iter = max_iter
        self.n_threads = n_threads
        self.seed = seed

    def _param_checks(self) -> Iterable[tuple[str, bool, str]]:
        return (
            (
                "test_size",
                _is_real(self.test_size) and 0.1 <= self.test_size <= 0.9,
                "a number in [0.1, 0.9]",
            ),
            ("max_rows", _is_int(self.max_rows, 10), "an integer >= 10"),
            ("max_iter", _is_int(self.max_iter, 1), "an integer >= 1"),
            ("n_threads", self.n_threads is None or _is_int(self.n_threads, 1), "None or >= 1"),
            ("seed", _is_int(self.seed, 0), "an integer >= 0"),
        )

    # -- after the test ---------------------------------------------------------------

    def calibrated_classifier(self) -> CalibratedClassifierCV:
        """The classifier of the last test, Platt-calibrated on its held-out half.

        Built on first use (the test itself does not need it) and cached; it reads the
        encoded matrix of :attr:`encoder_` (``encoder_.transform(frame)``).
        """
        if getattr(self, "model_", None) is None:
            raise ModelError(
                fail("DomainClassifier has not been fitted", "call test(reference, current)")
            )
        if self._calibrated is None:
            calibrated = CalibratedClassifierCV(FrozenEstimator(self.model_), method="sigmoid")
            with threadpool_limits(limits=self.n_threads, user_api="openmp"):
                calibrated.fit(*self._held_out)
            self._calibrated = calibrated
        return self._calibrated

    def domain_probabilities(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated probability that each row comes from the *current* sample.

        The probabilities carry the class balance of the training half (see
        ``current_share_``); :meth:`density_ratio` removes it.
        """
        if not isinstance(frame, pd.DataFrame):
            raise DataError(fail(f"got a {type(frame).__name__}", "pass a pandas DataFrame"))
        classifier = self.calibrated_classifier()
        with threadpool_limits(limits=self.n_threads, user_api="openmp"):
            return classifier.predict_proba(self.encoder_.transform(frame))[:, 1]

    def density_ratio(self, frame: pd.DataFrame, clip: float = 20.0) -> np.ndarray:
        """Estimated ``p_current(x) / p_reference(x)`` per row, clipped to ``[0, clip]``."""
        p = np.clip(self.domain_probabilities(frame), 1e-6, 1 - 1e-6)
        prior = self.current_share_
        return np.clip(p / (1 - p) * (1 - prior) / prior, 0.0, clip)

    # -- test -------------------------------------------------------------------------

    def _compute(self, reference: pd.DataFrame, current: pd.DataFrame) -> _Computed:
        rng = np.random.default_rng(self.seed)
        ref = _subsample(reference, self.max_rows, rng)
        cur = _subsample(current, self.max_rows, rng)
        frame = pd.concat([ref, cur], ignore_index=True)
        encoder = FrameEncoder.fit(frame)
        x = encoder.transform(frame)
        y = np.r_[np.zeros(len(ref), dtype=np.int64), np.ones(len(cur), dtype=np.int64)]
        x_train, x_test, y_train, y_test = train_test_split(
            x, y, test_size=self.test_size, stratify=y, random_state=self.seed
        )
        model = HistGradientBoostingClassifier(
            max_iter=self.max_iter,
            early_stopping=True,
            validation_fraction=0.2,
            n_iter_no_change=10,
            categorical_features=encoder.categorical_mask,
            random_state=self.seed,
        )
        with threadpool_limits(limits=self.n_threads, user_api="openmp"):
            model.fit(x_train, y_train)
            scores = model.predict_proba(x_test)[:, 1]
        auc, p_value = _auc_test(scores[y_test == 1], scores[y_test == 0])
        self.model_ = model
        self.encoder_ = encoder
        self.current_share_ = float(y_train.mean())
        self._held_out = (x_test, y_test)
        self._calibrated = None
        return _Computed(
            statistic=auc,
            p_value=p_value,
            effect_size=auc - 0.5,
            details={
                "auc": auc,
                "n_train": int(len(y_train)),
                "n_test": int(len(y_test)),
                "n_iter": int(model.n_iter_),
                "accuracy": float(np.mean((scores >= 0.5) == y_test)),
                "categorical_columns": sorted(encoder.levels),
            },
        )


def _subsample(frame: pd.DataFrame, max_rows: int, rng: np.random.Generator) -> pd.DataFrame:
    if len(frame) <= max_rows:
        return frame
    return frame.iloc[np.sort(rng.choice(len(frame), max_rows, replace=False))]


def _auc_test(positive: np.ndarray, negative: np.ndarray) -> tuple[float, float]:
    """Held-out AUC and one-sided Mann-Whitney p-value (H1: positives score higher)."""
    if np.ptp(np.r_[positive, negative]) == 0:
        return 0.5, 1.0
    result = stats.mannwhitneyu(positive, negative, alternative="greater")
    return float(result.statistic / (len(positive) * len(negative))), float(result.pvalue)
