"""Dataset-level drift decision: every column of a batch against a reference profile.

:class:`DatasetDrift` runs one univariate test per column, corrects the p-values for
multiple testing and asks for a minimum effect size, so that large samples do not flag
negligible shifts:

* numeric columns: two-sample Kolmogorov-Smirnov (Kolmogorov, 1933; Smirnov, 1948),
  p-value exact up to 10,000 values per side and Smirnov's limit above; effects: the KS
  distance ``D`` (primary), the population stability index on the reference deciles
  (PSI; Siddiqi, 2006) and the Wasserstein-1 distance divided by the reference standard
  deviation;
* categorical columns: Pearson's (1900) chi-square test of homogeneity (levels with an
  expected count below ``min_expected`` pooled); effects: the Jensen-Shannon distance in
  bits (Lin, 1991; primary), Cramér's (1946) V and PSI; unseen and vanished levels listed;
* the label (when the batch has it): chi-square on the label proportions with the total
  variation distance as effect (KS for a continuous target);
* predicted probabilities (when both sides have them): KS, reported as covariate shift.

Every statistic comes from :mod:`driftline.drift.statistics`, the functions the per-test
classes (:class:`~driftline.drift.KolmogorovSmirnov`, :class:`~driftline.drift.ChiSquare`,
...) run, so a column's statistic here equals that class's on the same data whenever the
reference sketch is exact (at most ``levels + 1`` distinct values). The p-values of all
columns are adjusted with Holm (1979) or Benjamini & Hochberg (1995); a column drifts when
its adjusted p-value is below ``alpha`` *and* its primary effect is at least the floor of
its role. The current side is never sorted: its values are counted against the reference
sketch's knots (:mod:`driftline.drift.counting`), which keeps the KS distance within
``1 / levels`` of the exact value and makes chunked reading trivial (counts add up).

>>> import numpy as np, pandas as pd
>>> from driftline.drift.profile import ReferenceProfile
>>> rng = np.random.default_rng(0)
>>> ref = pd.DataFrame({"x": rng.normal(size=5000), "c": rng.choice(list("abc"), 5000)})
>>> cur = pd.DataFrame({"x": rng.normal(0.3, 1, 5000), "c": rng.choice(list("abc"), 5000)})
>>> report = DatasetDrift().check(ReferenceProfile.from_frame(ref), cur, batch_id="b1")
>>> report.is_drift, report.kinds, report.drifted_columns, report.severity
(True, ('covariate',), ['x'], 'moderate')
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np

from driftline.drift.base import DriftResult
from driftline.drift.columns import as_table, parquet_chunks, read_schema, string_columns
from driftline.drift.correction import benjamini_hochberg, holm
from driftline.drift.counting import (
    LABEL_KEY,
    PREDICTIONS_KEY,
    CategoricalSide,
    CurrentSide,
    NumericSide,
)
from driftline.drift.profile import ReferenceProfile, require_profile
from driftline.drift.report import ColumnDrift, DriftReport, Severity
from driftline.drift.sketches import CategoricalSummary, NumericSummary
from driftline.drift.statistics import (
    bin_counts,
    chi2_homogeneity,
    js_distance,
    ks_distance,
    ks_p_value,
    psi,
    total_variation,
    wasserstein_1,
    wasserstein_scale,
)
from driftline.errors import ConfigError, DataError, fail

Correction = Literal["holm", "bh"]

#: Primary effect size of each role (all lie in [0, 1]).
PRIMARY_EFFECT = {
    "numeric": "ks_d",
    "categorical": "js_distance",
    "target": "total_variation",
    "prediction": "ks_d",
}
#: A drifted column is ``severe`` when its primary effect reaches this value, else
#: ``moderate``. 0.2 is a KS distance of a 0.5-sd mean shift of a normal, a 20-point
#: move of a label prior, or a Jensen-Shannon distance of about a 20-point move of a level.
SEVERE_THRESHOLDS = {"numeric": 0.2, "categorical": 0.2, "target": 0.2, "prediction": 0.2}
#: Conventional thresholds of the secondary effects (reported, not used in the decision):
#: PSI 0.1 (Siddiqi, 2006), normalised Wasserstein 0.1 sd, Cramér's V 0.1 (Cohen, 1988).
SECONDARY_THRESHOLDS = {"psi": 0.1, "wasserstein_sd": 0.1, "cramers_v": 0.1}

_REF = {
    "kolmogorov_smirnov": (
        "Kolmogorov (1933); Smirnov (1948); p-value: exact (Hodges, 1957) or Smirnov's "
        "limit (Stephens, 1970)"
    ),
    "psi": "Siddiqi (2006), population stability index on reference quantile bins",
    "categorical_psi": "Siddiqi (2006), population stability index on category proportions",
    "wasserstein": "Wasserstein-1 (Vaserstein, 1969) / reference standard deviation",
    "chi_square": "Pearson (1900) chi-square test of homogeneity; Cramér (1946) V",
    "jensen_shannon": "Lin (1991), Jensen-Shannon distance in bits",
    "label_proportions": (
        "Pearson (1900) chi-square on label proportions; total variation distance"
    ),
}


# ---------------------------------------------------------------------------------------
# multiple-testing correction


def adjust_pvalues(p_values: Sequence[float], method: Correction = "holm") -> np.ndarray:
    """Holm (1979) or Benjamini-Hochberg (1995) adjusted p-values (see
    :mod:`driftline.drift.correction`).

    >>> adjust_pvalues([0.01, 0.04, 0.03], "holm").round(2).tolist()
    [0.03, 0.06, 0.06]
    >>> adjust_pvalues([0.01, 0.04, 0.03], "bh").round(2).tolist()
    [0.03, 0.04, 0.04]
    """
    return holm(p_values) if method == "holm" else benjamini_hochberg(p_values)


# ---------------------------------------------------------------------------------------
# per-column tests (the statistics come from driftline.drift.statistics)


@dataclass(frozen=True)
class _Tested:
    column: str
    role: str
    p_value: float
    effect: float
    effect_name: str
    results: list[DriftResult]
    unseen: tuple[str, ...] = ()
    vanished: tuple[str, ...] = ()


def _result(
    method: str,
    column: str,
    common: Mapping[str, Any],
    value: float,
    name: str,
    threshold: float,
    *,
    significant: bool = True,
    p_value: float | None = None,
    statistic: float | None = None,
    details: Mapping[str, Any] | None = None,
) -> DriftResult:
    """One method's result; drift when ``significant`` and ``value >= threshold``."""
    return DriftResult(
        method=method,
        column=column,
        statistic=float(value if statistic is None else statistic),
        p_value=p_value,
        effect_size=float(value),
        effect_size_name=name,
        threshold=threshold,
        is_drift=bool(significant and value >= threshold),
        details=_clean(details or {}),
        reference=_REF[method],
        **common,
    )


