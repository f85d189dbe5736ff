"""The promotion gate: may the challenger replace the champion?

Both models are scored on the *same* recent labelled hold-out rows, so the comparison is
paired: with per-row higher-is-better scores ``s`` (see
:func:`driftline.training.metrics.row_scores`), ``d_i = s_challenger,i - s_champion,i``
and ``diff = mean(d)``. With a hold-out of fewer than ``min_rows`` rows nothing is
promoted. Otherwise one of three one-sided tests at level ``alpha`` decides, with ``m``
the margin (accuracy points, or with ``relative_margin`` a fraction of the champion's
loss, e.g. of its MAE):

``superiority``
    promote when the challenger is significantly better by more than ``m``:
    ``ci_low > m`` and ``diff > m`` (``ci_low``: the lower one-sided ``1 - alpha``
    confidence bound of the mean difference). Use it when nothing argues for the
    challenger beforehand (a new model specification on the same data).
``non_inferiority``
    promote when the challenger is significantly *not worse* than ``-m``: ``ci_low > -m``
    (Blackwelder, 1982; the usual non-inferiority trial design).
``not_worse``
    promote unless the challenger is significantly worse than ``-m``: refuse when the
    upper bound ``ci_high < -m``. The burden of proof is on the champion: use it when
    fresher data argues for the challenger (a model trained on the newest batches), so
    that a small hold-out cannot stop every update, while a challenger that the hold-out
    shows to be clearly worse is still refused.

Below ``min_rows`` rows nothing can be shown either way and each test keeps its burden
of proof: ``not_worse`` promotes, the other two do not.

:class:`BootstrapGate` — paired percentile bootstrap (Efron & Tibshirani, 1993): ``n_boot``
resamples of rows (the same rows for both models; blocks of consecutive rows when the
differences are autocorrelated, as time-ordered rows often are — the circular block
bootstrap, Politis & Romano, 1992, block length from :func:`block_length`); ``ci_low`` / ``ci_high`` are the
``alpha`` and ``1 - alpha`` quantiles of the resampled mean difference. The p-value is
that of the decision's test (``superiority``: ``P*(diff* <= m)``; ``non_inferiority``:
``P*(diff* <= -m)``; ``not_worse``: ``P*(diff* >= -m)``, small when the challenger is
worse). When the per-row differences take few distinct values (accuracy: -1, 0, 1) a
resample is drawn as one multinomial count vector, which is the same distribution at
O(n_boot) cost.

:class:`McNemarGate` — exact McNemar test (McNemar, 1947) for accuracy, superiority only:
with ``b`` rows only the challenger gets right and ``c`` only the champion gets right, the
one-sided p-value is ``P(Binomial(b + c, 1/2) >= b)``; promote when ``p < alpha`` and
``diff > margin``. The reported interval is the Wald interval of a paired difference of
proportions.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> y = rng.integers(0, 2, 2000)
>>> champion = np.where(rng.random(2000) < 0.70, y, 1 - y)     # 70% accurate
>>> challenger = np.where(rng.random(2000) < 0.80, y, 1 - y)   # 80% accurate
>>> BootstrapGate(margin=0.01).compare(y, champion, challenger).promote
True
>>> BootstrapGate(margin=0.01).compare(y, challenger, champion).promote
False
>>> BootstrapGate(test="not_worse").compare(y[:60], champion[:60], champion[:60]).promote
True
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import stats

from driftline.errors import ConfigError, DataError, fail
from driftline.training.metrics import GATE_METRICS, model_output, row_scores, split_xy
from driftline.training.spec import ModelSpec

_MAX_DISTINCT = 16
_CHUNK_ELEMENTS = 4_000_000


@dataclass(frozen=True)
class GateResult:
    """The gate's verdict; scores are the metric's natural values (e.g. accuracy, MAE)."""

    promote: bool
    metric: str
    champion_score: float
    challenger_score: float
    diff: float
    ci_low: float
    ci_high: float
    p_value: float
    reason: str
    method: str = ""
    margin: float = 0.0
    n: int = 0
    test: str = "superiority"

    def to_dict(self) -> dict[str, Any]:
        return {
            k: (None if isinstance(v, float) and not np.isfinite(v) else v)
            for k, v in asdict(self).items()
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GateResult:
        fields = cls.__dataclass_fields__
        return cls(
            **{
                k: (float("nan") if v is None and k != "reason" else v)
                for k, v in d.items()
                if k in fields
            }
        )


TESTS: tuple[str, ...] = ("superiority", "non_inferiority", "not_worse")


class Gate(ABC):
    """Base of the promotion gates; :meth:`compare` owns validation and the decision.

    Parameters
    ----------
    metric : str
        ``accuracy`` or ``log_loss`` (classification), ``mae`` or ``mse`` (regression).
    margin : float
        The margin ``m`` of the test (module docstring), at least 0: accuracy points,
        log-loss nats or MAE units, or a fraction of the champion's loss with
        ``relative_margin``.
    alpha : float
        Significance level (one-sided).
    min_rows : int
        Smallest hold-out on which a promotion may be decided.
    test : {"superiority", "non_inferiority", "not_worse"}
        The decision rule (module docstring).
    relative_margin : bool
        Read ``margin`` as a fraction of the champion's mean loss (``mae``, ``mse``,
        ``log_loss``); ignored for accuracy.
    """

    method: ClassVar[str]
    metrics: ClassVar[tuple[str, ...]] = ("accuracy", "log_loss", "mae", "mse")
    tests: ClassVar[tuple[str, ...]] = TESTS

    def __init__(
        self,
        metric: str = "accuracy",
        margin: float = 0.0,
        alpha: float = 0.05,
        min_rows: int = 30,
        test: str = "superiority",
        relative_margin: bool = False,
    ) -> None:
        self.metric = metric
        self.margin = margin
        self.alpha = alpha
        self.min_rows = min_rows
        self.test = test
        self.relative_margin = relative_margin

    def validate(self) -> None:
        if self.metric not in self.metrics:
            raise ConfigError(
                fail(
                    f"{self.method} gate metric {self.metric!r}", f"use one of {list(self.metrics)}"
                )
            )
        if self.test not in self.tests:
            raise ConfigError(
                fail(f"{self.method} gate test {self.test!r}", f"use one of {list(self.tests)}")
            )
        if not (
            isinstance(self.margin, int | float)
            and not isinstance(self.margin, bool)
            and self.margin >= 0
        ):
            raise ConfigError(
                fail(f"margin={self.margin!r}", "use 0 or more (the test says which side)")
            )
        if not 0 < self.alpha < 0.5:
            raise ConfigError(fail(f"alpha={self.alpha!r}", "use a level in (0, 0.5), e.g. 0.05"))
        if not isinstance(self.min_rows, int) or self.min_rows < 1:
            raise ConfigError(fail(f"min_rows={self.min_rows!r}", "use a positive integer"))

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "metric": self.metric,
            "margin": self.margin,
            "alpha": self.alpha,
            "min_rows": self.min_rows,
            "test": self.test,
            "relative_margin": self.relative_margin,
        }

    def compare(
        self,
        y_true: Any,
        champion_prediction: Any,
        challenger_prediction: Any,
        classes: Any = None,
    ) -> GateResult:
        """Decide on predictions of both models for the same rows.

        Predictions are labels/values, or probability matrices (columns in ``classes``
        order) for ``log_loss``.
        """
        self.validate()
        y = np.asarray(y_true)
        s_old = row_scores(self.metric, y, np.asarray(champion_prediction), classes)
        s_new = row_scores(self.metric, y, np.asarray(challenger_prediction), classes)
        if not len(s_old) == len(s_new) == len(y):
            raise DataError(
                fail("the two models were scored on different rows", "score the same hold-out")
            )
        n = len(y)
        sign = -1.0 if self.metric in ("log_loss", "mae", "mse") else 1.0  # report the metric
        nan = float("nan")
        old = sign * float(np.mean(s_old)) if n else nan
        new = sign * float(np.mean(s_new)) if n else nan
        diff = float(np.mean(s_new - s_old)) if n else nan
        margin = self.effective_margin(old)
        common = {
            "metric": self.metric,
            "champion_score": old,
            "challenger_score": new,
            "diff": diff,
            "method": self.method,
            "test": self.test,
            "margin": margin,
            "n": n,
        }
        if n < self.min_rows:
            # too few rows to test: each test keeps its burden of proof, so a fresh
            # challenger (not_worse) is promoted and any other one is not
            fresh = self.test == "not_worse"
            reason = f"hold-out has {n} rows < min_rows={self.min_rows}: too few to test; " + (
                "promoted on fresher data" if fresh else "not promoted"
            )
            return GateResult(
                promote=fresh, ci_low=nan, ci_high=nan, p_value=nan, reason=reason, **common
            )
        threshold = margin if self.test == "superiority" else -margin
        ci_low, ci_high, p_value = self._test(s_old, s_new, threshold)
        if self.test == "not_worse":
            passed = bool(ci_high >= threshold)
            verdict = (
                f"is {'not ' if passed else ''}significantly below -{margin:.4g}"
                f" at alpha={self.alpha:g}"
            )
        else:
            passed = self._passes(diff, ci_low, p_value, threshold)
            verdict = (
                f"is {'' if passed else 'not '}significantly above "
                f"{threshold:+.4g} at alpha={self.alpha:g}"
            )
        reason = (
            f"challenger {self.metric} {new:.4g} vs champion {old:.4g} on {n} rows: "
            f"improvement {diff:+.4g} (CI [{ci_low:+.4g}, {ci_high:+.4g}], p={p_value:.3g}) "
            f"{verdict} ({self.method}, {self.test.replace('_', '-')})"
        )
        return GateResult(
            promote=passed, ci_low=ci_low, ci_high=ci_high, p_value=p_value, reason=reason, **common
        )

    def effective_margin(self, champion_score: float) -> float:
        """The margin in per-row score units (``relative_margin``: times the champion's loss)."""
        if self.relative_margin and self.metric != "accuracy" and np.isfinite(champion_score):
            return float(self.margin) * abs(champion_score)
        return float(self.margin)

    def _passes(self, diff: float, ci_low: float, p_value: float, threshold: float) -> bool:
        if self.test == "superiority":
            return bool(diff > threshold and ci_low > threshold)
        return bool(ci_low > threshold)

    @abstractmethod
    def _test(
        self, s_old: np.ndarray, s_new: np.ndarray, threshold: float
    ) -> tuple[float, float, float]:
        """``(ci_low, ci_high, p_value)`` of the mean per-row improvement against ``threshold``."""

    def evaluate(
        self, champion: Any, challenger: Any, holdout: pd.DataFrame, spec: ModelSpec
    ) -> GateResult:
        """Score both fitted models on ``holdout`` and :meth:`compare` them."""
        self.validate()
        if self.metric not in GATE_METRICS[spec.task]:
            raise ConfigError(
                fail(
                    f"metric {self.metric!r} does not fit a {spec.task} model",
                    f"use one of {list(GATE_METRICS[spec.task])}",
                )
            )
        X, y = split_xy(holdout, spec)
        old, classes_old = model_output(champion, X, self.metric)
        new, classes_new = model_output(challenger, X, self.metric)
        if self.metric == "log_loss" and list(classes_old) != list(classes_new):
            raise DataError(fail("the models know different classes", "gate on accuracy"))
        return self.compare(y, old, new, classes_new)


class BootstrapGate(Gate):
    """Paired percentile bootstrap of the mean per-row improvement (module docstring).

    Parameters
    ----------
    n_boot : int
        Bootstrap resamples.
    seed : int
        Seed of the resampling (the decision is deterministic for a seed).
    block : int or "auto"
        Rows per block of the circular block bootstrap for time-ordered rows
        (:func:`block_length` from the differences' autocorrelation with ``"auto"``;
        1: the row bootstrap).
    """

    method = "paired_bootstrap"

    def __init__(
        self,
        metric: str = "accuracy",
        margin: float = 0.0,
        alpha: float = 0.05,
        min_rows: int = 30,
        n_boot: int = 2000,
        seed: int = 0,
        test: str = "superiority",
        relative_margin: bool = False,
        block: int | str = "auto",
    ) -> None:
        super().__init__(metric, margin, alpha, min_rows, test, relative_margin)
        self.n_boot = n_boot
        self.seed = seed
        self.block = block

    def validate(self) -> None:
        super().validate()
        if not isinstance(self.n_boot, int) or self.n_boot < 100:
            raise ConfigError(fail(f"n_boot={self.n_boot!r}", "use an integer >= 100, e.g. 2000"))
        if self.block != "auto" and not (
            isinstance(self.block, int) and not isinstance(self.block, bool) and self.block >= 1
        ):
            raise ConfigError(fail(f"block={self.block!r}", "use 'auto' or an integer >= 1"))

    def to_dict(self) -> dict[str, Any]:
        return {
            **super().to_dict(),
            "n_boot": self.n_boot,
            "seed": self.seed,
            "block": self.block,
        }

    def _test(self, s_old, s_new, threshold):
        d = s_new - s_old
        block = block_length(d) if self.block == "auto" else int(self.block)
        boot = bootstrap_means(d, self.n_boot, np.random.default_rng(self.seed), block)
        lo, hi = np.quantile(boot, [self.alpha, 1 - self.alpha])
        if self.test == "not_worse":
            p_value = (1 + int(np.sum(boot >= threshold))) / (1 + self.n_boot)
        else:
            p_value = (1 + int(np.sum(boot <= threshold))) / (1 + self.n_boot)
        return float(lo), float(hi), float(p_value)


class McNemarGate(Gate):
    """Exact one-sided McNemar test on accuracy, superiority only (module docstring)."""

    method = "mcnemar_exact"
    metrics = ("accuracy",)
    tests = ("superiority",)

    def _passes(self, diff, ci_low, p_value, threshold):
        return bool(diff > threshold and p_value < self.alpha)

    def _test(self, s_old, s_new, threshold):
        n = len(s_old)
        b = int(np.sum((s_new == 1) & (s_old == 0)))
        c = int(np.sum((s_new == 0) & (s_old == 1)))
        p_value = float(stats.binom.sf(b - 1, b + c, 0.5)) if b + c else 1.0
        diff = (b - c) / n
        se = np.sqrt(max(b + c - (b - c) ** 2 / n, 0.0)) / n
        z = stats.norm.ppf(1 - self.alpha)
        return float(diff - z * se), float(diff + z * se), p_value


def block_length(d: np.ndarray, max_lag: int | None = None) -> int:
    """Block length for time-ordered per-row differences: twice the dependence's reach.

    The reach is the smallest lag ``k`` at which the sample autocorrelation of ``d`` is
    inside the ``2 / sqrt(n)`` band of an uncorrelated series (searched up to
    ``sqrt(n)``); the block is ``2 k`` rows, capped at ``sqrt(n)`` (1 when ``k == 1``: no
    dependence, the ordinary bootstrap). A block no longer than the dependence cuts most
    runs and under-covers; twice as long is the conservative choice. Rows that come in runs (Elec2's
    labels follow the price's runs) make a row-level bootstrap over-confident; blocks that
    span the runs keep the interval honest (Künsch, 1989; Politis & Romano, 1992).

    >>> rng = np.random.default_rng(0)
    >>> block_length(rng.normal(size=400))
    1
    >>> block_length(np.repeat(rng.normal(size=40), 10)) >= 5  # runs of 10 rows
    True
    """
    x = np.asarray(d, dtype=float)
    n = len(x)
    if n < 8:
        return 1
    x = x - x.mean()
    var = float(x @ x)
    if var <= 0:
        return 1
    band = 2.0 / np.sqrt(n)
    limit = max_lag or int(np.sqrt(n))
    for k in range(1, limit + 1):
        if abs(float(x[:-k] @ x[k:]) / var) < band:
            return 1 if k == 1 else min(2 * k, limit)
    return limit


def bootstrap_means(
    d: np.ndarray, n_boot: int, rng: np.random.Generator, block: int = 1
) -> np.ndarray:
    """``n_boot`` bootstrap replicates of ``mean(d)``.

    ``block == 1``: rows resampled with replacement; ``block > 1``: the circular block
    bootstrap (Politis & Romano, 1992) — ``ceil(n / block)`` blocks of ``block``
    consecutive rows (wrapping around) with uniform random starts, cut to ``n`` rows.
    """
    d = np.asarray(d, dtype=float)
    n = len(d)
    if block > 1 and n > block:
        k = -(-n // block)
        out = np.empty(n_boot)
        step = max(1, _CHUNK_ELEMENTS // (k * block))
        offsets = np.arange(block)
        for start in range(0, n_boot, step):
            stop = min(n_boot, start + step)
            starts = rng.integers(0, n, size=(stop - start, k, 1))
            idx = ((starts + offsets) % n).reshape(stop - start, k * block)[:, :n]
            out[start:stop] = d[idx].mean(axis=1)
        return out
    values, counts = np.unique(d, return_counts=True)
    if len(values) <= _MAX_DISTINCT:
        draws = rng.multinomial(n, counts / n, size=n_boot)
        return draws @ values / n
    out = np.empty(n_boot)
    step = max(1, _CHUNK_ELEMENTS // n)
    for start in range(0, n_boot, step):
        stop = min(n_boot, start + step)
        idx = rng.integers(0, n, size=(stop - start, n))
        out[start:stop] = d[idx].mean(axis=1)
    return out
