"""Two-sample Kolmogorov-Smirnov test (Kolmogorov, 1933; Smirnov, 1948).

``D = max_x |F_ref(x) - F_cur(x)|``, computed by sorting each sample once and evaluating
both empirical CDFs at every pooled value (ties handled as in
:func:`scipy.stats.ks_2samp`). D and its p-value come from
:mod:`driftline.drift.statistics` (:func:`~driftline.drift.statistics.ks_p_value`: exact
up to 10,000 values per sample, Smirnov's limit above), the functions
:class:`~driftline.drift.DatasetDrift` runs on its sketches.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from driftline.drift.base import DriftTest, _Computed
from driftline.drift.statistics import ks_two_sample


class KolmogorovSmirnov(DriftTest):
    """Two-sample KS test of a numeric column; the effect size is D itself.

    Default floor D >= 0.04: the smallest shift worth flagging is taken to be 0.1 reference
    standard deviations, and a 0.1-sd location shift of a normal distribution gives
    ``D = 2 * Phi(0.05) - 1 = 0.040``. A 0.2-sd shift (D = 0.080, sd of its estimate
    about 0.01 at n = 5000) is flagged; a 0.01-sd shift (D = 0.004) is not, even at
    n = 1,000,000 where its p-value is tiny.

    >>> rng = np.random.default_rng(0)
    >>> r = KolmogorovSmirnov().test(rng.normal(size=1000), rng.normal(0.3, 1, size=1000))
    >>> r.is_drift, r.effect_size > 0.04
    (True, True)
    """

    kind: ClassVar[str] = "numeric"
    input_type: ClassVar[str] = "numeric"
    method: ClassVar[str] = "kolmogorov_smirnov"
    effect_size_name: ClassVar[str] = "ks_d"
    default_threshold: ClassVar[float] = 0.04
    reference: ClassVar[str] = (
        "Kolmogorov (1933); Smirnov (1948), two-sample Kolmogorov-Smirnov test"
    )

    def _compute(self, reference: np.ndarray, current: np.ndarray) -> _Computed:
        d, p_value, p_method = ks_two_sample(np.sort(reference), np.sort(current))
        return _Computed(
            statistic=d, p_value=p_value, effect_size=d, details={"p_method": p_method}
        )