def _common(n: float, m: float, alpha: float, kind: str) -> dict[str, Any]:
    return {"n_reference": int(n), "n_current": int(m), "alpha": alpha, "kind": kind}


def _numeric_test(
    name: str,
    role: str,
    ref: NumericSummary,
    side: NumericSide,
    edges: np.ndarray,
    alpha: float,
    floor: float,
) -> _Tested:
    g = side.counts(ref)
    n, m = g.n_reference, g.n_current
    f_at, f_before = g.ref_le / n, g.ref_lt / n
    c_at, c_before = g.cur_le / m, g.cur_lt / m
    d = ks_distance(np.stack((f_at, f_before)), np.stack((c_at, c_before)))
    p, p_method = ks_p_value(d, n, m)
    pos = np.searchsorted(g.x, edges)  # the PSI edges are grid points
    psi_value = psi(bin_counts(g.ref_le[pos], n), bin_counts(g.cur_le[pos], m))
    w = wasserstein_1(g.x, f_at - c_at, f_before - c_before, below=g.below, above=g.above)
    scale, _ = wasserstein_scale(ref.n, ref.std)
    common = _common(n, m, alpha, "label" if role == "target" else "numeric")
    details = {
        "p_method": p_method,
        "reference_mean": ref.mean,
        "current_mean": side.mean,
        "reference_std": ref.std,
        "current_std": side.std,
        "reference_null_fraction": ref.nulls / max(ref.n + ref.nulls, 1),
        "current_null_fraction": side.nulls / max(m + side.nulls, 1),
    }
    ks = _result(
        "kolmogorov_smirnov",
        name,
        common,
        d,
        "ks_d",
        floor,
        significant=p < alpha,
        p_value=p,
        details=details,
    )
    psi_r = _effect("psi", name, psi_value, "psi", common, {"bins": int(edges.size + 1)})
    w_r = _effect("wasserstein", name, w / scale, "wasserstein_sd", common, {"wasserstein": w})
    return _Tested(name, role, p, d, "ks_d", [ks, psi_r, w_r])


