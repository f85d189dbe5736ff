"""Classification metrics from labels, and their expectations from probabilities.

Realized metrics take integer class codes (``0 .. k-1``); every one of them also takes a
``(draws, rows)`` matrix of codes and returns one value per draw, which is how the
confidence bands are sampled (:mod:`driftline.estimate.cbpe`):

* :func:`accuracy`, :func:`f1` (binary: the second class is positive, as scikit-learn's
  ``pos_label=1``; more classes: macro average) and :func:`roc_auc` (Mann-Whitney U with
  average ranks for ties, Hanley & McNeil, 1982; more classes: macro one-vs-rest).

Expected metrics take calibrated probabilities ``q`` (``rows x classes``) instead of
labels. They follow confidence-based performance estimation (CBPE; NannyML's method,
Kivimäki et al., 2025): the expected confusion matrix is ``E[C[j, k]] = sum_i [yhat_i = k]
q_ij``, so the expected accuracy is ``mean_i q_i[yhat_i]`` (exact), F1 is computed from
the expected counts, and ROC AUC is the expected Mann-Whitney numerator over the expected
number of (positive, negative) pairs (ratios of expectations, "sample-free").

>>> codes = np.array([0, 1, 1, 0]); pred = np.array([0, 1, 0, 0])
>>> float(accuracy(codes, pred)), round(float(f1(codes, pred, 2)), 4)
(0.75, 0.6667)
>>> float(roc_auc(codes, np.array([0.1, 0.9, 0.4, 0.3]), 2))
1.0
>>> q = np.array([[0.9, 0.1], [0.2, 0.8]])
>>> round(expected_accuracy(q, np.array([0, 1])), 6)
0.85
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata


def accuracy(codes: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Share of rows whose code equals the prediction (per draw for 2-D ``codes``)."""
    return np.mean(np.asarray(codes) == np.asarray(pred), axis=-1)


def _f1_from_counts(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    den = 2 * tp + fp + fn
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, 2 * tp / np.where(den > 0, den, 1), 0.0)


def f1(codes: np.ndarray, pred: np.ndarray, k: int) -> np.ndarray:
    """F1 of the positive class (binary) or the macro F1 (``k > 2``); 0 when undefined."""
    codes, pred = np.asarray(codes), np.asarray(pred)
    classes = (1,) if k == 2 else range(k)
    scores = []
    for c in classes:
        truth, said = codes == c, pred == c
        tp = np.sum(truth & said, axis=-1)
        fp = np.sum(~truth & said, axis=-1)
        fn = np.sum(truth & ~said, axis=-1)
        scores.append(_f1_from_counts(tp, fp, fn))
    return np.mean(scores, axis=0)


