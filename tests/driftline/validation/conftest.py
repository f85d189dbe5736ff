"""Seeded synthetic batches and contracts shared by the validation tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from driftline.validation import DataContract

DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def make_frame(n: int, seed: int, start: str = "2024-01-01") -> pd.DataFrame:
    """Eight columns of every kind, drawn from one fixed distribution."""
    rng = np.random.default_rng(seed)
    temp = rng.normal(15.0, 5.0, n)
    temp[rng.random(n) < 0.05] = np.nan  # 5% nulls in the reference distribution
    price = rng.lognormal(3.0, 0.3, n)
    return pd.DataFrame(
        {
            "ts": pd.date_range(start, periods=n, freq="h"),
            "price": price,
            "demand": rng.uniform(0.0, 1.0, n),
            "temp": temp,
            "qty": rng.poisson(5, n).astype("int64"),
            "day": rng.choice(DAYS, n),
            "promo": rng.random(n) < 0.3,
            "label": (price + rng.normal(0, 3, n) > 20).astype("int64"),
        }
    )


def make_elec2_like(n: int, seed: int) -> pd.DataFrame:
    """An Elec2-shaped stream: half-hour period and five [0, 1] features, binary class."""
    rng = np.random.default_rng(seed)
    period = (np.arange(n) % 48) / 47
    daily = 0.5 + 0.3 * np.sin(2 * np.pi * period)
    nswdemand = np.clip(daily + rng.normal(0, 0.08, n), 0, 1)
    nswprice = np.clip(rng.beta(2, 40, n) + 0.05 * nswdemand, 0, 1)
    frame = pd.DataFrame(
        {
            "period": period,
            "nswprice": nswprice,
            "nswdemand": nswdemand,
            "vicprice": np.clip(rng.beta(2, 400, n), 0, 1),
            "vicdemand": np.clip(rng.normal(0.42, 0.1, n), 0, 1),
            "transfer": np.clip(rng.normal(0.5, 0.15, n), 0, 1),
        }
    )
    frame["class"] = (nswprice > np.median(nswprice)).astype("int64")
    return frame


@pytest.fixture(scope="session")
def reference() -> pd.DataFrame:
    return make_frame(5000, seed=0)


@pytest.fixture(scope="session")
def contract(reference: pd.DataFrame) -> DataContract:
    return DataContract.infer(reference, target="label", timestamp="ts", name="synthetic")


@pytest.fixture()
def batch() -> pd.DataFrame:
    """A fresh clean batch from the reference distribution (new seed, later timestamps)."""
    return make_frame(1000, seed=1, start="2025-01-01")
