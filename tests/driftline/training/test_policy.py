import json
from types import SimpleNamespace

import pytest

from driftline.drift import DriftReport
from driftline.errors import ConfigError
from driftline.training import Decision, DriftSummary, Policy


def report(is_drift=True, kinds=("covariate",), severity="moderate", max_effect=0.1):
    return SimpleNamespace(is_drift=is_drift, kinds=kinds, severity=severity, max_effect=max_effect)


@pytest.mark.parametrize(
    "rep, action",
    [
        (report(is_drift=False, kinds=(), severity="none", max_effect=0.0), "none"),
        (report(), "fine_tune"),
        (report(severity="severe", max_effect=0.5), "full_retrain"),
        (report(kinds=("concept",)), "full_retrain"),
        (report(kinds=("covariate", "concept")), "full_retrain"),
        (report(kinds=("label",)), "full_retrain"),
        (report(kinds=()), "fine_tune"),  # drift of unknown kind
    ],
)
def test_default_rules(rep, action):
    decision = Policy().decide(rep)
    assert decision.action == action and not decision.override_used
    assert decision.reasons


def test_no_report_means_no_training():
    assert Policy().decide(None) == Decision("none", ("no drift report",), False)


def test_without_labels_only_label_free_actions():
    # L1: label shift (with or without covariate shift) -> prior recalibration
    assert Policy().decide(report(kinds=("label",)), has_labels=False).action == (
        "recalibrate_priors"
    )
    both = Policy().decide(report(kinds=("label", "covariate")), has_labels=False)
    assert both.action == "recalibrate_priors" and "no labels" in both.reasons[0]
    # L2: covariate shift alone, even severe -> importance-weighted retrain
    severe = report(kinds=("covariate",), severity="severe")
    assert Policy().decide(severe, has_labels=False).action == "reweight_retrain"
    # L3: nothing else can be adapted to without labels
    assert Policy().decide(report(kinds=("multivariate",)), has_labels=False).action == "none"
    # with labels the label-free actions are never chosen
    assert Policy().decide(report(kinds=("label",)), has_labels=True).action == "full_retrain"
    off = Policy(label_free_label="none", label_free_covariate="none")
    assert off.decide(report(kinds=("label", "covariate")), has_labels=False).action == "none"


def test_label_free_actions_are_validated():
    with pytest.raises(ConfigError, match="label_free_label"):
        Policy(label_free_label="full_retrain").decide(report(), has_labels=False)
    with pytest.raises(ConfigError, match="covariate"):
        Policy(covariate="reweight_retrain").decide(report())


def test_override_wins_and_is_recorded():
    for action in ("none", "fine_tune", "full_retrain"):
        d = Policy().decide(report(kinds=("concept",)), override=action)
        assert d.action == action and d.override_used
    with pytest.raises(ConfigError, match="override"):
        Policy().decide(report(), override="retrain")


def test_rules_are_configurable():
    p = Policy(covariate="full_retrain", concept="fine_tune")
    assert p.decide(report()).action == "full_retrain"
    assert p.decide(report(kinds=("concept",))).action == "fine_tune"
    assert Policy(covariate="none").decide(report()).action == "none"
    strict = Policy(severe_effect=0.3)
    assert strict.decide(report(max_effect=0.29)).action == "fine_tune"
    assert strict.decide(report(max_effect=0.31)).action == "full_retrain"
    with pytest.raises(ConfigError, match="covariate"):
        Policy(covariate="retrain").decide(report())


def test_reasons_list_every_matched_rule():
    d = Policy().decide(report(kinds=("covariate", "concept")))
    assert any("concept" in r for r in d.reasons) and any("covariate" in r for r in d.reasons)


def test_real_drift_report_and_its_dict():
    r = DriftReport(
        batch_id="b1",
        created_at="2025-01-01T00:00:00+00:00",
        alpha=0.05,
        correction="holm",
        is_drift=True,
        kinds=("covariate",),
        severity="severe",
        max_effect=0.4,
        columns=(),
        n_reference=10,
        n_current=10,
    )
    assert isinstance(r, DriftSummary)
    assert Policy().decide(r).action == "full_retrain"
    assert Policy().decide(json.loads(r.to_json())).action == "full_retrain"


def test_decision_round_trip():
    d = Policy().decide(report())
    assert Decision.from_dict(json.loads(json.dumps(d.to_dict()))) == d
