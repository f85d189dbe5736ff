"""Alert rules evaluated on the monitoring data of one batch, deduplicated per batch and rule.

Each rule is a small :class:`AlertRule` whose hook :meth:`AlertRule._check` reads the
:class:`BatchFacts` of a batch and returns a :class:`Finding` (or ``None``); the public
:meth:`AlertRule.evaluate` turns it into a frozen :class:`Alert` with links to the Airflow
run, MLflow and Data Docs (:mod:`driftline.monitoring.alert_types`). Sending is
:func:`driftline.alerting.send_batch_alerts`, the one entry point: it evaluates these
rules, claims each alert in the store's ledger and hands it to every notifier
(:mod:`driftline.monitoring.notifiers`).

>>> facts = BatchFacts("week-07", batch={"status": "quarantined", "message": "price has inf"})
>>> alert = QuarantinedBatch().evaluate(facts)
>>> alert.rule, alert.severity, alert.dedup_key
('quarantined_batch', 'warning', 'quarantined_batch:week-07')
>>> print(alert.message)
batch week-07 was quarantined: price has inf
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from driftline.errors import ConfigError, fail
from driftline.monitoring.alert_types import SEVERITY_ORDER, Alert, AlertSeverity
from driftline.monitoring.links import Links

if TYPE_CHECKING:
    from driftline.monitoring.store import MonitoringStore


@dataclass(frozen=True)
class Finding:
    """What a rule found; ``record`` adds link fields (``mlflow_run_id``, ``model_version``)."""

    severity: AlertSeverity
    message: str
    record: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchFacts:
    """The monitoring data of one batch that rules look at (all parts optional)."""

    batch_id: str
    batch: Mapping[str, Any] | None = None
    drift: Mapping[str, Any] | None = None
    decision: Mapping[str, Any] | None = None
    performance: Sequence[Mapping[str, Any]] = ()
    events: Sequence[Mapping[str, Any]] = ()
    estimated: Sequence[Mapping[str, Any]] = ()

    @classmethod
    def load(cls, store: MonitoringStore, batch_id: str) -> BatchFacts:
        """Read a batch's facts from the store."""
        decision = next((d for d in store.decisions() if d["batch_id"] == batch_id), None)
        return cls(
            batch_id=batch_id,
            batch=store.batch(batch_id),
            drift=store.drift_report(batch_id),
            decision=decision,
            performance=tuple(
                r for r in store.performance(role="champion") if r["batch_id"] == batch_id
            ),
            events=tuple(store.model_events(batch_id=batch_id)),
            estimated=tuple(store.estimated_performance(batch_id=batch_id)),
        )


class AlertRule(ABC):
    """Base of every alert rule: subclasses set ``name`` and implement ``_check``."""

    name: ClassVar[str]

    @property
    def rule_name(self) -> str:
        """Name stored with the alert (the dedup key's first part)."""
        return self.name

    def evaluate(self, facts: BatchFacts, links: Links | None = None) -> Alert | None:
        """The alert this rule raises for a batch, or ``None``."""
        found = self._check(facts)
        if found is None:
            return None
        if found.severity not in SEVERITY_ORDER:
            raise ConfigError(
                fail(
                    f"rule {self.rule_name} gave severity {found.severity!r}",
                    f"use one of {SEVERITY_ORDER}",
                )
            )
        record = {"batch_id": facts.batch_id, **dict(facts.batch or {}), **dict(found.record)}
        urls = {} if links is None else {**links.for_record(record), "driftline": links.view()}
        return Alert(self.rule_name, facts.batch_id, found.severity, found.message, urls)

    @abstractmethod
    def _check(self, facts: BatchFacts) -> Finding | None:
        """Look at the facts; return a finding when the rule fires."""


class DriftDetected(AlertRule):
    """Fires when the batch's drift report says ``is_drift`` (critical when severe)."""

    name = "drift_detected"

    def _check(self, facts: BatchFacts) -> Finding | None:
        d = facts.drift
        if not d or not d.get("is_drift"):
            return None
        report = d.get("report") or {}
        columns = report.get("drifted_columns") or [
            c.get("column") for c in report.get("columns") or [] if c.get("drifted")
        ]
        kinds = ", ".join(d.get("kinds") or []) or "drift"
        where = f" in {', '.join(map(str, columns))}" if columns else ""
        msg = (
            f"batch {facts.batch_id}: {kinds} drift ({d.get('severity', '?')}, largest effect "
            f"{float(d.get('max_effect') or 0):.3g}){where}"
        )
        return Finding("critical" if d.get("severity") == "severe" else "warning", msg)


