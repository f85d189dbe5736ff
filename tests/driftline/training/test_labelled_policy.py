from types import SimpleNamespace as R

import numpy as np
import pytest

from driftline.errors import ConfigError
from driftline.training import LabelledPolicy, labelled_policy
from driftline.training.policy import Episode, worse_than_uninformed


def test_rules_retrain_only_on_concept_drift_and_keep_learning_when_stable():
    p = labelled_policy()
    severe = R(is_drift=True, kinds=("covariate", "label"), severity="severe", max_effect=0.6)
    assert p.decide(severe).action == "fine_tune"
    concept = R(is_drift=True, kinds=("concept",), severity="moderate", max_effect=0.1)
    assert p.decide(concept).action == "full_retrain"
    stable = R(is_drift=False, kinds=(), severity="none", max_effect=0.0)
    assert p.decide(stable).action == "fine_tune"
    assert p.decide(stable, has_labels=False).action == "none"


def test_episode_and_retrain_window():
    p = LabelledPolicy(window=4, gate_batches=2)
    alarms = [("a", True), ("b", False), ("c", True), ("d", True)]
    e = p.episode(alarms)
    assert e == Episode("c", 2, "c")
    assert p.retrain_window(e, uninformed=True) == 2
    assert p.retrain_window(e, uninformed=False) == 4  # auto: the old data still informs
    assert LabelledPolicy(concept_window="since_drift").retrain_window(e, False) == 2
    assert LabelledPolicy(concept_window="window", window=4).retrain_window(e, True) == 4
    long = p.episode([(str(i), True) for i in range(9)])
    assert long.length == 9 and p.retrain_window(long, True) == 4
    assert long.change_point is None  # the run began before the newest 2 batches
    assert p.episode([("a", False)]) == Episode(None, 0, None)


def test_concept_check_flags_a_real_drop_and_not_noise():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 600)
    good = np.where(rng.random(600) < 0.85, y, 1 - y)
    bad = np.where(rng.random(600) < 0.70, y, 1 - y)
    p = LabelledPolicy()
    ref = [(y[:300], good[:300])]
    assert p.concept_check(ref, (y[300:], bad[300:]), "classification").is_drift
    assert not p.concept_check(ref, (y[300:], good[300:]), "classification").is_drift
    assert not p.concept_check([], (y, bad), "classification").is_drift  # nothing to compare


def test_regression_concept_floor_is_relative_to_the_reference_mae():
    rng = np.random.default_rng(1)
    y = rng.normal(1000, 100, 2000)
    ok, off = y + rng.normal(0, 20, 2000), y + rng.normal(0, 30, 2000)
    p = LabelledPolicy()
    result = p.concept_check([(y[:1000], ok[:1000])], (y[1000:], off[1000:]), "regression")
    assert result.is_drift and result.threshold == pytest.approx(
        0.02 * np.mean(np.abs(y - ok)[:1000]), rel=1e-6
    )
    assert not p.concept_check(
        [(y[:1000], ok[:1000])], (y[1000:], ok[1000:]), "regression"
    ).is_drift


def test_gate_by_iteration():
    p = LabelledPolicy()
    assert p.gate("classification").test == p.gate_test
    assert p.gate("classification", iteration="model").test == "superiority"
    reg = p.gate("regression")
    assert reg.metric == "mae" and reg.relative_margin


def test_worse_than_uninformed():
    y, y_train = np.array([0, 0, 1, 1]), np.array([0, 0, 1])
    assert worse_than_uninformed((y, np.array([1, 1, 0, 1])), y_train, True)
    assert not worse_than_uninformed((y, y), y_train, True)
    assert not worse_than_uninformed((np.array([]), np.array([])), y_train, True)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"concept": "kswin"}, "concept"),
        ({"gate_test": "x"}, "gate_test"),
        ({"window": 0}, "window"),
        ({"holdout_fraction": 1.0}, "holdout_fraction"),
        ({"alpha": 0.7}, "alpha"),
        ({"gate_margin": -1}, "gate_margin"),
        ({"gate_min_rows": 0}, "gate_min_rows"),
    ],
)
def test_invalid(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        LabelledPolicy(**kwargs).validate()


def test_to_dict_is_json_ready():
    import json

    d = json.loads(json.dumps(LabelledPolicy().to_dict()))
    assert d["rules"]["stable"] == "fine_tune" and d["gate_test"] == LabelledPolicy().gate_test
