"""DDM: streaming and vectorised agreement, delay, false alarms, warnings, guards."""

from __future__ import annotations

import numpy as np
import pytest

from driftline.drift import DDM
from driftline.errors import ConfigError, DataError


def _stream(rng: np.random.Generator, rates: list[float], length: int = 1000) -> np.ndarray:
    return np.concatenate([(rng.random(length) < r).astype(float) for r in rates])


def _streamed_first(detector: DDM, values: np.ndarray) -> int | None:
    for i, x in enumerate(values):
        if detector.update(x).in_drift:
            return i
    return None


@pytest.mark.parametrize("seed", range(8))
def test_vectorised_first_drift_equals_streaming(seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = _stream(rng, [0.05 + 0.05 * (seed % 3), 0.3])
    detector = DDM(min_samples=20 + seed)
    assert detector.first_drift(values) == _streamed_first(detector.clone(), values)


def test_excursion_is_the_streaming_statistic() -> None:
    values = _stream(np.random.default_rng(9), [0.2], 300)
    detector, batch = DDM(threshold=1e9), DDM(threshold=1e9)._excursions(values)
    streamed = [detector.update(x).statistic for x in values]
    assert np.allclose(np.nan_to_num(batch, nan=0.0), streamed)


def test_abrupt_change_is_detected_within_bounded_delay() -> None:
    rng = np.random.default_rng(0)
    delays = []
    for _ in range(100):
        ref, cur = _stream(rng, [0.1]), _stream(rng, [0.3])
        first = DDM().test(ref, cur).details["first_drift_current"]
        delays.append(np.inf if first is None else first)
    # DDM's statistics are cumulative, so the delay grows with the warm-up (1000 here)
    assert np.median(delays) < 250 and np.quantile(delays, 0.9) < 500


def test_few_false_alarms_after_a_warm_up() -> None:
    # DDM's running minimum is noisy early on: fresh detectors raise early alarms (about
    # 30 % of 5000-long stationary streams, median position about 100); after a warm-up of
    # 1000 values the alarm rate in the rest of the stream is small.
    rng = np.random.default_rng(1)
    late = 0
    for _ in range(200):
        values = _stream(rng, [0.2], 5000)
        late += DDM().test(values[:1000], values[1000:]).is_drift
    assert late / 200 <= 0.1


def test_warning_precedes_drift_and_detector_resets() -> None:
    values = _stream(np.random.default_rng(2), [0.1, 0.5])
    detector = DDM()
    states = [detector.update(x) for x in values]
    drifts = [i for i, s in enumerate(states) if s.in_drift]
    warnings = [i for i, s in enumerate(states) if s.in_warning]
    assert drifts and warnings and warnings[0] < drifts[0]
    assert DDM().drift_indices(values) == drifts
    assert states[drifts[0] + 1].statistic == 0.0  # restarted: warming up again


def test_error_free_start_does_not_fire_on_the_first_error() -> None:
    detector = DDM()
    for _ in range(100):
        detector.update(0)
    assert not detector.update(1).in_drift


def test_reference_alarms_are_skipped() -> None:
    rng = np.random.default_rng(3)
    ref = _stream(rng, [0.05, 0.4])  # the reference itself drifts
    result = DDM().test(ref, _stream(rng, [0.4]))
    assert result.details["alarms_in_reference"] >= 1
    assert result.details["error_rate_reference"] == pytest.approx(ref.mean())


def test_bad_values_and_parameters() -> None:
    detector = DDM()
    with pytest.raises(DataError, match="stream value 2 is invalid: pass 0 or 1"):
        detector.update(2)
    with pytest.raises(DataError, match="is not a number"):
        detector.update("x")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="warning_level"):
        DDM(warning_level=4.0).update(0)
    with pytest.raises(DataError, match="values other than 0 and 1"):
        DDM().first_drift([0, 1, 0.5])
