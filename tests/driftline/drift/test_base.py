"""DriftResult and the DriftTest base: freezing, serialisation, parameters, decision."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError

import numpy as np
import pytest

from driftline.drift import DriftResult, KolmogorovSmirnov, Wasserstein
from driftline.drift.base import DriftTest, _Computed
from driftline.errors import ConfigError


def _result(**details: object) -> DriftResult:
    return DriftResult(
        method="m",
        column="x",
        statistic=1.0,
        p_value=None,
        effect_size=0.5,
        effect_size_name="e",
        threshold=0.1,
        alpha=0.05,
        is_drift=True,
        reference="Someone (2000)",
        n_reference=3,
        n_current=4,
        details=details,
    )


def test_details_are_deep_frozen_and_json_ready() -> None:
    r = _result(
        levels=["a", "b"], nested={"k": np.float64(1.5)}, arr=np.arange(3), flag=np.bool_(1)
    )
    with pytest.raises(TypeError):
        r.details["new"] = 1  # type: ignore[index]
    with pytest.raises(TypeError):
        r.details["nested"]["k"] = 2  # type: ignore[index]
    assert r.details["levels"] == ("a", "b")
    d = r.to_dict()
    assert d["details"] == {
        "levels": ["a", "b"],
        "nested": {"k": 1.5},
        "arr": [0, 1, 2],
        "flag": True,
    }
    assert type(d["details"]["nested"]["k"]) is float
    assert DriftResult.from_dict(json.loads(json.dumps(d))) == r


def test_result_is_frozen() -> None:
    with pytest.raises(FrozenInstanceError):
        _result().is_drift = False  # type: ignore[misc]


def test_from_dict_ignores_unknown_keys() -> None:
    d = _result().to_dict() | {"added_later": 1}
    assert DriftResult.from_dict(d) == _result()


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"alpha": 0.0}, "alpha"),
        ({"alpha": 1.5}, "alpha"),
        ({"alpha": float("nan")}, "alpha"),
        ({"threshold": -0.1}, "threshold"),
        ({"threshold": "high"}, "threshold"),
    ],
)
def test_invalid_base_parameters_raise_config_error(kwargs: dict, param: str) -> None:
    with pytest.raises(ConfigError, match=f"parameter {param}="):
        KolmogorovSmirnov(**kwargs).test([1.0, 2.0], [1.0, 3.0])


def test_invalid_subclass_parameter_names_the_parameter() -> None:
    with pytest.raises(
        ConfigError, match=r"Wasserstein: parameter n_permutations=-1 is invalid: pass"
    ):
        Wasserstein(n_permutations=-1).test([1.0, 2.0], [1.0, 3.0])


def test_constructor_only_stores_parameters() -> None:
    test = Wasserstein(alpha=2.0, n_permutations=-5)  # no error until used
    assert test.alpha == 2.0 and test.n_permutations == -5
    assert repr(Wasserstein(n_permutations=10)) == (
        "Wasserstein(alpha=0.05, threshold=None, n_permutations=10, stop_after=20, "
        "max_exact=20000, seed=0)"
    )


class _Fixed(DriftTest):
    """A test returning a preset outcome, to check the decision rule."""

    kind = "numeric"
    input_type = "numeric"
    method = "fixed"
    effect_size_name = "fixed"
    default_threshold = 0.2
    reference = "Nobody (2024)"

    def __init__(self, p: float | None, effect: float, threshold: float | None = None) -> None:
        super().__init__(0.05, threshold)
        self.p = p
        self.effect = effect

    def _compute(self, reference: np.ndarray, current: np.ndarray) -> _Computed:
        return _Computed(statistic=0.0, p_value=self.p, effect_size=self.effect)


@pytest.mark.parametrize(
    ("p", "effect", "expected"),
    [
        (0.01, 0.3, True),
        (0.01, 0.1, False),
        (0.2, 0.3, False),
        (None, 0.3, True),
        (None, 0.1, False),
    ],
)
def test_decision_rule(p: float | None, effect: float, expected: bool) -> None:
    r = _Fixed(p, effect).test([1.0], [2.0], column="c")
    assert r.is_drift is expected
    assert r.threshold == 0.2 and r.n_reference == 1 and r.kind == "numeric"


def test_explicit_threshold_overrides_default() -> None:
    assert _Fixed(0.01, 0.1, threshold=0.05).test([1.0], [2.0]).is_drift
