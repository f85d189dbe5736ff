"""The estimated-drop rule and what each DRIFTLINE_ESTIMATED_DROP_ACTION does to a decision."""

from __future__ import annotations

import pytest

from driftline.errors import ConfigError
from driftline.estimate import Estimate, EstimatedDrop, apply_to_decision


def est(value, reference=0.85, metric="accuracy"):
    return Estimate(metric, value, value - 0.03, value + 0.03, 400, "cbpe", reference, 320)


@pytest.mark.parametrize(
    ("value", "drop"), [(0.70, True), (0.80, True), (0.81, False), (0.84, False), (0.9, False)]
)
def test_accuracy_drop_is_relative_to_the_holdout(value, drop):
    verdict = EstimatedDrop(0.05).check(est(value))
    assert verdict.drop is drop and verdict.threshold == pytest.approx(0.8075)


def test_mae_drop_is_a_rise():
    rule = EstimatedDrop(0.1)
    assert rule.check(est(1.2, 1.0, "mae")).drop and not rule.check(est(1.05, 1.0, "mae")).drop
    assert "above the champion's hold-out" in rule.check(est(1.2, 1.0, "mae")).reason


def test_reasons_and_bad_floor():
    assert "within the floor" in EstimatedDrop(0.05).check(est(0.84)).reason
    assert EstimatedDrop().check(est(float("nan"))).drop is False
    with pytest.raises(ConfigError):
        EstimatedDrop(1.5).check(est(0.8))


DRIFT = {"action": "reweight_retrain", "reasons": ["no labels, covariate -> reweight_retrain"],
         "override_used": False}  # fmt: skip
DROP = {"drop": True, "reason": "estimated accuracy 0.700 is 17.6 % below ..."}
FINE = {"drop": False, "reason": "estimated accuracy 0.840 ...: within the floor"}


def test_none_changes_nothing():
    assert apply_to_decision(DRIFT, DROP, "none") == DRIFT


def test_alert_keeps_the_action_and_adds_the_reason():
    out = apply_to_decision(DRIFT, DROP, "alert")
    assert out["action"] == "reweight_retrain" and out["estimated_drop"] is True
    assert out["reasons"][-1].endswith("-> alert")


def test_a_label_free_action_acts_on_the_estimate_only():
    out = apply_to_decision(DRIFT, DROP, "recalibrate_priors")
    assert out["action"] == "recalibrate_priors" and "-> recalibrate_priors" in out["reasons"][-1]
    calm = apply_to_decision(DRIFT, FINE, "recalibrate_priors")
    assert (
        calm["action"] == "none" and "the drift rules said reweight_retrain" in calm["reasons"][-1]
    )


def test_without_estimate_or_with_override_the_drift_rules_decide():
    out = apply_to_decision(DRIFT, {"error": "ModelError: no hold-out"}, "reweight_retrain")
    assert out["action"] == "reweight_retrain" and "no hold-out" in out["reasons"][-1]
    forced = {**DRIFT, "action": "fine_tune", "override_used": True}
    assert apply_to_decision(forced, DROP, "recalibrate_priors") == forced
    with pytest.raises(ConfigError):
        apply_to_decision(DRIFT, DROP, "retrain_everything")
