"""Base of the label-free performance estimators, and the estimate they return.

A :class:`PerformanceEstimator` is fitted once on labelled reference rows — the
champion's hold-out, rows it was not trained on — and then estimates, from a new batch's
model outputs alone, what each metric will be once the batch's labels arrive.
:meth:`~PerformanceEstimator.fit` and :meth:`~PerformanceEstimator.estimate` are the
public methods and own what every estimator shares (parameter and input checks, the
band); a subclass implements the hooks ``_check``, ``_fit``, ``_realized`` and
``_estimate``.

**Band.** The estimate ``m_hat`` targets the expectation of the realized metric given the
batch's features. The band around it adds two independent parts in quadrature:

* the batch's own sampling spread: the realized metric is random even when ``m_hat`` is
  exact (a row predicted right with probability 0.8 is right or wrong). Each estimator
  gives its standard deviation ``sd_batch`` (CBPE: labels drawn from the calibrated
  probabilities; DLE: the spread of the absolute errors around their model);
* the reference's sampling error ``sd_ref``: the calibration (or the error model) was
  fitted on ``n_ref`` rows; its error is taken as the bootstrap standard error of the
  metric on the reference rows (Efron & Tibshirani, 1993).

``band = m_hat ± z_(1+confidence)/2 * sqrt(sd_batch² + sd_ref²)``, clipped to the metric's
range. It is a prediction interval for the realized value *when the estimator's
assumption holds* (covariate or label shift: ``p(y | x)`` unchanged); under concept drift
neither the estimate nor its band mean anything (``docs/estimation.md``).
"""

from __future__ import annotations

import functools
import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Self

import numpy as np

from driftline.errors import ConfigError, DataError, fail
from driftline.estimate.scored import Scored

#: Metrics where lower is better.
LOWER_IS_BETTER: tuple[str, ...] = ("mae",)
#: The range each metric lives in (for clipping the band).
METRIC_RANGE: dict[str, tuple[float, float]] = {
    "accuracy": (0.0, 1.0),
    "f1": (0.0, 1.0),
    "roc_auc": (0.0, 1.0),
    "mae": (0.0, math.inf),
}


