"""The training policy: from a drift report to ``none | fine_tune | full_retrain``.

Rules, checked in this order; every rule that matches adds a reason, and the strongest
action wins (``full_retrain`` > ``fine_tune`` > ``none``):

====  =====================================================  ===========================
rule  condition on the drift report                          default action (parameter)
====  =====================================================  ===========================
0     ``override`` is not ``"auto"``                         the override, nothing else
1     no report, or ``is_drift`` is false                    ``none``
2     ``"concept"`` in ``kinds``                             ``full_retrain`` (``concept``)
3     ``"label"`` in ``kinds`` and the batch has labels      ``full_retrain`` (``label``)
4     ``severity == "severe"``, or ``max_effect`` >=         ``full_retrain`` (``severe``)
      ``severe_effect`` (when set)
5     ``"covariate"`` in ``kinds`` (moderate)                ``fine_tune`` (``covariate``)
6     drift of no known kind                                 ``fine_tune`` (``unknown``)
====  =====================================================  ===========================

The rationale follows the continual-learning literature (Gama et al., 2014; Lu et al.,
2019): a moderate covariate shift keeps P(y|x), so adapting the current model
incrementally suffices; a changed concept P(y|x) or prior P(y), or a large shift, makes
the old model's knowledge misleading, so a new model is trained on recent data.

>>> from types import SimpleNamespace as R
>>> p = Policy()
>>> p.decide(R(is_drift=True, kinds=("covariate",), severity="moderate", max_effect=0.1)).action
'fine_tune'
>>> p.decide(R(is_drift=True, kinds=("concept",), severity="moderate", max_effect=0.1)).action
'full_retrain'
>>> p.decide(None, override="fine_tune")
Decision(action='fine_tune', reasons=('manual override: fine_tune',), override_used=True)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol, get_args, runtime_checkable

from driftline.errors import ConfigError, fail

Action = Literal["none", "fine_tune", "full_retrain"]
ACTIONS: tuple[str, ...] = get_args(Action)
OVERRIDES: tuple[str, ...] = ("auto", *ACTIONS)
_RANK = {"none": 0, "fine_tune": 1, "full_retrain": 2}


@runtime_checkable
class DriftSummary(Protocol):
    """What the policy reads from a drift report (``driftline.drift.DriftReport`` fits)."""

    is_drift: bool
    kinds: tuple[str, ...]
    severity: str
    max_effect: float


@dataclass(frozen=True)
class Decision:
    """The policy's choice and why."""

    action: Action
    reasons: tuple[str, ...]
    override_used: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "reasons": list(self.reasons),
            "override_used": self.override_used,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Decision:
        return cls(d["action"], tuple(d.get("reasons", ())), bool(d.get("override_used", False)))


class Policy:
    """Configurable mapping from a drift report to a training action (module docstring).

    Parameters
    ----------
    covariate, concept, label, severe, unknown : {"none", "fine_tune", "full_retrain"}
        Action of rules 5, 2, 3, 4 and 6.
    severe_effect : float or None
        Also treat ``max_effect >= severe_effect`` as severe (``None``: severity only).
    """

    def __init__(
        self,
        *,
        covariate: Action = "fine_tune",
        concept: Action = "full_retrain",
        label: Action = "full_retrain",
        severe: Action = "full_retrain",
        unknown: Action = "fine_tune",
        severe_effect: float | None = None,
    ) -> None:
        self.covariate = covariate
        self.concept = concept
        self.label = label
        self.severe = severe
        self.unknown = unknown
        self.severe_effect = severe_effect

    def validate(self) -> None:
        for name in ("covariate", "concept", "label", "severe", "unknown"):
            if getattr(self, name) not in ACTIONS:
                raise ConfigError(
                    fail(f"policy {name}={getattr(self, name)!r}", f"use one of {list(ACTIONS)}")
                )
        if self.severe_effect is not None and not self.severe_effect > 0:
            raise ConfigError(
                fail(f"severe_effect={self.severe_effect!r}", "use a positive number or None")
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "covariate": self.covariate,
            "concept": self.concept,
            "label": self.label,
            "severe": self.severe,
            "unknown": self.unknown,
            "severe_effect": self.severe_effect,
        }

    def decide(self, report: Any, *, override: str = "auto", has_labels: bool = True) -> Decision:
        """Apply the rules to ``report`` (a ``DriftReport``, its dict, or ``None``)."""
        self.validate()
        if override not in OVERRIDES:
            raise ConfigError(fail(f"override={override!r}", f"use one of {list(OVERRIDES)}"))
        if override != "auto":
            return Decision(override, (f"manual override: {override}",), True)  # type: ignore[arg-type]
        if report is None:
            return Decision("none", ("no drift report",), False)
        is_drift, kinds, severity, max_effect = _read(report)
        if not is_drift:
            return Decision("none", ("no drift detected",), False)
        matched: list[tuple[str, str]] = []
        if "concept" in kinds:
            matched.append((self.concept, "concept drift"))
        if "label" in kinds:
            if has_labels:
                matched.append((self.label, "label shift"))
            else:
                matched.append(("none", "label shift ignored: the batch has no labels"))
        if severity == "severe":
            matched.append((self.severe, "severe shift"))
        elif self.severe_effect is not None and max_effect >= self.severe_effect:
            matched.append((self.severe, f"max effect {max_effect:.3g} >= {self.severe_effect:g}"))
        if "covariate" in kinds:
            matched.append((self.covariate, f"{severity} covariate shift"))
        if not matched:
            matched.append((self.unknown, f"drift of unknown kind {tuple(kinds)}"))
        action = max((a for a, _ in matched), key=_RANK.__getitem__)
        reasons = tuple(f"{why} -> {a}" for a, why in matched)
        return Decision(action, reasons, False)  # type: ignore[arg-type]


def _read(report: Any) -> tuple[bool, tuple[str, ...], str, float]:
    """``(is_drift, kinds, severity, max_effect)`` of a report object or dict."""
    get = report.get if isinstance(report, Mapping) else lambda k, d=None: getattr(report, k, d)
    try:
        return (
            bool(get("is_drift")),
            tuple(get("kinds", ()) or ()),
            str(get("severity", "none") or "none"),
            float(get("max_effect", 0.0) or 0.0),
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            fail(f"cannot read the drift report ({exc})", "pass a DriftReport or its to_dict()")
        ) from None