def _auc_ranked(positive: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """Mann-Whitney AUC of boolean ``positive`` (``(..., n)``) given the scores' ranks."""
    n = positive.shape[-1]
    n1 = positive.sum(axis=-1)
    n0 = n - n1
    u = np.sum(positive * ranks, axis=-1) - n1 * (n1 + 1) / 2.0
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((n1 > 0) & (n0 > 0), u / np.maximum(n1 * n0, 1), np.nan)


def roc_auc(codes: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
    """ROC AUC of ``scores`` (binary: the positive class's score or the ``(n, 2)`` matrix;
    ``k > 2``: macro one-vs-rest over the columns). ``nan`` when a class is absent."""
    codes, scores = np.asarray(codes), np.asarray(scores, dtype=np.float64)
    if scores.ndim == 2 and k == 2:
        scores = scores[:, 1]
    if k == 2:
        return _auc_ranked(codes == 1, rankdata(scores))
    per_class = [_auc_ranked(codes == c, rankdata(scores[:, c])) for c in range(k)]
    with np.errstate(invalid="ignore"):
        return np.nanmean(per_class, axis=0) if np.isfinite(per_class).any() else per_class[0]


def expected_accuracy(q: np.ndarray, pred: np.ndarray) -> float:
    """``mean_i q_i[yhat_i]``: the expected accuracy of the predictions ``pred``."""
    return float(np.mean(q[np.arange(len(q)), pred]))


def expected_f1(q: np.ndarray, pred: np.ndarray) -> float:
    """F1 from the expected confusion matrix (positive class, or macro for ``k > 2``)."""
    k = q.shape[1]
    scores = []
    for c in (1,) if k == 2 else range(k):
        said = pred == c
        tp = q[said, c].sum()
        fp = (1.0 - q[said, c]).sum()
        fn = q[~said, c].sum()
        scores.append(float(_f1_from_counts(np.asarray(tp), np.asarray(fp), np.asarray(fn))))
    return float(np.mean(scores))


def _expected_auc(q: np.ndarray, s: np.ndarray) -> float:
    """E[U] / E[n1 n0] for rows positive with probability ``q`` and scored ``s``."""
    w = 1.0 - q
    _, group = np.unique(s, return_inverse=True)
    neg = np.bincount(group, weights=w)  # expected negatives per distinct score
    below = np.cumsum(neg) - neg
    num = np.sum(q * (below[group] + 0.5 * (neg[group] - w)))
    den = q.sum() * w.sum() - np.sum(q * w)
    return float(num / den) if den > 0 else float("nan")


def expected_roc_auc(q: np.ndarray, scores: np.ndarray) -> float:
    """Expected ROC AUC of the model's ``scores`` (``(n, k)``) under calibrated ``q``."""
    k = q.shape[1]
    if k == 2:
        return _expected_auc(q[:, 1], scores[:, 1])
    values = [_expected_auc(q[:, c], scores[:, c]) for c in range(k)]
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")


def sample_codes(q: np.ndarray, draws: int, rng: np.random.Generator) -> np.ndarray:
    """``(draws, rows)`` class codes, row ``i`` drawn from the distribution ``q_i``."""
    u = rng.random((draws, len(q)))
    if q.shape[1] == 2:
        return (u < q[:, 1]).astype(np.int8)
    cdf = np.cumsum(q, axis=1)
    cdf[:, -1] = 1.0
    return np.minimum((u[:, :, None] > cdf[None, :, :-1]).sum(axis=2), q.shape[1] - 1)


def binary_sd(q1: np.ndarray, pred: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """Standard deviations of the realized accuracy, F1 and ROC AUC of a binary batch whose
    labels are independent Bernoulli draws ``y_i ~ B(q1_i)`` (predictions ``pred`` and
    ``scores`` fixed): exact for accuracy (a Poisson-binomial mean, Hong, 2013), first-order
    delta method for F1 and for the Mann-Whitney AUC (sums of independent Bernoullis).

    >>> rng = np.random.default_rng(0)
    >>> q1 = rng.random(400); s = q1 + rng.normal(0, 0.2, 400); pred = (s > 0.5).astype(int)
    >>> sd = binary_sd(q1, pred, s)
    >>> draws = (rng.random((4000, 400)) < q1).astype(int)
    >>> mc = {"accuracy": accuracy(draws, pred).std(), "f1": f1(draws, pred, 2).std(),
    ...       "roc_auc": roc_auc(draws, s, 2).std()}
    >>> all(abs(sd[k] / mc[k] - 1) < 0.08 for k in sd)
    True
    """
    q1 = np.asarray(q1, dtype=np.float64)
    n = len(q1)
    v = q1 * (1.0 - q1)
    pos = np.asarray(pred) == 1
    right = np.where(pos, q1, 1.0 - q1)
    out = {"accuracy": float(np.sqrt(np.sum(right * (1.0 - right))) / n)}
    # F1 = 2 T / (A + T + F): T true positives, F positives predicted negative, A = #pred pos
    a, t, f = float(pos.sum()), float(q1[pos].sum()), float(q1[~pos].sum())
    den = a + t + f
    if den > 0:
        d_t, d_f = 2.0 * (a + f) / den**2, -2.0 * t / den**2
        out["f1"] = float(np.sqrt(d_t**2 * v[pos].sum() + d_f**2 * v[~pos].sum()))
    else:
        out["f1"] = 0.0
    # AUC = (S - N (N + 1) / 2) / (N (n - N)), S = sum y_i r_i, N = sum y_i
    r = rankdata(np.asarray(scores, dtype=np.float64))
    s_mean, n_mean = float(np.sum(q1 * r)), float(q1.sum())
    pairs = n_mean * (n - n_mean)
    if pairs > 0:
        u = s_mean - n_mean * (n_mean + 1) / 2.0
        g_s = 1.0 / pairs
        g_n = (-(n_mean + 0.5) * pairs - u * (n - 2.0 * n_mean)) / pairs**2
        var = g_s**2 * np.sum(v * r * r) + 2 * g_s * g_n * np.sum(v * r) + g_n**2 * v.sum()
        out["roc_auc"] = float(np.sqrt(max(var, 0.0)))
    else:
        out["roc_auc"] = 0.0
    return out
