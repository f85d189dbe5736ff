"""Drift detection: univariate tests, dataset-level decision, profiles, reports.

Individual tests (one module each, all :class:`DriftTest` subclasses returning a frozen
:class:`DriftResult`):

=========================  =============  ==========================  ================
test                       kind           effect size                 default floor
=========================  =============  ==========================  ================
:class:`KolmogorovSmirnov` numeric        KS distance D               0.04
:class:`Wasserstein`       numeric        W1 / reference sd           0.1
:class:`PSI`               numeric        PSI (reference deciles)     0.01
:class:`ChiSquare`         categorical    Cramér's V                  0.05
:class:`JensenShannon`     categorical    JS distance (base 2)        0.04
:class:`CategoricalPSI`    categorical    PSI                         0.01
:class:`DomainClassifier`  multivariate   held-out AUC - 0.5          0.01
:class:`LabelProportions`  label          total variation distance    0.05
:class:`BlackBoxShift`     label          max KS D over classes       0.04
:class:`PerformanceDrop`   concept        metric drop                 0.02
:class:`DDM`               concept        DDM excursion (s_min units) 3 (drift level)
:class:`ADWIN`             concept        cut ratio |dmu| / eps_cut   1
=========================  =============  ==========================  ================

The floors are set so that "p < alpha and effect >= floor" flags a 0.2-sd mean shift, a
10-point category or label-prior shift at n = 5000, but not a 0.01-sd shift at
n = 1,000,000 (see each class). Multiple-testing corrections are in
:mod:`driftline.drift.correction`.

Every statistic is computed by one function of :mod:`driftline.drift.statistics`, from
counts, CDF values or sorted samples; both the classes above and the dataset-level
:class:`DatasetDrift` call it.

Dataset level: :class:`DatasetDrift` (:mod:`~driftline.drift.decision`) checks a batch
against a :class:`ReferenceProfile` (:mod:`~driftline.drift.profile`), whose column
summaries are in :mod:`~driftline.drift.sketches`; columns are read by
:mod:`~driftline.drift.columns` and the current side counted by
:mod:`~driftline.drift.counting`.
"""

from driftline.drift.adwin import ADWIN
from driftline.drift.base import DriftResult, DriftTest
from driftline.drift.categorical import MISSING_LEVEL, CategoricalDriftTest, CategoryCounts
from driftline.drift.chi2 import ChiSquare
from driftline.drift.concept import PerformanceDrop
from driftline.drift.correction import benjamini_hochberg, bonferroni, holm
from driftline.drift.ddm import DDM
from driftline.drift.domain_classifier import DomainClassifier
from driftline.drift.jensen_shannon import JensenShannon
from driftline.drift.ks import KolmogorovSmirnov
from driftline.drift.label_shift import BlackBoxShift, LabelProportions
from driftline.drift.psi import PSI, CategoricalPSI
from driftline.drift.statistics import (
    Homogeneity,
    bin_counts,
    chi2_homogeneity,
    js_distance,
    ks_distance,
    ks_p_value,
    ks_statistic,
    ks_two_sample,
    psi,
    quantile_bin_edges,
    total_variation,
    wasserstein_1,
    wasserstein_scale,
)
from driftline.drift.stream import StreamingDetector, StreamState
from driftline.drift.wasserstein import Wasserstein

__all__ = [
    "ADWIN",
    "DDM",
    "PSI",
    "BlackBoxShift",
    "CategoricalDriftTest",
    "CategoricalPSI",
    "CategoryCounts",
    "ChiSquare",
    "DomainClassifier",
    "DriftResult",
    "DriftTest",
    "Homogeneity",
    "JensenShannon",
    "KolmogorovSmirnov",
    "LabelProportions",
    "MISSING_LEVEL",
    "PerformanceDrop",
    "StreamState",
    "StreamingDetector",
    "Wasserstein",
    "benjamini_hochberg",
    "bin_counts",
    "bonferroni",
    "chi2_homogeneity",
    "holm",
    "js_distance",
    "ks_distance",
    "ks_p_value",
    "ks_statistic",
    "ks_two_sample",
    "psi",
    "quantile_bin_edges",
    "total_variation",
    "wasserstein_1",
    "wasserstein_scale",
]

# --- dataset-level decision, profiles, reports, windows (owned by the decision engineer;
# --- merge the per-test exports above this section) ---
from driftline.drift.decision import DatasetDrift, adjust_pvalues
from driftline.drift.html import render_html
from driftline.drift.profile import ReferenceProfile
from driftline.drift.report import ColumnDrift, DriftReport
from driftline.drift.sketches import CategoricalSummary, NumericSummary, TimestampSummary
from driftline.drift.windows import WindowedDrift, first_drift

__all__ += [
    "CategoricalSummary",
    "ColumnDrift",
    "DatasetDrift",
    "DriftReport",
    "NumericSummary",
    "ReferenceProfile",
    "TimestampSummary",
    "WindowedDrift",
    "adjust_pvalues",
    "first_drift",
    "render_html",
]
