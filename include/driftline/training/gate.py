"""The promotion gate: is the challenger really better than the champion?

Both models are scored on the *same* recent labelled hold-out rows, so the comparison is
paired: with per-row higher-is-better scores ``s`` (see
:func:`driftline.training.metrics.row_scores`), ``d_i = s_challenger,i - s_champion,i``
and ``diff = mean(d)``. The challenger is promoted only when

* the hold-out has at least ``min_rows`` rows, and
* ``diff > margin`` and the test below says so at level ``alpha``.

:class:`BootstrapGate` — paired percentile bootstrap (Efron & Tibshirani, 1993): ``n_boot``
resamples of rows (the same rows for both models), ``ci_low`` / ``ci_high`` are the
``alpha`` and ``1 - alpha`` quantiles of the resampled mean difference; promote when
``ci_low > margin``. The p-value is ``(1 + #{diff* <= margin}) / (1 + n_boot)``. When the
per-row differences take few distinct values (accuracy: -1, 0, 1) a resample is drawn as
one multinomial count vector, which is the same distribution at O(n_boot) cost.

:class:`McNemarGate` — exact McNemar test (McNemar, 1947) for accuracy: with ``b`` rows
only the challenger gets right and ``c`` only the champion gets right, the one-sided
p-value is ``P(Binomial(b + c, 1/2) >= b)``; promote when ``p < alpha`` and
``diff > margin``. The reported interval is the Wald interval of a paired difference of
proportions.

A worse model is never promoted: ``margin >= 0`` is enforced, so promotion needs a
positive estimated improvement in every case.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> y = rng.integers(0, 2, 2000)
>>> champion = np.where(rng.random(2000) < 0.70, y, 1 - y)     # 70% accurate
>>> challenger = np.where(rng.random(2000) < 0.80, y, 1 - y)   # 80% accurate
>>> BootstrapGate(margin=0.01).compare(y, champion, challenger).promote
True
>>> BootstrapGate(margin=0.01).compare(y, challenger, champion).promote
False
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


class Gate(ABC):
    """Base of the promotion gates; :meth:`compare` owns validation and the decision.

    Parameters
    ----------
    metric : str
        ``accuracy`` or ``log_loss`` (classification), ``mae`` or ``mse`` (regression).
    margin : float
        Required improvement in the per-row score (accuracy points, log-loss nats, MAE
        units); at least 0.
    alpha : float
        Significance level (one-sided).
    min_rows : int
        Smallest hold-out on which a promotion may be decided.
    """

    method: ClassVar[str]
    metrics: ClassVar[tuple[str, ...]] = ("accuracy", "log_loss", "mae", "mse")

    def __init__(
        self, metric: str = "accuracy", margin: float = 0.0, alpha: float = 0.05, min_rows: int = 30
    ) -> None:
        self.metric = metric
        self.margin = margin
        self.alpha = alpha
        self.min_rows = min_rows

    def validate(self) -> None:
        if self.metric not in self.metrics:
            raise ConfigError(
                fail(
                    f"{self.method} gate metric {self.metric!r}", f"use one of {list(self.metrics)}"
                )
            )
        if not (isinstance(self.margin, int | float) and self.margin >= 0):
            raise ConfigError(
                fail(
                    f"margin={self.margin!r}", "use 0 or more: a gate never promotes a worse model"
                )
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
        common = {
            "metric": self.metric,
            "champion_score": old,
            "challenger_score": new,
            "diff": diff,
            "method": self.method,
            "margin": float(self.margin),
            "n": n,
        }
        if n < self.min_rows:
            reason = f"hold-out has {n} rows < min_rows={self.min_rows}: not promoted"
            return GateResult(
                promote=False, ci_low=nan, ci_high=nan, p_value=nan, reason=reason, **common
            )
        ci_low, ci_high, p_value = self._test(s_old, s_new)
        passed = self._passes(diff, ci_low, p_value)
        reason = (
            f"challenger {self.metric} {new:.4g} vs champion {old:.4g}: improvement "
            f"{diff:+.4g} (CI [{ci_low:+.4g}, {ci_high:+.4g}], p={p_value:.3g}) is "
            f"{'' if passed else 'not '}significantly above margin {self.margin:g} "
            f"at alpha={self.alpha:g} ({self.method})"
        )
        return GateResult(
            promote=passed, ci_low=ci_low, ci_high=ci_high, p_value=p_value, reason=reason, **common
        )

    def _passes(self, diff: float, ci_low: float, p_value: float) -> bool:
        return bool(diff > self.margin and ci_low > self.margin)

    @abstractmethod
    def _test(self, s_old: np.ndarray, s_new: np.ndarray) -> tuple[float, float, float]:
        """``(ci_low, ci_high, p_value)`` of the mean per-row improvement."""

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
    ) -> None:
        super().__init__(metric, margin, alpha, min_rows)
        self.n_boot = n_boot
        self.seed = seed

    def validate(self) -> None:
        super().validate()
        if not isinstance(self.n_boot, int) or self.n_boot < 100:
            raise ConfigError(fail(f"n_boot={self.n_boot!r}", "use an integer >= 100, e.g. 2000"))

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "n_boot": self.n_boot, "seed": self.seed}

    def _test(self, s_old, s_new):
        d = s_new - s_old
        boot = bootstrap_means(d, self.n_boot, np.random.default_rng(self.seed))
        lo, hi = np.quantile(boot, [self.alpha, 1 - self.alpha])
        p_value = (1 + int(np.sum(boot <= self.margin))) / (1 + self.n_boot)
        return float(lo), float(hi), float(p_value)


class McNemarGate(Gate):
    """Exact one-sided McNemar test on accuracy (module docstring)."""

    method = "mcnemar_exact"
    metrics = ("accuracy",)

    def _passes(self, diff, ci_low, p_value):
        return bool(diff > self.margin and p_value < self.alpha)

    def _test(self, s_old, s_new):
        n = len(s_old)
        b = int(np.sum((s_new == 1) & (s_old == 0)))
        c = int(np.sum((s_new == 0) & (s_old == 1)))
        p_value = float(stats.binom.sf(b - 1, b + c, 0.5)) if b + c else 1.0
        diff = (b - c) / n
        se = np.sqrt(max(b + c - (b - c) ** 2 / n, 0.0)) / n
        z = stats.norm.ppf(1 - self.alpha)
        return float(diff - z * se), float(diff + z * se), p_value


def bootstrap_means(d: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """``n_boot`` bootstrap replicates of ``mean(d)`` (rows resampled with replacement)."""
    d = np.asarray(d, dtype=float)
    n = len(d)
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
