"""WindowedDrift and first_drift: drift onset per column over a sequence of batches."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from driftline.drift.decision import DatasetDrift
from driftline.drift.profile import ReferenceProfile
from driftline.drift.windows import WindowedDrift, first_drift
from driftline.errors import ConfigError, DataError

N = 4000


def batch(rng: np.random.Generator, x_shift: float = 0.0, c_probs=(0.5, 0.3, 0.2)):
    return pd.DataFrame(
        {
            "x": rng.normal(x_shift, 1, N),
            "z": rng.normal(0, 1, N),
            "c": rng.choice(list("abc"), N, p=list(c_probs)),
        }
    )


@pytest.fixture(scope="module")
def setup():
    rng = np.random.default_rng(31)
    ref = ReferenceProfile.from_frame(batch(rng))
    batches = []
    for i in range(8):
        shift = 0.5 if i >= 4 else 0.0
        probs = (0.3, 0.3, 0.4) if i >= 6 else (0.5, 0.3, 0.2)
        batches.append((f"b{i}", batch(rng, shift, probs)))
    reports = WindowedDrift(n_previous=2).run(ref, batches)
    return ref, batches, reports


def test_first_drift_per_column(setup) -> None:
    _, _, reports = setup
    assert first_drift(reports) == {"x": "b4", "c": "b6"}
    assert reports[-1].windows["first_drift"] == {"x": "b4", "c": "b6"}
    assert reports[3].windows["first_drift"] == {}
    assert first_drift([r.to_dict() for r in reports], persistent=True) == {"x": "b4", "c": "b6"}


def test_previous_window_flags_only_the_change(setup) -> None:
    _, _, reports = setup
    assert "previous" not in reports[0].windows
    assert reports[1].windows["previous"]["batch_ids"] == ["b0"]
    assert reports[5].windows["previous"]["batch_ids"] == ["b3", "b4"]
    assert reports[5].windows["previous"]["n_reference"] == 2 * N
    assert first_drift(reports, against="previous") == {"x": "b4", "c": "b6"}
    # two batches after the change the window has caught up
    assert "x" not in reports[7].windows["previous"]["drifted_columns"]
    assert "x" in reports[7].drifted_columns


def test_persistent_onset_ignores_a_blip() -> None:
    rng = np.random.default_rng(32)
    ref = ReferenceProfile.from_frame(batch(rng))
    shifts = [0, 0.6, 0, 0, 0.6, 0.6]
    batches = [(f"b{i}", batch(rng, s)) for i, s in enumerate(shifts)]
    reports = WindowedDrift(n_previous=3).run(ref, batches)
    assert first_drift(reports)["x"] == "b1"
    assert first_drift(reports, persistent=True)["x"] == "b4"


def test_profiles_can_stand_for_batches(setup) -> None:
    ref, batches, reports = setup
    profiled = [(bid, ReferenceProfile.from_frame(df, like=ref)) for bid, df in batches]
    again = WindowedDrift(n_previous=2, detector=DatasetDrift()).run(ref, profiled)
    assert first_drift(again) == first_drift(reports)


def test_step_returns_the_batch_profile(setup) -> None:
    ref, batches, _ = setup
    report, profile = WindowedDrift().step(ref, "b0", batches[0][1])
    assert profile.n_rows == N and profile.roles == ref.roles and report.windows == {}


def test_invalid_arguments() -> None:
    with pytest.raises(ConfigError):
        WindowedDrift(n_previous=0).run(ReferenceProfile.from_frame(pd.DataFrame({"x": [1.0]})), [])
    with pytest.raises(DataError):
        WindowedDrift().run("not a profile", [])
