"""The training policy: from a drift report to a training action.

Actions: ``none``, ``fine_tune``, ``full_retrain`` (need labels) and the label-free
``recalibrate_priors``, ``reweight_retrain`` (:mod:`driftline.adapt`).

**Batch with labels** — rules checked in this order; every rule that matches adds a
reason, and the strongest action wins (``full_retrain`` > ``fine_tune`` > ``none``):

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

**Batch without labels** (``has_labels=False``): nothing can be trained on the batch
itself, and a concept drift cannot be seen. Rules 0 and 1 as above, then:

====  =====================================================  ===========================
rule  condition on the drift report                          default action (parameter)
====  =====================================================  ===========================
L1    ``"label"`` in ``kinds`` (BBSD on the predictions, or  ``recalibrate_priors``
      the label counts)                                      (``label_free_label``)
L2    ``"covariate"`` in ``kinds``, no ``"label"``           ``reweight_retrain``
                                                             (``label_free_covariate``)
L3    anything else                                          ``none``
====  =====================================================  ===========================

Why L1 before L2: under a pure label shift the feature distribution moves too
(``p(x) = sum_y p(x|y) pi(y)``), so covariate tests fire alongside; the predictions'
distribution moving (BBSD, Lipton et al., 2018) is the symptom a prior correction
addresses, and the correction is cheap and checked on the re-weighted hold-out before any
promotion. A covariate shift that leaves the predictions' distribution alone cannot be
fixed by new priors, so it is reweighted (importance-weighted retraining of the labelled
reference rows, refused when the effective sample size is too small).

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
>>> p.decide(R(is_drift=True, kinds=("covariate", "label"), severity="moderate", max_effect=0.1),
...          has_labels=False).action
'recalibrate_priors'
>>> p.decide(None, override="fine_tune")
Decision(action='fine_tune', reasons=('manual override: fine_tune',), override_used=True)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol, get_args, runtime_checkable

from driftline.errors import ConfigError, fail

Action = Literal["none", "fine_tune", "full_retrain", "recalibrate_priors", "reweight_retrain"]
ACTIONS: tuple[str, ...] = get_args(Action)
#: Actions that need no labels on the batch (see :mod:`driftline.adapt`).
LABEL_FREE_ACTIONS: tuple[str, ...] = ("recalibrate_priors", "reweight_retrain")
LABELLED_ACTIONS: tuple[str, ...] = ("none", "fine_tune", "full_retrain")
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
    label_free_label, label_free_covariate : {"none", "recalibrate_priors", "reweight_retrain"}
        Action of rules L1 and L2 for a batch without labels.
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
        label_free_label: Action = "recalibrate_priors",
        label_free_covariate: Action = "reweight_retrain",
    ) -> None:
        self.covariate = covariate
        self.concept = concept
        self.label = label
        self.severe = severe
        self.unknown = unknown
        self.severe_effect = severe_effect
        self.label_free_label = label_free_label
        self.label_free_covariate = label_free_covariate

    def validate(self) -> None:
        for name in ("covariate", "concept", "label", "severe", "unknown"):
            if getattr(self, name) not in LABELLED_ACTIONS:
                raise ConfigError(
                    fail(
                        f"policy {name}={getattr(self, name)!r}",
                        f"use one of {list(LABELLED_ACTIONS)}",
                    )
                )
        for name in ("label_free_label", "label_free_covariate"):
            allowed = ("none", *LABEL_FREE_ACTIONS)
            if getattr(self, name) not in allowed:
                raise ConfigError(
                    fail(f"policy {name}={getattr(self, name)!r}", f"use one of {list(allowed)}")
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
            "label_free_label": self.label_free_label,
            "label_free_covariate": self.label_free_covariate,
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
        if not has_labels:
            return self._decide_label_free(kinds, severity)
        matched: list[tuple[str, str]] = []
        if "concept" in kinds:
            matched.append((self.concept, "concept drift"))
        if "label" in kinds:
            matched.append((self.label, "label shift"))
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

    def _decide_label_free(self, kinds: tuple[str, ...], severity: str) -> Decision:
        """Rules L1-L3 (module docstring) for a batch without labels."""
        if "label" in kinds:
            action, why = self.label_free_label, "no labels, label shift (predictions moved)"
        elif "covariate" in kinds:
            action, why = self.label_free_covariate, f"no labels, {severity} covariate shift"
        else:
            action, why = "none", f"no labels: drift of kind {tuple(kinds)} cannot be adapted to"
        return Decision(action, (f"{why} -> {action}",), False)  # type: ignore[arg-type]


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
