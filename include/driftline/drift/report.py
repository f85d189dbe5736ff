"""The dataset-level drift report: one frozen, JSON round-trippable record per batch.

Downstream code (the training policy) reads ``is_drift``, ``kinds``, ``severity``,
``max_effect`` and ``drifted_columns`` and rebuilds stored reports with
``DriftReport.from_dict(json.loads(text))``. The decision itself is made in
:mod:`driftline.drift.decision`.

>>> r = DriftReport(batch_id="b1", created_at="2025-01-01T00:00:00+00:00", alpha=0.05,
...                 correction="holm", is_drift=False, kinds=(), severity="none",
...                 max_effect=0.0, columns=(), n_reference=10, n_current=10)
>>> DriftReport.from_json(r.to_json()) == r
True
>>> r.summary()
'batch b1: no drift (0 columns tested, largest effect 0)'
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from driftline.drift.base import DriftResult
from driftline.errors import DataError, fail

REPORT_SCHEMA_VERSION = 1
Severity = Literal["none", "moderate", "severe"]
ShiftKind = Literal["covariate", "label", "concept"]
SEVERITIES: tuple[Severity, ...] = ("none", "moderate", "severe")
KINDS: tuple[ShiftKind, ...] = ("covariate", "label", "concept")


@dataclass(frozen=True)
class ColumnDrift:
    """Per-column entry of a :class:`DriftReport`.

    ``effect_size`` is the column's primary effect (``effect_size_name``: ``ks_d`` for
    numeric columns, ``js_distance`` for categorical ones, ``total_variation`` for a
    categorical label); ``p_value_corrected`` is the Holm or Benjamini-Hochberg adjusted
    p-value; ``drifted`` is ``p_value_corrected < alpha and effect_size >= floor``;
    ``rank`` is 1 for the largest effect. ``results`` holds every method's
    :class:`~driftline.drift.base.DriftResult` (the test and the secondary effect sizes).
    """

    column: str
    role: str
    effect_size: float
    effect_size_name: str
    floor: float
    p_value: float | None
    p_value_corrected: float | None
    drifted: bool
    severity: Severity
    rank: int
    results: tuple[DriftResult, ...] = ()

    @property
    def effects(self) -> dict[str, float]:
        """``{effect name: value}`` over all method results."""
        return {r.effect_size_name: r.effect_size for r in self.results}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "column": self.column,
            "role": self.role,
            "effect_size": self.effect_size,
            "effect_size_name": self.effect_size_name,
            "floor": self.floor,
            "p_value": self.p_value,
            "p_value_corrected": self.p_value_corrected,
            "drifted": self.drifted,
            "severity": self.severity,
            "rank": self.rank,
            "results": [r.to_dict() for r in self.results],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ColumnDrift:
        """Inverse of :meth:`to_dict`."""
        return cls(
            column=d["column"],
            role=d["role"],
            effect_size=float(d["effect_size"]),
            effect_size_name=d["effect_size_name"],
            floor=float(d["floor"]),
            p_value=_opt_float(d.get("p_value")),
            p_value_corrected=_opt_float(d.get("p_value_corrected")),
            drifted=bool(d["drifted"]),
            severity=d["severity"],
            rank=int(d["rank"]),
            results=tuple(result_from_dict(r) for r in d.get("results", ())),
        )


@dataclass(frozen=True)
class DriftReport:
    """Dataset-level drift decision for one batch.

    ``is_drift`` is true when at least one column drifted (see :class:`ColumnDrift`) or a
    caller-supplied result in ``extra_results`` (concept drift, e.g. a performance drop)
    says so. ``kinds`` names the shift: ``covariate`` (feature or prediction columns),
    ``label`` (the target's distribution) and/or ``concept`` (from ``extra_results``).
    ``severity`` is ``none``, ``moderate`` or ``severe`` (see
    :data:`driftline.drift.decision.SEVERE_THRESHOLDS`); ``max_effect`` is the largest
    primary effect among drifted columns and drifted extra results (0 when none).
    ``columns`` is ranked by effect size; ``windows`` holds comparisons with earlier
    batches (:mod:`driftline.drift.windows`).
    """

    batch_id: str | None
    created_at: str
    alpha: float
    correction: str
    is_drift: bool
    kinds: tuple[ShiftKind, ...]
    severity: Severity
    max_effect: float
    columns: tuple[ColumnDrift, ...]
    n_reference: int
    n_current: int
    unseen_categories: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    vanished_categories: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    extra_results: tuple[DriftResult, ...] = ()
    windows: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    schema_version: int = REPORT_SCHEMA_VERSION

    @property
    def drifted_columns(self) -> list[str]:
        """Names of the drifted columns, largest effect first."""
        return [c.column for c in self.columns if c.drifted]

    def column(self, name: str) -> ColumnDrift:
        """The entry of one column."""
        for c in self.columns:
            if c.column == name:
                return c
        raise KeyError(name)

    def summary(self) -> str:
        """One line of text."""
        who = f"batch {self.batch_id}" if self.batch_id is not None else "batch"
        if not self.is_drift:
            top = max((c.effect_size for c in self.columns), default=0.0)
            return f"{who}: no drift ({len(self.columns)} columns tested, largest effect {top:.3g})"
        parts = [
            f"{c.column} ({c.effect_size_name}={c.effect_size:.3g})"
            for c in self.columns
            if c.drifted
        ]
        parts += [
            f"{r.method} ({r.effect_size_name}={r.effect_size:.3g})"
            for r in self.extra_results
            if r.is_drift
        ]
        return (
            f"{who}: DRIFT [{', '.join(self.kinds)}; {self.severity}; max effect "
            f"{self.max_effect:.3g}] in {len(self.drifted_columns)}/{len(self.columns)} "
            f"columns: {', '.join(parts)}"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "schema_version": self.schema_version,
            "batch_id": self.batch_id,
            "created_at": self.created_at,
            "alpha": self.alpha,
            "correction": self.correction,
            "is_drift": self.is_drift,
            "kinds": list(self.kinds),
            "severity": self.severity,
            "max_effect": self.max_effect,
            "drifted_columns": self.drifted_columns,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "columns": [c.to_dict() for c in self.columns],
            "unseen_categories": {k: list(v) for k, v in self.unseen_categories.items()},
            "vanished_categories": {k: list(v) for k, v in self.vanished_categories.items()},
            "extra_results": [r.to_dict() for r in self.extra_results],
            "windows": _jsonable(self.windows),
            "notes": list(self.notes),
        }

    def to_json(self, indent: int | None = None) -> str:
        """JSON text."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DriftReport:
        """Inverse of :meth:`to_dict` (the derived ``drifted_columns`` key is ignored)."""
        version = d.get("schema_version", REPORT_SCHEMA_VERSION)
        if version != REPORT_SCHEMA_VERSION:
            raise DataError(
                fail(
                    f"drift report schema version {version!r} is not {REPORT_SCHEMA_VERSION}",
                    "re-run the drift check with this version of driftline",
                )
            )
        try:
            return cls(
                batch_id=d.get("batch_id"),
                created_at=d["created_at"],
                alpha=float(d["alpha"]),
                correction=d["correction"],
                is_drift=bool(d["is_drift"]),
                kinds=tuple(d["kinds"]),
                severity=d["severity"],
                max_effect=float(d["max_effect"]),
                columns=tuple(ColumnDrift.from_dict(c) for c in d["columns"]),
                n_reference=int(d["n_reference"]),
                n_current=int(d["n_current"]),
                unseen_categories={
                    k: tuple(v) for k, v in (d.get("unseen_categories") or {}).items()
                },
                vanished_categories={
                    k: tuple(v) for k, v in (d.get("vanished_categories") or {}).items()
                },
                extra_results=tuple(result_from_dict(r) for r in d.get("extra_results", ())),
                windows=dict(d.get("windows") or {}),
                notes=tuple(d.get("notes", ())),
                schema_version=version,
            )
        except (KeyError, TypeError, ValueError) as e:
            raise DataError(fail(f"malformed drift report ({e!r})", "pass a report dict")) from e

    @classmethod
    def from_json(cls, text: str) -> DriftReport:
        """Inverse of :meth:`to_json`."""
        return cls.from_dict(json.loads(text))


def result_from_dict(d: Mapping[str, Any]) -> DriftResult:
    """Rebuild a :class:`~driftline.drift.base.DriftResult` from its ``to_dict()``."""
    return DriftResult.from_dict(d)


def _opt_float(v: Any) -> float | None:
    return None if v is None else float(v)


def _jsonable(v: Any) -> Any:
    if isinstance(v, Mapping):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    return v