@dataclass(frozen=True)
class Estimate:
    """The estimated value of one metric on one batch without labels.

    Attributes
    ----------
    metric : str
        ``accuracy``, ``f1``, ``roc_auc`` or ``mae``.
    value : float
        The estimate.
    low, high : float
        The band (module docstring).
    n : int
        Rows of the batch.
    method : str
        ``cbpe`` or ``dle``.
    reference_value : float
        The metric realized on the reference rows (the hold-out).
    n_reference : int
        Reference rows.
    confidence : float
        Coverage the band aims at.
    """

    metric: str
    value: float
    low: float
    high: float
    n: int
    method: str
    reference_value: float
    n_reference: int
    confidence: float = 0.95

    @property
    def higher_is_better(self) -> bool:
        return self.metric not in LOWER_IS_BETTER

    @property
    def change(self) -> float:
        """``value - reference_value`` (negative: worse for accuracy, better for MAE)."""
        return self.value - self.reference_value

    def covers(self, realized: float) -> bool:
        """Whether ``realized`` lies in the band."""
        return self.low <= realized <= self.high

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            k: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in asdict(self).items()
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Estimate:
        """Inverse of :meth:`to_dict`."""
        try:
            return cls(
                metric=str(d["metric"]),
                value=_float(d["value"]),
                low=_float(d["low"]),
                high=_float(d["high"]),
                n=int(d["n"]),
                method=str(d["method"]),
                reference_value=_float(d["reference_value"]),
                n_reference=int(d["n_reference"]),
                confidence=float(d.get("confidence", 0.95)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(
                fail(f"malformed performance estimate ({exc!r})", "pass Estimate.to_dict()")
            ) from None


def _float(v: Any) -> float:
    return float("nan") if v is None else float(v)


class PerformanceEstimator(ABC):
    """Base of CBPE and DLE: :meth:`fit` on labelled reference rows, :meth:`estimate` after.

    Parameters
    ----------
    metrics : sequence of str
        Metrics to estimate, among the subclass's ``supported``; the first is the primary.
    confidence : float
        Coverage of the band, in (0, 1).
    n_draws : int
        Draws of the sampled parts of the band (bootstrap and label draws).
    min_rows : int
        Fewest reference rows.
    seed : int
        Seed of every draw (the same inputs give the same band).
    """

    method: ClassVar[str]
    citation: ClassVar[str]
    supported: ClassVar[tuple[str, ...]]

    def __init__(
        self,
        *,
        metrics: Sequence[str] | None = None,
        confidence: float = 0.95,
        n_draws: int = 200,
        min_rows: int = 30,
        seed: int = 0,
    ) -> None:
        self.metrics = tuple(self.supported if metrics is None else metrics)
        self.confidence = confidence
        self.n_draws = n_draws
        self.min_rows = min_rows
        self.seed = seed
        self.reference_values: dict[str, float] = {}
        self.reference_sd: dict[str, float] = {}
        self.n_reference = 0

    # -- public -----------------------------------------------------------------------

    def validate(self) -> None:
        """Raise :class:`ConfigError` naming the first invalid parameter."""
        unknown = [m for m in self.metrics if m not in self.supported]
        checks = [
            ("metrics", bool(self.metrics) and not unknown, f"some of {list(self.supported)}"),
            ("confidence", _is_number(self.confidence) and 0 < self.confidence < 1, "(0, 1)"),
            ("n_draws", _is_int(self.n_draws) and self.n_draws >= 20, "an integer >= 20"),
            ("min_rows", _is_int(self.min_rows) and self.min_rows >= 2, "an integer >= 2"),
            ("seed", _is_int(self.seed), "an integer"),
            *self._param_checks(),
        ]
        for name, ok, what in checks:
            if not ok:
                raise ConfigError(
                    fail(f"{type(self).__name__} {name}={getattr(self, name)!r}", f"use {what}")
                )

    @property
    def fitted(self) -> bool:
        return self.n_reference > 0

    def fit(self, reference: Scored) -> Self:
        """Fit on labelled reference rows (the model's hold-out); returns ``self``."""
        self.validate()
        if reference.labels is None:
            raise DataError(
                fail("the reference rows have no labels", "pass the labelled hold-out rows")
            )
        if reference.n < self.min_rows:
            raise DataError(
                fail(
                    f"{reference.n} reference rows < min_rows={self.min_rows}",
                    "pass a larger labelled hold-out",
                )
            )
        self._check(reference, reference=True)
        self._fit(reference)
        self.reference_values = self._realized(reference)
        self.reference_sd = self._reference_sd(reference, np.random.default_rng(self.seed))
        self.n_reference = reference.n
        return self

    def estimate(self, current: Scored) -> dict[str, Estimate]:
        """Estimate every metric on ``current`` (its labels, if any, are not read)."""
        if not self.fitted:
            raise ConfigError(fail(f"{type(self).__name__} is not fitted", "call fit() first"))
        if current.n == 0:
            raise DataError(fail("the batch has no rows", "pass the scored batch"))
        current = current.without_labels()
        self._check(current, reference=False)
        rng = np.random.default_rng([self.seed, current.n])
        z = _normal_quantile(0.5 + self.confidence / 2)
        out = {}
        for metric, (value, sd_batch) in self._estimate(current, rng).items():
            sd = math.hypot(sd_batch, self.reference_sd.get(metric, 0.0))
            lo, hi = METRIC_RANGE[metric]
            out[metric] = Estimate(
                metric=metric,
                value=float(value),
                low=float(min(max(value - z * sd, lo), hi)) if math.isfinite(value) else value,
                high=float(min(max(value + z * sd, lo), hi)) if math.isfinite(value) else value,
                n=current.n,
                method=self.method,
                reference_value=self.reference_values.get(metric, float("nan")),
                n_reference=self.n_reference,
                confidence=self.confidence,
            )
        return out

    def realized(self, scored: Scored) -> dict[str, float]:
        """The metrics realized on labelled rows (what the estimate is judged against)."""
        if scored.labels is None:
            raise DataError(fail("the rows have no labels", "pass labelled rows"))
        self._check(scored, reference=True)
        return self._realized(scored)

    # -- hooks ------------------------------------------------------------------------

    def _param_checks(self) -> Iterable[tuple[str, bool, str]]:
        return ()

    @abstractmethod
    def _check(self, scored: Scored, *, reference: bool) -> None:
        """Raise :class:`DataError` when ``scored`` lacks what the estimator reads."""

    @abstractmethod
    def _fit(self, reference: Scored) -> None:
        """Fit the calibration or the error model."""

    @abstractmethod
    def _realized(self, scored: Scored) -> dict[str, float]:
        """Realized metrics of labelled rows."""

    @abstractmethod
    def _reference_sd(self, reference: Scored, rng: np.random.Generator) -> dict[str, float]:
        """Bootstrap standard error of each metric on the reference rows."""

    @abstractmethod
    def _estimate(
        self, current: Scored, rng: np.random.Generator
    ) -> dict[str, tuple[float, float]]:
        """``metric -> (estimate, sd_batch)``."""


def bootstrap_indices(n: int, draws: int, rng: np.random.Generator) -> np.ndarray:
    """``(draws, n)`` row positions drawn with replacement."""
    return rng.integers(0, n, size=(draws, n))


def nan_sd(values: np.ndarray) -> float:
    """Standard deviation of the finite values (0 when fewer than two)."""
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    return float(finite.std(ddof=1)) if len(finite) > 1 else 0.0


@functools.lru_cache(maxsize=16)
def _normal_quantile(p: float) -> float:
    from scipy.special import ndtri

    return float(ndtri(p))


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.number) and not isinstance(value, bool)
