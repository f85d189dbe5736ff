"""The estimated-drop rule: act on a batch without labels when its estimate says it is worse.

Data drift alone alarms on almost every batch of a real stream, and most of those shifts
do not hurt the model. The rule looks at the *estimated impact* instead: a batch is an
**estimated drop** when its estimated metric is worse than the champion's own metric on
its hold-out by more than ``floor`` (a fraction of the hold-out value):

* accuracy, F1, ROC AUC: ``estimate < reference * (1 - floor)``;
* MAE: ``estimate > reference * (1 + floor)``.

What it does to the decision of a batch without labels is the setting
``DRIFTLINE_ESTIMATED_DROP_ACTION`` (:func:`apply_to_decision`):

``none`` (default)
    nothing: the estimate is recorded and charted, the drift rules decide;
``alert``
    the drift rules decide; an estimated drop adds a reason and the alert rule
    ``estimated_<metric>_drop`` fires (:class:`driftline.monitoring.EstimatedPerformanceDrop`);
``recalibrate_priors`` / ``reweight_retrain``
    the estimate decides: that label-free adaptation on an estimated drop, nothing
    otherwise (however much the features drifted). A manual override still wins.

Without an estimate (no hold-out, no probabilities, ...) the drift rules decide.

>>> from driftline.estimate.base import Estimate
>>> e = Estimate("accuracy", 0.74, 0.70, 0.78, 400, "cbpe", 0.85, 320)
>>> v = EstimatedDrop(floor=0.05).check(e)
>>> v.drop, round(v.threshold, 4)
(True, 0.8075)
>>> print(v.reason)
estimated accuracy 0.740 is 12.9 % below the champion's hold-out 0.850 (floor 5 %)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from driftline.errors import ConfigError, fail
from driftline.estimate.base import Estimate
from driftline.settings import ESTIMATED_DROP_ACTIONS


@dataclass(frozen=True)
class DropVerdict:
    """Whether one estimate is an estimated drop, and why."""

    metric: str
    estimate: float
    reference: float
    threshold: float
    floor: float
    drop: bool
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            k: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in asdict(self).items()
        }


class EstimatedDrop:
    """The rule of the module docstring.

    Parameters
    ----------
    floor : float
        Smallest drop that counts, as a fraction of the hold-out value, in [0, 1).
    """

    def __init__(self, floor: float = 0.05) -> None:
        self.floor = floor

    def validate(self) -> None:
        if not isinstance(self.floor, int | float) or not 0.0 <= self.floor < 1.0:
            raise ConfigError(
                fail(f"estimated drop floor={self.floor!r}", "use a fraction in [0, 1)")
            )

    def check(self, estimate: Estimate) -> DropVerdict:
        """The verdict on one estimate."""
        self.validate()
        ref, value, metric = estimate.reference_value, estimate.value, estimate.metric
        higher = estimate.higher_is_better
        threshold = ref * (1 - self.floor) if higher else ref * (1 + self.floor)
        if not (math.isfinite(value) and math.isfinite(ref)):
            return DropVerdict(metric, value, ref, threshold, self.floor, False, "no estimate")
        drop = value < threshold if higher else value > threshold
        change = 100.0 * abs(value - ref) / abs(ref) if ref else math.inf
        worse = value < ref if higher else value > ref
        side = ("below" if higher else "above") if worse else ("above" if higher else "below")
        pct = f"{100 * self.floor:g} %"
        reason = (
            f"estimated {metric} {value:.3f} is {change:.1f} % {side} the champion's hold-out "
            f"{ref:.3f} (floor {pct})"
            if drop or worse
            else f"estimated {metric} {value:.3f} is not below the champion's hold-out {ref:.3f}"
        )
        if worse and not drop:
            reason += ": within the floor"
        return DropVerdict(metric, value, ref, threshold, self.floor, bool(drop), reason)


def apply_to_decision(
    decision: Mapping[str, Any], estimated: Mapping[str, Any] | None, action: str
) -> dict[str, Any]:
    """The label-free ``decision`` (``Decision.to_dict()``) after the rule (module docstring).

    ``estimated`` is the ``estimated_performance`` entry of the drift step's result
    (:func:`driftline.estimate.pipeline.estimate_unlabelled`).
    """
    if action not in ESTIMATED_DROP_ACTIONS:
        raise ConfigError(
            fail(f"estimated drop action {action!r}", f"use one of {list(ESTIMATED_DROP_ACTIONS)}")
        )
    out = dict(decision)
    if action == "none" or out.get("override_used"):
        return out
    reasons = list(out.get("reasons") or [])
    if not estimated or estimated.get("drop") is None:
        why = (estimated or {}).get("error") or "no estimate"
        out["reasons"] = [*reasons, f"no performance estimate ({why}): the drift rules decide"]
        return out
    drop, why = bool(estimated["drop"]), str(estimated.get("reason", ""))
    out["estimated_drop"] = drop
    if action == "alert":
        out["reasons"] = [*reasons, f"{why} -> alert" if drop else why]
        return out
    if drop:
        out["action"], out["reasons"] = action, [*reasons, f"{why} -> {action}"]
    else:
        was = out.get("action", "none")
        note = f" (the drift rules said {was})" if was != "none" else ""
        out["action"], out["reasons"] = "none", [*reasons, f"{why} -> none{note}"]
    return out
