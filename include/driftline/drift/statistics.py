"""The drift statistics, one implementation each, from counts or CDF values.

Both callers feed the same functions: the per-test classes
(:class:`~driftline.drift.KolmogorovSmirnov`, :class:`~driftline.drift.PSI`, ...) from raw
samples, and :class:`~driftline.drift.DatasetDrift` from a reference sketch and the
current batch counted at the sketch's knots. So the statistic a DAG runs is the statistic
the conformance suite tests.

==========================  ===========================  ==================================
function                    input                        method
==========================  ===========================  ==================================
:func:`ks_distance`         two CDFs at common points    Kolmogorov (1933); Smirnov (1948)
:func:`ks_p_value`          D and the two sizes          exact (Hodges, 1957) or Smirnov's
                                                         limit (Stephens, 1970)
:func:`psi`                 bin counts                   Siddiqi (2006)
:func:`quantile_bin_edges`  a quantile function          Hyndman & Fan (1996), def. 1
:func:`js_distance`         level counts                 Lin (1991); Endres & Schindelin
                                                         (2003)
:func:`chi2_homogeneity`    level counts                 Pearson (1900); Cochran (1954);
                                                         Cramér (1946)
:func:`total_variation`     level counts                 total variation distance
:func:`wasserstein_1`       CDF difference on a grid     Vallender (1974)
:func:`wasserstein_scale`   n and the reference sd       sample standard deviation
==========================  ===========================  ==================================
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

#: KS p-values are exact when both samples have at most this many values (as scipy's
#: ``ks_2samp(method="auto")``).
EXACT_MAX_N = 10_000
#: Above ``EXACT_MAX_N``, scipy's ``kstwo`` is used up to this effective size; its cost
#: grows linearly (about 1 ms here, 0.6 s at 500,000), so Stephens' form takes over.
KSTWO_MAX_EN = 1_000
#: Floor of a bin proportion in the PSI (before renormalising).
PSI_EPSILON = 1e-4
#: Levels whose expected count is below this are pooled into one level (Cochran, 1954).
MIN_EXPECTED = 5.0


# -- Kolmogorov-Smirnov ---------------------------------------------------------------------


def ks_distance(cdf_reference: np.ndarray, cdf_current: np.ndarray) -> float:
    """KS distance ``D = max |F_ref - F_cur|`` of two CDFs evaluated at the same points.

    The points must hold every jump of both CDFs, with the left limits where a jump may
    fall between points (arrays of any shape; rows of 2-D inputs are just more points).

    >>> ks_distance(np.array([0.2, 0.5, 1.0]), np.array([0.0, 0.4, 1.0]))
    0.2
    """
    return float(np.max(np.abs(np.asarray(cdf_reference) - np.asarray(cdf_current))))


def ks_statistic(reference_sorted: np.ndarray, current_sorted: np.ndarray) -> float:
    """KS distance of two *sorted* samples (both ECDFs at every pooled value).

    >>> round(ks_statistic(np.array([1.0, 2.0, 3.0]), np.array([2.5, 3.5])), 4)
    0.6667
    """
    pooled = np.concatenate([reference_sorted, current_sorted])
    cdf_ref = np.searchsorted(reference_sorted, pooled, side="right") / len(reference_sorted)
    cdf_cur = np.searchsorted(current_sorted, pooled, side="right") / len(current_sorted)
    return ks_distance(cdf_ref, cdf_cur)


def ks_p_value(d: float, n_reference: float, n_current: float) -> tuple[float, str]:
    """Two-sided p-value of the two-sample KS distance ``d``: ``(p, "exact" | "asymptotic")``.

    Exact (the lattice-path count of Hodges, 1957, as scipy's ``ks_2samp(method="exact")``;
    for equal sizes the closed form of Gnedenko & Korolyuk, 1951) when both sizes are at
    most :data:`EXACT_MAX_N`; otherwise Smirnov's limit at the
    effective size ``en = n m / (n + m)``: scipy's ``kstwo.sf(d, round(en))`` (as
    ``ks_2samp(method="asymp")``) up to ``en =`` :data:`KSTWO_MAX_EN`, Stephens' (1970)
    corrected Kolmogorov distribution ``K((sqrt(en) + 0.12 + 0.11 / sqrt(en)) d)`` above,
    which costs O(1) and is within 1.5 % of ``kstwo`` for p >= 1e-3 there. The p-value
    depends on the data only through ``d``, so a sketch and a sample give the same one.

    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.normal(size=300), rng.normal(0.2, 1, 200)
    >>> p, how = ks_p_value(ks_statistic(np.sort(a), np.sort(b)), 300, 200)
    >>> how, bool(np.isclose(p, stats.ks_2samp(a, b).pvalue, rtol=1e-12))
    ('exact', True)
    """
    n, m = int(round(n_reference)), int(round(n_current))
    if max(n, m) <= EXACT_MAX_N:
        p = _exact_ks_p_value(d, n, m)
        if p is not None:
            return p, "exact"
    en = n * m / (n + m)
    if en <= KSTWO_MAX_EN:
        return float(np.clip(stats.kstwo.sf(d, round(en)), 0.0, 1.0)), "asymptotic"
    s = math.sqrt(en)
    return float(special.kolmogorov((s + 0.12 + 0.11 / s) * d)), "asymptotic"


def _exact_ks_p_value(d: float, n: int, m: int) -> float | None:
    """Exact two-sided p-value at the lattice value ``h / lcm(n, m)`` nearest ``d``; None
    when scipy gives up (overflow)."""
    if n == m:
        h = int(np.round(d * n))
        return 1.0 if h == 0 else _equal_sizes_p_value(n, h)
    from scipy.stats import _stats_py  # ks_2samp's exact path, by (n, m, d) alone

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ok, _, p = _stats_py._attempt_exact_2kssamp(n, m, math.gcd(n, m), d, "two-sided")
    return float(np.clip(p, 0.0, 1.0)) if ok else None


def _equal_sizes_p_value(n: int, h: int) -> float:
    """``P(D_{n,n} >= h / n)``, Gnedenko & Korolyuk (1951):
    ``2 sum_{k>=1} (-1)^(k+1) C(2n, n - kh) / C(2n, n)``, vectorised (scipy's
    ``ks_2samp(method="exact")`` runs the same sum as a Python loop)."""
    k = np.arange(n // h + 1)[:, None]
    j = np.arange(h)[None, :]
    # ratio[k] = C(2n, n - (k + 1) h) / C(2n, n - k h), a product of h factors
    ratio = np.prod(np.maximum(n - k * h - j, 0) / (n + k * h + j + 1.0), axis=1)
    terms = np.cumprod(ratio)  # C(2n, n - (k + 1) h) / C(2n, n)
    signs = np.where(np.arange(terms.size) % 2 == 0, 1.0, -1.0)
    return float(np.clip(2.0 * np.sum(signs * terms), 0.0, 1.0))


def ks_two_sample(
    reference_sorted: np.ndarray, current_sorted: np.ndarray
) -> tuple[float, float, str]:
    """``(D, p_value, p_method)`` of two *sorted* samples (see :func:`ks_p_value`)."""
    d = ks_statistic(reference_sorted, current_sorted)
    p, how = ks_p_value(d, len(reference_sorted), len(current_sorted))
    return d, p, how


# -- population stability index ---------------------------------------------------------------


def psi(reference: np.ndarray, current: np.ndarray, epsilon: float = PSI_EPSILON) -> float:
    """PSI ``sum (c - r) ln(c / r)`` of two count (or proportion) vectors over the same bins.

    Proportions are floored at ``epsilon`` and renormalised to sum to 1, so an empty bin
    stays finite and the PSI stays the Jeffreys divergence of two distributions
    (Siddiqi, 2006).

    >>> round(psi(np.array([50, 50]), np.array([60, 40])), 4)
    0.0405
    """
    r = np.maximum(np.asarray(reference, np.float64) / np.sum(reference), epsilon)
    c = np.maximum(np.asarray(current, np.float64) / np.sum(current), epsilon)
    r, c = r / r.sum(), c / c.sum()
    return float(np.sum((c - r) * np.log(c / r)))


def quantile_bin_edges(quantile: Callable[[np.ndarray], np.ndarray], n_bins: int) -> np.ndarray:
    """Distinct inner edges of ``n_bins`` equal-frequency bins of the reference.

    ``quantile`` is the reference's inverted-CDF quantile function (Hyndman & Fan, 1996,
    definition 1): a sample's ``np.quantile(x, q, method="inverted_cdf")`` or a sketch's
    :meth:`~driftline.drift.NumericSummary.quantile`. The bins are right-closed,
    ``(-inf, e_0], (e_0, e_1], ..., (e_last, inf)``; ties merge edges.

    >>> quantile_bin_edges(lambda q: np.quantile(np.arange(1.0, 11), q, method="inverted_cdf"), 4)
    array([3., 5., 8.])
    """
    return np.unique(quantile(np.arange(1, n_bins) / n_bins))


def bin_counts(cumulative: np.ndarray, n: float) -> np.ndarray:
    """Counts of the bins of :func:`quantile_bin_edges` from the counts ``<= e_i`` and n.

    >>> bin_counts(np.array([3.0, 5.0]), 10).tolist()
    [3.0, 2.0, 5.0]
    """
    return np.diff(np.concatenate(([0.0], np.asarray(cumulative, np.float64), [float(n)])))


# -- categorical --------------------------------------------------------------------------


def js_distance(
    reference: np.ndarray, current: np.ndarray, smoothing: float = 0.0
) -> np.ndarray | float:
    """Jensen-Shannon distance (base 2, in [0, 1]) of count vectors; rows of 2-D inputs
    are separate pairs (Lin, 1991; distance: Endres & Schindelin, 2003).

    The plug-in value on the observed frequencies, as
    ``scipy.spatial.distance.jensenshannon(p, q, base=2)``: the divergence is finite
    with empty levels, so no smoothing is needed, and without it the value does not
    depend on levels that are empty on both sides. ``smoothing`` adds a pseudo-count to
    every level on both sides (``(count + s) / (n + K s)``) for callers who want one.

    >>> round(float(js_distance(np.array([10, 0]), np.array([0, 10]))), 6)
    1.0
    """
    ref = np.asarray(reference, dtype=np.float64) + smoothing
    cur = np.asarray(current, dtype=np.float64) + smoothing
    p = ref / ref.sum(axis=-1, keepdims=True)
    q = cur / cur.sum(axis=-1, keepdims=True)
    m = 0.5 * (p + q)
    with np.errstate(divide="ignore", invalid="ignore"):
        kl_p = np.where(p > 0, p * np.log2(p / m), 0.0).sum(axis=-1)
        kl_q = np.where(q > 0, q * np.log2(q / m), 0.0).sum(axis=-1)
    return np.sqrt(np.clip(0.5 * (kl_p + kl_q), 0.0, 1.0))


@dataclass(frozen=True)
class Homogeneity:
    """Result of :func:`chi2_homogeneity`."""

    chi2: float
    dof: int
    p_value: float
    cramers_v: float
    n_pooled_levels: int


def chi2_homogeneity(
    reference: np.ndarray, current: np.ndarray, min_expected: float = MIN_EXPECTED
) -> Homogeneity:
    """Pearson's (1900) chi-square test of homogeneity of two count vectors.

    Levels empty on both sides are dropped; when more than one level has an expected count
    below ``min_expected`` in either row, those are pooled into one level first (Cochran,
    1954), so the chi-square approximation holds with rare levels (a level new to the
    current sample with enough rows stays on its own). Cramér's (1946) V of the 2 x K
    table is ``sqrt(chi2 / N)``.

    >>> h = chi2_homogeneity(np.array([30, 70]), np.array([50, 50]))
    >>> round(h.chi2, 4), h.dof, round(h.cramers_v, 4)
    (8.3333, 1, 0.2041)
    """
    ref = np.asarray(reference, dtype=np.float64)
    cur = np.asarray(current, dtype=np.float64)
    keep = (ref + cur) > 0
    ref, cur = ref[keep], cur[keep]
    n_ref, n_cur = ref.sum(), cur.sum()
    if n_ref == 0 or n_cur == 0:
        return Homogeneity(0.0, 0, 1.0, 0.0, 0)
    n = n_ref + n_cur
    total = ref + cur
    rare = total * min(n_ref, n_cur) / n < min_expected
    n_pooled = int(rare.sum())
    if n_pooled > 1:
        ref = np.append(ref[~rare], ref[rare].sum())
        cur = np.append(cur[~rare], cur[rare].sum())
        total = ref + cur
    if len(total) < 2:
        return Homogeneity(0.0, 0, 1.0, 0.0, n_pooled)
    e_ref = total * (n_ref / n)
    e_cur = total * (n_cur / n)
    chi2 = float((((ref - e_ref) ** 2) / e_ref).sum() + (((cur - e_cur) ** 2) / e_cur).sum())
    dof = len(total) - 1
    return Homogeneity(
        chi2=chi2,
        dof=dof,
        p_value=float(stats.chi2.sf(chi2, dof)),
        cramers_v=float(np.sqrt(chi2 / n)),
        n_pooled_levels=n_pooled if n_pooled > 1 else 0,
    )


def total_variation(reference: np.ndarray, current: np.ndarray) -> float:
    """Total variation distance ``0.5 * sum |p_ref - p_cur|`` of two count vectors.

    >>> round(total_variation(np.array([50, 50]), np.array([40, 60])), 12)
    0.1
    """
    p = np.asarray(reference, np.float64) / np.sum(reference)
    q = np.asarray(current, np.float64) / np.sum(current)
    return float(0.5 * np.abs(p - q).sum())


# -- Wasserstein-1 ----------------------------------------------------------------------------


def wasserstein_1(
    x: np.ndarray,
    diff_at: np.ndarray,
    diff_before: np.ndarray,
    *,
    below: float = 0.0,
    above: float = 0.0,
) -> float:
    """W1 ``= integral |F_ref - F_cur| dx`` (Vallender, 1974) from the CDF difference on a grid.

    ``diff_at[i] = F_ref(x_i) - F_cur(x_i)``, ``diff_before[i]`` the same of the left limits
    at the sorted points ``x``; between two points the difference runs linearly from
    ``diff_at[i]`` to ``diff_before[i + 1]``, which is exact when neither CDF jumps in
    between (the grid holds every value of both samples) and otherwise takes the values
    in between as spread uniformly. ``below`` / ``above`` are the integrals outside
    ``[x_0, x_last]``.

    >>> z = np.array([0.0, 1.0, 3.0])  # reference {0, 1}, current {3}
    >>> d = np.array([0.5, 1.0, 0.0])
    >>> wasserstein_1(z, d, np.concatenate(([0.0], d[:-1])))
    2.5
    """
    d0 = np.asarray(diff_at, np.float64)[:-1]
    d1 = np.asarray(diff_before, np.float64)[1:]
    dx = np.diff(np.asarray(x, np.float64))
    a0, a1 = np.abs(d0), np.abs(d1)
    tot = a0 + a1
    with np.errstate(invalid="ignore", divide="ignore"):
        cross = np.where(tot > 0, (d0 * d0 + d1 * d1) / (2 * np.where(tot > 0, tot, 1.0)), 0.0)
    inside = float(np.sum(dx * np.where(d0 * d1 >= 0, tot / 2, cross)))
    return below + inside + above


def wasserstein_scale(n: int, std: float) -> tuple[float, str]:
    """Scale of the normalised W1: ``(sample sd of the reference, "std")``, or ``(1, "none")``
    for a constant reference (the distance is then reported as it is).

    ``std`` is the population (ddof = 0) standard deviation, as a profile stores it.

    >>> wasserstein_scale(5, float(np.std([1.0, 2.0, 3.0, 4.0, 5.0])))
    (1.5811388300841898, 'std')
    """
    if n > 1 and std > 0:
        return float(std * math.sqrt(n / (n - 1))), "std"
    return 1.0, "none"