class PerformanceBelowFloor(AlertRule):
    """Fires when the champion's ``metric`` on the batch is below ``floor`` (or above it,
    with ``higher_is_better=False``, e.g. for RMSE).

    Parameters
    ----------
    metric : str
        Metric name as recorded (``accuracy``, ``f1``, ``roc_auc``, ``mae``, ``rmse``...).
    floor : float
        The bound.
    higher_is_better : bool
        Direction of the metric.
    """

    name = "performance_below_floor"

    def __init__(
        self, metric: str = "accuracy", floor: float = 0.7, higher_is_better: bool = True
    ) -> None:
        self.metric = metric
        self.floor = floor
        self.higher_is_better = higher_is_better

    @property
    def rule_name(self) -> str:
        return f"{self.metric}_{'below_floor' if self.higher_is_better else 'above_ceiling'}"

    def _check(self, facts: BatchFacts) -> Finding | None:
        for row in facts.performance:
            if row.get("metric") != self.metric:
                continue
            value = float(row["value"])
            bad = value < self.floor if self.higher_is_better else value > self.floor
            if bad:
                word = "below the floor" if self.higher_is_better else "above the ceiling"
                msg = (
                    f"batch {facts.batch_id}: champion v{row.get('model_version')} {self.metric} "
                    f"{value:.4g} is {word} {self.floor:g}"
                )
                return Finding("critical", msg, {"model_version": row.get("model_version")})
        return None


class EstimatedPerformanceDrop(AlertRule):
    """Fires when the champion's *estimated* ``metric`` on a batch without labels
    (:mod:`driftline.estimate`) is below ``floor`` (above it for error metrics), or, with
    ``relative_drop``, worse than its hold-out value by more than that fraction.

    Parameters
    ----------
    metric, floor, higher_is_better
        As :class:`PerformanceBelowFloor` (the same alert floor).
    relative_drop : float or None
        The estimated-drop floor (``DRIFTLINE_ESTIMATED_DROP_FLOOR`` when
        ``DRIFTLINE_ESTIMATED_DROP_ACTION`` is not ``none``); ``None``: floor only.
    """

    name = "estimated_performance_drop"

    def __init__(
        self,
        metric: str = "accuracy",
        floor: float = 0.7,
        higher_is_better: bool = True,
        relative_drop: float | None = None,
    ) -> None:
        self.metric = metric
        self.floor = floor
        self.higher_is_better = higher_is_better
        self.relative_drop = relative_drop

    @property
    def rule_name(self) -> str:
        return f"estimated_{self.metric}_drop"

    def _check(self, facts: BatchFacts) -> Finding | None:
        for row in facts.estimated:
            if row.get("metric") != self.metric or row.get("realized") is not None:
                continue  # once labels arrived, the realized rule speaks
            value, ref = float(row["value"]), row.get("reference_value")
            sign = 1.0 if self.higher_is_better else -1.0
            band = ""
            if row.get("low") is not None and row.get("high") is not None:
                band = f", band {float(row['low']):.3g}-{float(row['high']):.3g}"
            what = (
                f"batch {facts.batch_id}: estimated {self.metric} of champion "
                f"v{row.get('model_version')} {value:.4g} ({row.get('method', '?')}{band}, "
                "no labels yet)"
            )
            if sign * (value - self.floor) < 0:
                word = "below the floor" if self.higher_is_better else "above the ceiling"
                msg = f"{what} is {word} {self.floor:g}"
            elif (
                self.relative_drop is not None
                and ref is not None
                and sign * (value - float(ref)) < -self.relative_drop * abs(float(ref))
            ):
                change = 100.0 * abs(value - float(ref)) / abs(float(ref))
                msg = (
                    f"{what} is {change:.1f} % worse than its hold-out {float(ref):.4g} "
                    f"(floor {100 * self.relative_drop:g} %)"
                )
            else:
                continue
            return Finding("warning", msg, {"model_version": row.get("model_version")})
        return None


class QuarantinedBatch(AlertRule):
    """Fires when the batch failed validation and was quarantined."""

    name = "quarantined_batch"

    def _check(self, facts: BatchFacts) -> Finding | None:
        b = facts.batch or {}
        if b.get("status") != "quarantined":
            return None
        why = f": {b['message']}" if b.get("message") else ""
        return Finding("warning", f"batch {facts.batch_id} was quarantined{why}")