def _effect(
    method: str,
    column: str,
    value: float,
    name: str,
    common: Mapping[str, Any],
    details: Mapping[str, Any],
) -> DriftResult:
    """A secondary effect size: no p-value, drift when it reaches its conventional value."""
    return _result(method, column, common, value, name, SECONDARY_THRESHOLDS[name], details=details)


def _categorical_test(
    name: str,
    role: str,
    ref: CategoricalSummary,
    side: CategoricalSide,
    alpha: float,
    floor: float,
    min_expected: float,
) -> _Tested:
    table = side.table(ref)
    levels, r, c = table.levels, table.reference, table.current
    unseen = tuple(k for k, a, b in zip(levels, r, c, strict=True) if a == 0 and b > 0)
    vanished = tuple(k for k, a, b in zip(levels, r, c, strict=True) if a > 0 and b == 0)
    h = chi2_homogeneity(r, c, min_expected)
    p = h.p_value
    tv = total_variation(r, c)
    jsd = float(js_distance(r, c))
    pr, pcur = r / r.sum(), c / c.sum()
    is_label = role == "target"
    common = _common(r.sum(), c.sum(), alpha, "label" if is_label else "categorical")
    effect, effect_name = (tv, "total_variation") if is_label else (jsd, "js_distance")
    top = np.argsort(-np.abs(pr - pcur))[:10]
    details = {
        "df": h.dof,
        "levels": len(levels),
        "largest_changes": {levels[i]: [float(pr[i]), float(pcur[i])] for i in top},
        "unseen": list(unseen),
        "vanished": list(vanished),
    }
    if is_label:
        main = _result(
            "label_proportions",
            name,
            common,
            tv,
            "total_variation",
            floor,
            significant=p < alpha,
            p_value=p,
            statistic=h.chi2,
            details=details,
        )
        results = [main]
    else:
        main = _result(
            "chi_square",
            name,
            common,
            h.cramers_v,
            "cramers_v",
            SECONDARY_THRESHOLDS["cramers_v"],
            significant=p < alpha,
            p_value=p,
            statistic=h.chi2,
            details=details,
        )
        js = _result(
            "jensen_shannon", name, common, jsd, "js_distance", floor, significant=p < alpha
        )
        results = [main, js]
    psi_value = psi(r, c)
    results.append(
        _effect("categorical_psi", name, psi_value, "psi", common, {"bins": len(levels)})
    )
    return _Tested(name, role, p, effect, effect_name, results, unseen, vanished)


def _extra_kind(r: DriftResult) -> str:
    """Shift kind of a caller-supplied result: from ``r.kind``; concept when unset."""
    kind = r.kind or str((r.details or {}).get("kind", "concept"))
    if kind in ("numeric", "categorical", "multivariate", "covariate"):
        return "covariate"
    return "label" if kind == "label" else "concept"


