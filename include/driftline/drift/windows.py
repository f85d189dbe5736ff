"""Time windows: each batch against the reference and against the previous N batches.

Comparing with the fixed reference catches slow (gradual) drift; comparing with the
merged profiles of the last ``n_previous`` batches (profiles are mergeable, see
:mod:`driftline.drift.profile`) catches sudden changes relative to recent history, in the
spirit of the two-window schemes of Kifer, Ben-David & Gehrke (2004). :func:`first_drift`
tells from which batch each column has drifted.

>>> import numpy as np, pandas as pd
>>> from driftline.drift.profile import ReferenceProfile
>>> rng = np.random.default_rng(1)
>>> def batch(shift):
...     return pd.DataFrame({"x": rng.normal(shift, 1, 3000), "z": rng.normal(0, 1, 3000)})
>>> ref = ReferenceProfile.from_frame(batch(0.0))
>>> batches = [(f"b{i}", batch(0.0 if i < 3 else 0.6)) for i in range(6)]
>>> reports = WindowedDrift(n_previous=2).run(ref, batches)
>>> first_drift(reports)
{'x': 'b3'}
>>> reports[3].windows["previous"]["drifted_columns"], reports[5].windows["previous"]["drifted_columns"]
(['x'], [])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Literal

from driftline.drift.decision import DatasetDrift
from driftline.drift.profile import ReferenceProfile, require_profile
from driftline.drift.report import DriftReport
from driftline.errors import ConfigError, fail

Against = Literal["reference", "previous"]


class WindowedDrift:
    """Run a :class:`DatasetDrift` over a sequence of batches.

    Parameters
    ----------
    n_previous : int
        How many preceding batches form the moving baseline (merged into one profile).
    detector : DatasetDrift, optional
        The dataset-level check (default settings when omitted).
    """

    def __init__(self, n_previous: int = 4, detector: DatasetDrift | None = None) -> None:
        self.n_previous = n_previous
        self.detector = detector

    def _validate(self, reference: Any) -> DatasetDrift:
        if not isinstance(self.n_previous, int) or self.n_previous < 1:
            raise ConfigError(fail(f"n_previous={self.n_previous!r}", "use an integer >= 1"))
        require_profile(reference)
        return self.detector if self.detector is not None else DatasetDrift()

    def step(
        self,
        reference: ReferenceProfile,
        batch_id: str,
        batch: Any,
        previous: Sequence[tuple[str, ReferenceProfile]] = (),
    ) -> tuple[DriftReport, ReferenceProfile]:
        """Check one batch; ``previous`` are ``(batch_id, profile)`` of earlier batches.

        Returns the report (with ``windows["previous"]`` when there is history) and the
        batch's profile, to be stored for the next step.
        """
        detector = self._validate(reference)
        if isinstance(batch, ReferenceProfile):
            profile = batch
            report = detector.compare(reference, profile, batch_id=batch_id)
        else:
            profile = ReferenceProfile.from_frame(batch, like=reference)
            report = detector.check(reference, batch, batch_id=batch_id)
        recent = list(previous)[-self.n_previous :]
        windows: dict[str, Any] = {}
        if recent:
            window = ReferenceProfile.merge_all([p for _, p in recent])
            wr = detector.compare(window, profile, batch_id=batch_id)
            windows["previous"] = {
                "batch_ids": [b for b, _ in recent],
                "n_reference": wr.n_reference,
                "is_drift": wr.is_drift,
                "kinds": list(wr.kinds),
                "severity": wr.severity,
                "max_effect": wr.max_effect,
                "drifted_columns": wr.drifted_columns,
                "effects": {c.column: c.effect_size for c in wr.columns},
                "p_values_corrected": {c.column: c.p_value_corrected for c in wr.columns},
            }
        return replace(report, windows=windows), profile

    def run(
        self, reference: ReferenceProfile, batches: Sequence[tuple[str, Any]]
    ) -> list[DriftReport]:
        """Check each ``(batch_id, DataFrame | Table | ReferenceProfile)`` in order.

        Each report's ``windows`` holds the comparison with the previous ``n_previous``
        batches and ``first_drift`` (per column, the first batch flagged against the
        reference so far).
        """
        self._validate(reference)
        reports: list[DriftReport] = []
        history: list[tuple[str, ReferenceProfile]] = []
        for batch_id, batch in batches:
            report, profile = self.step(reference, batch_id, batch, history)
            reports.append(report)
            history.append((batch_id, profile))
            windows = {**report.windows, "first_drift": first_drift(reports)}
            reports[-1] = replace(report, windows=windows)
        return reports


def first_drift(
    reports: Sequence[DriftReport | Mapping[str, Any]],
    *,
    against: Against = "reference",
    persistent: bool = False,
) -> dict[str, str]:
    """Per column, the id of the first batch from which it has drifted.

    Parameters
    ----------
    reports : sequence of DriftReport (or their dicts), oldest first
    against : {"reference", "previous"}
        Use the decision against the reference or against the previous-batches window.
    persistent : bool
        If true, the first batch from which the column stays drifted in every later
        report (columns not drifted in the last report are left out).
    """
    flags: list[tuple[str, set[str]]] = []
    for i, r in enumerate(reports):
        rep = DriftReport.from_dict(r) if isinstance(r, Mapping) else r
        bid = rep.batch_id if rep.batch_id is not None else str(i)
        if against == "previous":
            drifted = set(rep.windows.get("previous", {}).get("drifted_columns", []))
        else:
            drifted = set(rep.drifted_columns)
        flags.append((bid, drifted))
    out: dict[str, str] = {}
    if not persistent:
        for bid, drifted in flags:
            for col in sorted(drifted):
                out.setdefault(col, bid)
        return out
    start: dict[str, str] = {}
    for bid, drifted in flags:
        for col in list(start):
            if col not in drifted:
                del start[col]
        for col in sorted(drifted):
            start.setdefault(col, bid)
    return dict(sorted(start.items(), key=lambda kv: [b for b, _ in flags].index(kv[1])))
