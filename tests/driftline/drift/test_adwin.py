"""ADWIN: exact agreement of the vectorised and streaming paths, delay, false alarms."""

from __future__ import annotations

import numpy as np
import pytest

from driftline.drift import ADWIN
from driftline.errors import DataError


def _streamed_first(detector: ADWIN, values: np.ndarray) -> int | None:
    for i, x in enumerate(values):
        if detector.update(x).in_drift:
            return i
    return None


@pytest.mark.parametrize(
    ("seed", "params"),
    [
        (0, {}),
        (1, {"clock": 1}),
        (2, {"max_buckets": 2, "min_window": 3}),
        (3, {"delta": 0.1, "clock": 7}),
        (4, {"threshold": 0.6}),
    ],
)
def test_vectorised_first_drift_equals_streaming(seed: int, params: dict) -> None:
    rng = np.random.default_rng(seed)
    values = np.r_[rng.random(1500) < 0.2, rng.random(800) < 0.35].astype(float)
    detector = ADWIN(**params)
    expected = _streamed_first(detector.clone(), values)
    assert expected is not None
    assert detector.first_drift(values) == expected


def test_real_valued_stream_agreement_and_detection() -> None:
    rng = np.random.default_rng(5)
    values = np.r_[rng.normal(0, 1, 3000), rng.normal(0.5, 1, 1000)]
    first = ADWIN().first_drift(values)
    assert first == _streamed_first(ADWIN(), values)
    assert first is not None and 3000 <= first < 3400


def test_abrupt_change_is_detected_within_bounded_delay() -> None:
    rng = np.random.default_rng(0)
    delays = []
    for _ in range(100):
        values = np.r_[rng.random(1000) < 0.1, rng.random(1000) < 0.3].astype(float)
        first = ADWIN().first_drift(values)
        delays.append(np.inf if first is None else first - 1000)
    delays = np.array(delays)
    assert (delays >= 0).all()  # no alarm before the change
    assert np.quantile(delays, 0.9) < 300


def test_few_false_alarms_on_stationary_streams() -> None:
    rng = np.random.default_rng(1)
    alarms = sum(
        ADWIN().first_drift((rng.random(10_000) < 0.2).astype(float)) is not None
        for _ in range(100)
    )
    assert alarms <= 5


def test_window_shrinks_after_drift_and_tracks_the_new_mean() -> None:
    rng = np.random.default_rng(2)
    values = np.r_[rng.random(3000) < 0.1, rng.random(3000) < 0.6].astype(float)
    detector = ADWIN()
    for x in values:
        detector.update(x)
    assert detector.width < 3500
    assert detector.estimation == pytest.approx(0.6, abs=0.05)
    assert ADWIN().drift_indices(values)[0] == ADWIN().first_drift(values)


def test_histogram_stays_logarithmic() -> None:
    detector = ADWIN(max_buckets=5)
    for x in np.random.default_rng(3).random(5000) < 0.3:
        detector.update(x)
    n_buckets = sum(len(level) for level in detector._totals)
    assert detector.width == 5000 and n_buckets <= 5 * 13
    assert sum(sum(level) for level in detector._totals) == pytest.approx(detector._total)


def test_reference_alarm_falls_back_to_streaming() -> None:
    rng = np.random.default_rng(4)
    ref = np.r_[rng.random(1000) < 0.05, rng.random(1000) < 0.5].astype(float)  # drifts
    cur = (rng.random(1000) < 0.1).astype(float)  # drifts back
    result = ADWIN().test(ref, cur)
    assert result.details["alarms_in_reference"] >= 1
    drifts = ADWIN().drift_indices(np.r_[ref, cur])
    in_current = [i - len(ref) for i in drifts if i >= len(ref)]
    assert result.details["first_drift_current"] == (in_current[0] if in_current else None)
    assert result.is_drift == bool(in_current)


def test_bad_values() -> None:
    with pytest.raises(DataError, match="pass a finite number"):
        ADWIN().update(float("nan"))
    with pytest.raises(DataError, match="errors has shape"):
        ADWIN().first_drift(np.zeros((3, 3)))