class FailedRun(AlertRule):
    """Fires when the pipeline run for the batch failed."""

    name = "failed_run"

    def _check(self, facts: BatchFacts) -> Finding | None:
        b = facts.batch or {}
        if b.get("status") != "failed":
            return None
        why = f": {b['message']}" if b.get("message") else ""
        run = f" (DAG run {b.get('dag_id')} / {b.get('run_id')})" if b.get("run_id") else ""
        return Finding("critical", f"pipeline run for batch {facts.batch_id} failed{run}{why}")


class _ModelEventRule(AlertRule):
    kind: ClassVar[str]
    severity: ClassVar[AlertSeverity]
    verb: ClassVar[str]

    def _check(self, facts: BatchFacts) -> Finding | None:
        events = [e for e in facts.events if e.get("kind") == self.kind]
        if not events:
            return None
        e = events[-1]
        was = f" (was v{e['previous_version']})" if e.get("previous_version") else ""
        why = f": {e['reason']}" if e.get("reason") else ""
        msg = f"model v{e.get('model_version')} {self.verb}{was} after batch {facts.batch_id}{why}"
        return Finding(
            self.severity,
            msg,
            {"model_version": e.get("model_version"), "mlflow_run_id": e.get("mlflow_run_id")},
        )


class Promotion(_ModelEventRule):
    """Fires when a new champion was promoted on the batch."""

    name = "promotion"
    kind = "promotion"
    severity = "info"
    verb = "was promoted to champion"


class Rollback(_ModelEventRule):
    """Fires when the champion was rolled back on the batch."""

    name = "rollback"
    kind = "rollback"
    severity = "warning"
    verb = "is champion again (rollback)"


def default_rules(
    metric: str = "accuracy",
    floor: float = 0.7,
    higher_is_better: bool = True,
    estimated_drop: float | None = None,
) -> tuple[AlertRule, ...]:
    """The seven standard rules (drift, performance floor, estimated performance,
    quarantine, failure, promotion, rollback); ``estimated_drop`` is the
    ``relative_drop`` of :class:`EstimatedPerformanceDrop`."""
    return (
        DriftDetected(),
        PerformanceBelowFloor(metric, floor, higher_is_better),
        EstimatedPerformanceDrop(metric, floor, higher_is_better, estimated_drop),
        QuarantinedBatch(),
        FailedRun(),
        Promotion(),
        Rollback(),
    )


#: Metrics where lower is better (their floor is a ceiling).
LOWER_IS_BETTER = ("mae", "rmse", "mse", "log_loss", "brier")


def rules_from_env(env: Mapping[str, str] | None = None) -> tuple[AlertRule, ...]:
    """:func:`default_rules` with the metric and bound from ``DRIFTLINE_ALERT_METRIC``
    (default ``accuracy``) and ``DRIFTLINE_ALERT_FLOOR`` (default 0.7); ``mae``, ``rmse``
    and other error metrics get a ceiling instead of a floor. With
    ``DRIFTLINE_ESTIMATED_DROP_ACTION`` other than ``none`` the estimated-performance rule
    also fires on a drop of ``DRIFTLINE_ESTIMATED_DROP_FLOOR`` below the hold-out.

    >>> [r.rule_name for r in rules_from_env({"DRIFTLINE_ALERT_METRIC": "rmse",
    ...                                       "DRIFTLINE_ALERT_FLOOR": "1.5"})][:2]
    ['drift_detected', 'rmse_above_ceiling']
    """
    from driftline.settings import Settings

    metric, floor = alert_floor(env)
    s = Settings.from_env(env)
    drop = None if s.estimated_drop_action == "none" else s.estimated_drop_floor
    return default_rules(metric, floor, metric not in LOWER_IS_BETTER, drop)


def alert_floor(env: Mapping[str, str] | None = None) -> tuple[str, float]:
    """``(metric, bound)`` of the performance rule, from the environment."""
    import os

    env = os.environ if env is None else env
    metric = env.get("DRIFTLINE_ALERT_METRIC") or "accuracy"
    raw = env.get("DRIFTLINE_ALERT_FLOOR") or "0.7"
    try:
        return metric, float(raw)
    except ValueError:
        raise ConfigError(
            fail(f"DRIFTLINE_ALERT_FLOOR={raw!r} is not a number", "set e.g. 0.7")
        ) from None


def evaluate_rules(
    facts: BatchFacts, rules: Iterable[AlertRule] | None = None, links: Links | None = None
) -> list[Alert]:
    """Alerts the rules raise for one batch (no store, no sending)."""
    rules = rules_from_env() if rules is None else rules
    return [a for a in (r.evaluate(facts, links) for r in rules) if a is not None]
