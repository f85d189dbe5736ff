"""Covariate shift without labels: importance weights from the domain classifier.

Under covariate shift ``p(y|x)`` stays and only ``p(x)`` moves, so the risk on the new
distribution is the reference risk weighted by ``w(x) = p_cur(x) / p_ref(x)``
(Shimodaira, 2000; Sugiyama, Krauledat & Müller, 2007): retraining on the labelled
reference rows with sample weights ``w(x)`` fits the model where the new rows are. This
matters when the model is misspecified — a correctly specified model is consistent
without weights (Shimodaira, 2000).

``w(x)`` comes from the *calibrated* domain classifier of the drift core
(:meth:`driftline.drift.DomainClassifier.density_ratio`; probabilistic classification
for density-ratio estimation, Bickel, Brückner & Scheffer, 2009): with ``q(x)`` the
calibrated probability that ``x`` is a current row and ``s`` the current share of its
training rows, ``w(x) = q / (1 - q) * (1 - s) / s``. Weights are clipped at ``clip``
(truncated importance sampling, Ionides, 2008) and scaled to mean 1.

Weights that concentrate on a few rows make the weighted fit as noisy as one on a few
rows: Kish's (1965) effective sample size ``n_eff = (sum w)^2 / sum w^2`` measures it.
When ``n_eff`` is below ``min_ess`` rows or below ``min_ess_ratio * n`` the weights are
*refused* (:attr:`ImportanceWeights.accepted` is false, :attr:`~ImportanceWeights.reason`
says why, and :meth:`ImportanceWeights.require` raises :class:`InsufficientOverlap`):
the new rows lie where the reference has (almost) no labelled data, so no re-weighting
of it can stand in for new labels.

>>> effective_sample_size([1, 1, 1, 1])
4.0
>>> round(effective_sample_size([4, 0, 0, 0]), 1)
1.0
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from driftline.errors import ConfigError, DataError, ModelError, fail


class InsufficientOverlap(DataError):
    """The importance weights' effective sample size is too small to retrain on."""


def effective_sample_size(weights: Any) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum w^2`` (Kish, 1965)."""
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1 or len(w) == 0:
        raise DataError(fail(f"weights have shape {w.shape}", "pass a non-empty flat array"))
    if not np.isfinite(w).all() or (w < 0).any():
        raise DataError(fail("weights are negative or not finite", "pass weights >= 0"))
    square = float((w**2).sum())
    return 0.0 if square == 0 else float(w.sum() ** 2 / square)


@dataclass(frozen=True, eq=False)
class ImportanceWeights:
    """Importance weights of the labelled reference rows, and whether they are usable.

    Attributes
    ----------
    weights : numpy.ndarray
        One weight per reference row, mean 1 (read-only).
    ess : float
        Kish effective sample size.
    n : int
        Rows weighted.
    clip : float
        Clip of the raw density ratio.
    n_clipped : int
        Rows whose ratio hit the clip.
    auc : float
        Held-out AUC of the domain classifier (0.5: no shift).
    accepted : bool
        ``ess >= min_ess`` and ``ess / n >= min_ess_ratio``.
    reason : str
        Why the weights were accepted or refused.
    """

    weights: np.ndarray
    ess: float
    n: int
    clip: float
    n_clipped: int
    auc: float
    min_ess: float
    min_ess_ratio: float
    accepted: bool
    reason: str

    @property
    def ess_ratio(self) -> float:
        return self.ess / self.n if self.n else 0.0

    def require(self) -> ImportanceWeights:
        """Return self, or raise :class:`InsufficientOverlap` with the reason."""
        if not self.accepted:
            raise InsufficientOverlap(
                fail(self.reason, "wait for labels of the new batches, or retrain on them")
            )
        return self

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (no per-row weights)."""
        w = self.weights
        return {
            "ess": self.ess,
            "ess_ratio": self.ess_ratio,
            "n": self.n,
            "clip": self.clip,
            "n_clipped": self.n_clipped,
            "auc": self.auc,
            "min_ess": self.min_ess,
            "min_ess_ratio": self.min_ess_ratio,
            "accepted": self.accepted,
            "reason": self.reason,
            "weight_max": float(w.max()) if len(w) else 0.0,
            "weight_quantiles": {str(q): float(np.quantile(w, q)) for q in (0.05, 0.5, 0.95)}
            if len(w)
            else {},
        }


