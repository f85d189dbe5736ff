"""LiveSampler buffering without S3: sampling rate, memory bound, rows kept on failure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from driftline.errors import ConfigError
from driftline.serving import LiveSampler
from driftline.settings import Settings
from driftline.supervise import port_in_use


def closed_port() -> int:
    for port in range(47001, 47100):
        if not port_in_use(port):
            return port
    raise RuntimeError("no closed port")


def unreachable_settings() -> Settings:
    return Settings.from_env(
        {
            "DRIFTLINE_S3_ENDPOINT_URL": f"http://127.0.0.1:{closed_port()}",
            "AWS_ACCESS_KEY_ID": "k",
            "AWS_SECRET_ACCESS_KEY": "s",
        }
    )


def request(n: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    inputs = pd.DataFrame({"x": rng.normal(size=n)})
    return inputs, pd.DataFrame({"prediction": (inputs["x"] > 0).astype(int)})


def test_the_sampled_share_matches_the_fraction():
    sampler = LiveSampler(unreachable_settings(), "m", fraction=0.3, max_rows=10**9, seed=1)
    kept = sum(sampler.add(*request(100, i), "1", f"r{i}") for i in range(100))
    # Binomial(10_000, 0.3): sd = 45.8; 4 sd either side
    assert abs(kept - 3000) < 4 * np.sqrt(10_000 * 0.3 * 0.7)
    assert sampler.stats()["buffered_rows"] == kept


def test_rows_stay_buffered_when_s3_fails_and_the_buffer_is_bounded():
    sampler = LiveSampler(unreachable_settings(), "m", max_rows=50, monitor=False)
    for i in range(30):
        sampler.add(*request(40, i), "1", f"r{i}")
    assert sampler.stats()["buffered_rows"] <= 10 * 50 + 40
    assert sampler.dropped == 30 * 40 - sampler.stats()["buffered_rows"]
    before = sampler.stats()["buffered_rows"]
    assert sampler.flush() == []  # S3 unreachable: nothing written, nothing lost
    assert sampler.stats()["buffered_rows"] == before


@pytest.mark.parametrize(
    "kwargs", [{"fraction": 0.0}, {"fraction": 1.5}, {"max_rows": 0}, {"max_seconds": 0}]
)
def test_bad_sampler_settings_are_config_errors(kwargs):
    with pytest.raises(ConfigError):
        LiveSampler(unreachable_settings(), "m", **kwargs)
