"""Label shift: a change of the class priors p(y).

* :class:`LabelProportions` tests the label counts themselves when labels exist
  (chi-square test of homogeneity; effect size: total variation distance).
* :class:`BlackBoxShift` detects label shift without labels from the model's predicted
  probabilities (black-box shift detection, BBSD; Lipton, Wang & Smola, 2018): under
  label shift the distribution of the predictions changes, so one KS test per class on
  the predicted probability, Bonferroni-corrected over the classes (Rabanser, Günnemann
  & Lipton, 2019), or a chi-square test on the predicted labels.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar, Literal

import numpy as np

from driftline.drift.base import DriftTest, _Computed
from driftline.drift.categorical import CategoricalDriftTest, CategoryCounts
from driftline.drift.chi2 import homogeneity_computed
from driftline.drift.statistics import chi2_homogeneity, ks_two_sample, total_variation


class LabelProportions(CategoricalDriftTest):
    """Chi-square test of the label counts; effect size: total variation distance.

    Missing labels are rejected (drop unlabelled rows first). The total variation distance
    ``0.5 * sum |p_ref - p_cur|`` is the largest change of the probability of any set of
    classes; for a prior change of 10 points it is 0.1. Default floor 0.05 (5 points): a
    10-point change is flagged at n = 5000 (sd of TV about 0.01), a 1-point change is
    not at n = 1,000,000.

    >>> r = LabelProportions().test(["a"] * 500 + ["b"] * 500, ["a"] * 400 + ["b"] * 600)
    >>> round(r.effect_size, 3), r.is_drift
    (0.1, True)
    """

    kind: ClassVar[str] = "label"
    input_type: ClassVar[str] = "labels"
    method: ClassVar[str] = "label_proportions"
    effect_size_name: ClassVar[str] = "total_variation"
    default_threshold: ClassVar[float] = 0.05
    reference: ClassVar[str] = (
        "Pearson (1900), chi-square test of homogeneity; Lipton, Wang & Smola (2018), label shift"
    )

    def _compute_counts(self, counts: CategoryCounts) -> _Computed:
        p_ref, p_cur = counts.proportions()
        return homogeneity_computed(
            counts,
            lambda _: total_variation(counts.reference, counts.current),
            {
                "proportions_reference": dict(zip(counts.levels, p_ref.tolist(), strict=True)),
                "proportions_current": dict(zip(counts.levels, p_cur.tolist(), strict=True)),
            },
        )


class BlackBoxShift(DriftTest):
    """Black-box shift detection (BBSD) on predicted probabilities.

    Parameters
    ----------
    alpha, threshold
        See :class:`~driftline.drift.base.DriftTest`.
    mode : {"probabilities", "labels"}
        ``"probabilities"``: a KS test per class on the predicted probability, p-value
        ``min(1, K * min_k p_k)`` (Bonferroni), effect size the largest KS D (default
        floor 0.04, as :class:`~driftline.drift.KolmogorovSmirnov`). ``"labels"``:
        chi-square test on the predicted labels (argmax), effect size the total variation
        distance of the predicted-label distributions (default floor 0.05, as
        :class:`LabelProportions`).

    Inputs are the two ``(rows, classes)`` matrices of ``predict_proba`` output of the
    same model.

    >>> rng = np.random.default_rng(0)
    >>> def probs(prior, n):
    ...     y = rng.choice(3, n, p=prior)
    ...     logits = 2.0 * np.eye(3)[y] + rng.normal(size=(n, 3))
    ...     e = np.exp(logits)
    ...     return e / e.sum(axis=1, keepdims=True)
    >>> r = BlackBoxShift().test(probs([1/3, 1/3, 1/3], 2000), probs([0.5, 0.3, 0.2], 2000))
    >>> r.is_drift
    True
    """

    kind: ClassVar[str] = "label"
    input_type: ClassVar[str] = "probabilities"
    method: ClassVar[str] = "black_box_shift"
    effect_size_name: ClassVar[str] = "max_ks_d"
    default_threshold: ClassVar[float] = 0.04
    reference: ClassVar[str] = (
        "Lipton, Wang & Smola (2018), BBSD; Rabanser, Günnemann & Lipton (2019), Failing loudly"
    )

    def __init__(
        self,
        alpha: float = 0.05,
        threshold: float | None = None,
        *,
        mode: Literal["probabilities", "labels"] = "probabilities",
    ) -> None:
        super().__init__(alpha, threshold)
        self.mode = mode

    @property
    def effective_threshold(self) -> float:
        if self.threshold is None and self.mode == "labels":
            return 0.05
        return super().effective_threshold

    def _param_checks(self) -> Iterable[tuple[str, bool, str]]:
        return (("mode", self.mode in ("probabilities", "labels"), "'probabilities' or 'labels'"),)

    def _compute(self, reference: np.ndarray, current: np.ndarray) -> _Computed:
        k = reference.shape[1]
        if self.mode == "labels":
            ref = np.bincount(reference.argmax(axis=1), minlength=k)
            cur = np.bincount(current.argmax(axis=1), minlength=k)
            h = chi2_homogeneity(ref, cur)
            return _Computed(
                statistic=h.chi2,
                p_value=h.p_value,
                effect_size=total_variation(ref, cur),
                details={"mode": "labels", "dof": h.dof, "effect": "total_variation"},
            )
        ref = np.sort(reference, axis=0)
        cur = np.sort(current, axis=0)
        tests = [ks_two_sample(ref[:, j], cur[:, j]) for j in range(k)]
        d = np.array([t[0] for t in tests])
        p = np.array([t[1] for t in tests])
        return _Computed(
            statistic=float(d.max()),
            p_value=float(min(1.0, k * p.min())),
            effect_size=float(d.max()),
            details={"mode": "probabilities", "ks_d": d, "p_values_uncorrected": p},
        )