def _clean(d: Mapping[str, Any]) -> dict[str, Any]:
    """JSON-safe details: python floats, NaN/inf as None."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, float | np.floating):
            v = float(v)
            out[k] = v if math.isfinite(v) else None
        else:
            out[k] = v
    return out


# ---------------------------------------------------------------------------------------
# the detector


class DatasetDrift:
    """Dataset-level drift check of a batch against a :class:`ReferenceProfile`.

    Parameters
    ----------
    alpha : float
        Family-wise error rate (Holm) or false discovery rate (BH) of the column tests.
    correction : {"holm", "bh"}
        Multiple-testing correction over all tested columns.
    numeric_floor, categorical_floor, label_floor : float
        Minimum primary effect for a column to count as drifted: KS distance for numeric
        columns and predictions, Jensen-Shannon distance (bits) for categorical ones, total
        variation for a categorical label (KS distance for a continuous one). The defaults
        are those of :class:`~driftline.drift.KolmogorovSmirnov` (0.04, a 0.1-sd shift of
        a normal), :class:`~driftline.drift.JensenShannon` (0.04) and
        :class:`~driftline.drift.LabelProportions` (0.05).
    severe_thresholds : mapping, optional
        Primary effect from which a drifted column is ``severe``; defaults to
        :data:`SEVERE_THRESHOLDS`.
    psi_bins : int
        Number of reference quantile bins of the numeric PSI.
    min_expected : float
        Categorical levels with a smaller expected count are pooled for the chi-square.
    """

    def __init__(
        self,
        alpha: float = 0.05,
        correction: Correction = "holm",
        numeric_floor: float = 0.04,
        categorical_floor: float = 0.04,
        label_floor: float = 0.05,
        *,
        severe_thresholds: Mapping[str, float] | None = None,
        psi_bins: int = 10,
        min_expected: float = 5.0,
    ) -> None:
        self.alpha = alpha
        self.correction = correction
        self.numeric_floor = numeric_floor
        self.categorical_floor = categorical_floor
        self.label_floor = label_floor
        self.severe_thresholds = severe_thresholds
        self.psi_bins = psi_bins
        self.min_expected = min_expected

    # -- public API -----------------------------------------------------------------------

    def check(
        self,
        profile: ReferenceProfile,
        current: Any,
        *,
        target: Any = None,
        predictions: Any = None,
        batch_id: str | None = None,
        extra_results: Iterable[DriftResult] = (),
    ) -> DriftReport:
        """Test a batch (pandas DataFrame or pyarrow Table) against ``profile``.

        ``target`` is the label column name or the labels themselves (default: the
        profile's target column, when the batch has it); ``predictions`` are predicted
        probabilities of the batch. ``extra_results`` are caller-made results, e.g. a
        :class:`~driftline.drift.PerformanceDrop`, taken as they are (not corrected): a
        drifted one adds its kind (``result.kind``: ``concept`` or unset -> concept,
        ``label`` -> label, ``numeric``/``categorical``/``multivariate`` -> covariate),
        counts in ``max_effect`` and is ``severe`` when ``details["severity"]`` says so.

        Raises
        ------
        ConfigError
            A parameter is invalid, or a ``target`` is given for a profile without label.
        DataError
            ``profile`` is not a :class:`ReferenceProfile`; the batch cannot be read, has
            no rows or none of the profile's columns; a numeric column holds text or
            +/-inf; ``target``/``predictions`` do not have one value per row; a ``target``
            column is not in the batch.
        """
        self._validate(profile)
        side = CurrentSide(profile, self.psi_bins)
        side.add_table(as_table(current), target=target, predictions=predictions)
        return self._decide(profile, side, batch_id, extra_results)

    def check_parquet(
        self,
        profile: ReferenceProfile,
        path: str | Path,
        *,
        chunk_rows: int = 1_000_000,
        batch_id: str | None = None,
        extra_results: Iterable[DriftResult] = (),
    ) -> DriftReport:
        """Like :meth:`check` on a parquet file read in chunks of ``chunk_rows`` rows."""
        self._validate(profile)
        if chunk_rows < 1:
            raise ConfigError(fail(f"chunk_rows={chunk_rows}", "use a positive number of rows"))
        schema = read_schema(path)
        wanted = {*profile.numeric, *profile.categorical}
        if profile.target is not None:
            wanted.add(profile.target)
        cols = [c for c in schema.names if c in wanted]
        side = CurrentSide(profile, self.psi_bins)
        for table in parquet_chunks(path, chunk_rows, cols, string_columns(schema, cols)):
            side.add_table(table)
        side.seen |= set(schema.names)
        return self._decide(profile, side, batch_id, extra_results)

    def compare(
        self,
        reference: ReferenceProfile,
        current: ReferenceProfile,
        *,
        batch_id: str | None = None,
        extra_results: Iterable[DriftResult] = (),
    ) -> DriftReport:
        """Profile-to-profile check (e.g. a batch against merged earlier batches).

        The current side is then a sketch too: KS stays within about ``2 / levels`` of the
        exact value; the PSI of a nearly empty bin is steeper and may be off by ~1 %.
        """
        self._validate(reference)
        side = CurrentSide(reference, self.psi_bins)
        side.add_profile(require_profile(current))
        return self._decide(reference, side, batch_id, extra_results)

    # -- validation (the one place) -------------------------------------------------------

    def _validate(self, profile: Any) -> None:
        if not (isinstance(self.alpha, float | int) and 0 < self.alpha < 1):
            raise ConfigError(fail(f"alpha={self.alpha!r}", "use a number in (0, 1)"))
        if self.correction not in ("holm", "bh"):
            raise ConfigError(fail(f"correction={self.correction!r}", "use 'holm' or 'bh'"))
        for nm in ("numeric_floor", "categorical_floor", "label_floor"):
            v = getattr(self, nm)
            if not (isinstance(v, float | int) and 0 <= v <= 1):
                raise ConfigError(fail(f"{nm}={v!r}", "use an effect size in [0, 1]"))
        if not (isinstance(self.psi_bins, int) and self.psi_bins >= 2):
            raise ConfigError(fail(f"psi_bins={self.psi_bins!r}", "use an integer >= 2"))
        if not self.min_expected >= 0:
            raise ConfigError(fail(f"min_expected={self.min_expected!r}", "use a count >= 0"))
        require_profile(profile)

    @staticmethod
    def _validate_batch(profile: ReferenceProfile, side: CurrentSide) -> None:
        """The batch as a whole (per-column problems are raised while it is counted)."""
        if side.n_rows == 0:
            raise DataError(fail("the batch has no rows", "pass a non-empty batch"))
        features = profile.features
        if features and not any(c in side.seen for c in features):
            raise DataError(
                fail(
                    f"the batch has none of the profile's columns {features}",
                    "pass a batch with the columns the reference was profiled with",
                )
            )

    # -- decision -------------------------------------------------------------------------

    def _floor(self, role: str) -> float:
        if role == "categorical":
            return float(self.categorical_floor)
        if role == "target":
            return float(self.label_floor)
        return float(self.numeric_floor)

    def _decide(
        self,
        profile: ReferenceProfile,
        side: CurrentSide,
        batch_id: str | None,
        extra_results: Iterable[DriftResult],
    ) -> DriftReport:
        self._validate_batch(profile, side)
        alpha = float(self.alpha)
        severe = {**SEVERE_THRESHOLDS, **(self.severe_thresholds or {})}
        notes: list[str] = []
        tested: list[_Tested] = []
        missing = [c for c in profile.features if c not in side.seen]
        if missing:
            notes.append(f"columns missing from the batch (not tested): {missing}")
        for name, s in profile.numeric.items():
            cs = side.numeric[name]
            if name in missing:
                continue
            if s.n == 0 or cs.n == 0:
                notes.append(f"numeric column {name!r} has no values on one side (not tested)")
                continue
            tested.append(
                _numeric_test(
                    name, "numeric", s, cs, side.edges[name], alpha, self._floor("numeric")
                )
            )
        for name, s in profile.categorical.items():
            if name in missing:
                continue
            cc = side.categorical[name]
            if s.n + s.nulls == 0 or cc.n == 0:
                notes.append(f"categorical column {name!r} has no values on one side (not tested)")
                continue
            tested.append(
                _categorical_test(
                    name, "categorical", s, cc, alpha, self._floor("categorical"), self.min_expected
                )
            )
        if profile.target is not None:
            if not side.has_label:
                notes.append("the batch has no target: label shift not tested")
            elif isinstance(profile.label, CategoricalSummary) and side.label_cat is not None:
                if side.label_cat.n > 0:
                    tested.append(
                        _categorical_test(
                            profile.target,
                            "target",
                            profile.label,
                            side.label_cat,
                            alpha,
                            self._floor("target"),
                            self.min_expected,
                        )
                    )
            elif isinstance(profile.label, NumericSummary) and side.label_num is not None:
                if side.label_num.n > 0:
                    t = _numeric_test(
                        profile.target,
                        "target",
                        profile.label,
                        side.label_num,
                        side.edges[LABEL_KEY],
                        alpha,
                        self._floor("target"),
                    )
                    tested.append(t)
        if profile.predictions is not None and side.pred is not None and side.has_pred:
            if side.pred.n > 0:
                tested.append(
                    _numeric_test(
                        "__predictions__",
                        "prediction",
                        profile.predictions,
                        side.pred,
                        side.edges[PREDICTIONS_KEY],
                        alpha,
                        self._floor("prediction"),
                    )
                )
        extras = tuple(extra_results)
        return self._assemble(profile, side, tested, extras, notes, batch_id, severe)

    def _assemble(
        self,
        profile: ReferenceProfile,
        side: CurrentSide,
        tested: list[_Tested],
        extras: tuple[DriftResult, ...],
        notes: list[str],
        batch_id: str | None,
        severe: Mapping[str, float],
    ) -> DriftReport:
        alpha = float(self.alpha)
        adjusted = adjust_pvalues([t.p_value for t in tested], self.correction)
        order = sorted(range(len(tested)), key=lambda i: (-tested[i].effect, tested[i].column))
        rank = {i: r + 1 for r, i in enumerate(order)}
        entries: list[ColumnDrift] = []
        for i in order:
            t = tested[i]
            floor = self._floor(t.role)
            drifted = bool(adjusted[i] < alpha and t.effect >= floor)
            sev: Severity = "none"
            if drifted:
                sev = "severe" if t.effect >= severe.get(t.role, 1.0) else "moderate"
            entries.append(
                ColumnDrift(
                    column=t.column,
                    role=t.role,
                    effect_size=float(t.effect),
                    effect_size_name=t.effect_name,
                    floor=floor,
                    p_value=float(t.p_value),
                    p_value_corrected=float(adjusted[i]),
                    drifted=drifted,
                    severity=sev,
                    rank=rank[i],
                    results=tuple(t.results),
                )
            )
        kinds: list[str] = []
        if any(e.drifted and e.role in ("numeric", "categorical", "prediction") for e in entries):
            kinds.append("covariate")
        if any(e.drifted and e.role == "target" for e in entries):
            kinds.append("label")
        drifted_extras = [r for r in extras if r.is_drift]
        for r in drifted_extras:
            kind = _extra_kind(r)
            if kind not in kinds:
                kinds.append(kind)
        kinds_t = tuple(k for k in ("covariate", "label", "concept") if k in kinds)
        is_drift = bool(kinds_t)
        effects = [e.effect_size for e in entries if e.drifted]
        effects += [float(r.effect_size) for r in drifted_extras]
        sevs = [e.severity for e in entries if e.drifted]
        sevs += [
            "severe" if (r.details or {}).get("severity") == "severe" else "moderate"
            for r in drifted_extras
        ]
        severity: Severity = "severe" if "severe" in sevs else "moderate" if sevs else "none"
        unseen = {t.column: t.unseen for t in tested if t.unseen}
        vanished = {t.column: t.vanished for t in tested if t.vanished}
        if unseen:
            notes.append(f"unseen categories in {sorted(unseen)}")
        n_cur = side.n_rows
        return DriftReport(
            batch_id=batch_id,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            alpha=alpha,
            correction=self.correction,
            is_drift=is_drift,
            kinds=kinds_t,  # type: ignore[arg-type]
            severity=severity,
            max_effect=float(max(effects, default=0.0)),
            columns=tuple(entries),
            n_reference=int(profile.n_rows),
            n_current=int(n_cur),
            unseen_categories=unseen,
            vanished_categories=vanished,
            extra_results=extras,
            notes=tuple(notes),
        )