class ImportanceWeighting:
    """Fit a domain classifier on reference vs current rows; weight reference rows.

    Parameters
    ----------
    clip : float
        Largest raw density ratio kept (truncation; > 1).
    min_ess : float
        Fewest effective rows accepted.
    min_ess_ratio : float
        Smallest ``n_eff / n`` accepted, in (0, 1].
    seed : int
        Seed of the domain classifier.
    max_rows : int
        Rows per side the domain classifier trains on (subsampled, seeded).

    After :meth:`fit`, :meth:`weights` scores any frame with the fitted classifier, and
    ``classifier_`` / ``result_`` hold the :class:`~driftline.drift.DomainClassifier` and
    its test result.

    >>> rng = np.random.default_rng(0)
    >>> ref = pd.DataFrame({"x": rng.normal(0, 1, 2000)})
    >>> cur = pd.DataFrame({"x": rng.normal(0.5, 1, 2000)})
    >>> iw = ImportanceWeighting().fit(ref, cur).weights(ref)
    >>> iw.accepted, round(float(iw.weights.mean()), 3), 0.5 < iw.ess_ratio < 1
    (True, 1.0, True)
    """

    def __init__(
        self,
        *,
        clip: float = 20.0,
        min_ess: float = 100.0,
        min_ess_ratio: float = 0.1,
        seed: int = 0,
        max_rows: int = 50_000,
    ) -> None:
        self.clip = clip
        self.min_ess = min_ess
        self.min_ess_ratio = min_ess_ratio
        self.seed = seed
        self.max_rows = max_rows
        self.classifier_: Any = None
        self.result_: Any = None

    def validate(self) -> None:
        """Raise :class:`ConfigError` naming the first invalid parameter."""
        checks: Iterable[tuple[str, bool, str]] = (
            ("clip", _real(self.clip) and self.clip > 1, "a number > 1"),
            ("min_ess", _real(self.min_ess) and self.min_ess >= 1, "a number >= 1"),
            (
                "min_ess_ratio",
                _real(self.min_ess_ratio) and 0 < self.min_ess_ratio <= 1,
                "a number in (0, 1]",
            ),
            ("seed", isinstance(self.seed, int) and self.seed >= 0, "an integer >= 0"),
            (
                "max_rows",
                isinstance(self.max_rows, int) and self.max_rows >= 10,
                "an integer >= 10",
            ),
        )
        for name, ok, what in checks:
            if not ok:
                raise ConfigError(
                    fail(f"ImportanceWeighting {name}={getattr(self, name)!r}", f"use {what}")
                )

    def params(self) -> dict[str, Any]:
        return {
            "clip": self.clip,
            "min_ess": self.min_ess,
            "min_ess_ratio": self.min_ess_ratio,
            "seed": self.seed,
            "max_rows": self.max_rows,
        }

    def fit(self, reference: pd.DataFrame, current: pd.DataFrame) -> ImportanceWeighting:
        """Train the domain classifier on the feature frames ``reference`` and ``current``."""
        from driftline.drift import DomainClassifier

        self.validate()
        for name, frame in (("reference", reference), ("current", current)):
            if not isinstance(frame, pd.DataFrame) or len(frame) == 0:
                raise DataError(fail(f"{name} rows are empty or not a DataFrame", "pass rows"))
        if list(reference.columns) != list(current.columns):
            raise DataError(
                fail(
                    "reference and current frames have different columns",
                    "pass the model's feature columns on both sides",
                )
            )
        classifier = DomainClassifier(seed=self.seed, max_rows=self.max_rows)
        self.result_ = classifier.test(reference, current)
        self.classifier_ = classifier
        return self

    def ratio(self, frame: pd.DataFrame) -> np.ndarray:
        """Raw clipped density ratio ``p_cur(x) / p_ref(x)`` of each row of ``frame``."""
        if self.classifier_ is None:
            raise ModelError(fail("ImportanceWeighting is not fitted", "call fit() first"))
        return self.classifier_.density_ratio(frame, clip=float(self.clip))

    def weights(self, reference: pd.DataFrame) -> ImportanceWeights:
        """Weights of the labelled ``reference`` rows (mean 1) and the ESS verdict."""
        raw = self.ratio(reference)
        n = len(raw)
        n_clipped = int((raw >= self.clip).sum())
        mean = float(raw.mean()) if n else 0.0
        w = raw / mean if mean > 0 else np.zeros(n)
        w.setflags(write=False)
        ess = effective_sample_size(w) if n else 0.0
        auc = float(self.result_.details.get("auc", float("nan")))
        floor = max(float(self.min_ess), float(self.min_ess_ratio) * n)
        if ess < floor:
            accepted = False
            reason = (
                f"effective sample size {ess:.1f} of {n} rows ({ess / max(n, 1):.1%}) is below "
                f"the floor {floor:.0f} (min_ess={self.min_ess:g}, "
                f"min_ess_ratio={self.min_ess_ratio:g}); the domain classifier's AUC is "
                f"{auc:.3f}, so the new rows lie where the reference has few labelled rows"
            )
        else:
            accepted = True
            reason = f"effective sample size {ess:.1f} of {n} rows ({ess / max(n, 1):.1%})"
        return ImportanceWeights(
            weights=w,
            ess=ess,
            n=n,
            clip=float(self.clip),
            n_clipped=n_clipped,
            auc=auc,
            min_ess=float(self.min_ess),
            min_ess_ratio=float(self.min_ess_ratio),
            accepted=accepted,
            reason=reason,
        )


def _real(value: Any) -> bool:
    return (
        isinstance(value, int | float | np.integer | np.floating)
        and not isinstance(value, bool)
        and bool(np.isfinite(value))
    )


def weights_summary(weights: ImportanceWeights | Mapping[str, Any]) -> str:
    """One line for logs: ESS, share, verdict."""
    d = weights.to_dict() if isinstance(weights, ImportanceWeights) else dict(weights)
    verdict = "accepted" if d["accepted"] else "refused"
    return f"importance weights {verdict}: {d['reason']}"
