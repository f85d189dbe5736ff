"""Data sets shipped with Driftline (no download at run time)."""

from __future__ import annotations

from importlib import resources

import pandas as pd


def load_elec2() -> pd.DataFrame:
    """The Elec2 stream (Harries 1999), 45,312 half-hourly rows in time order.

    See ``driftline/data/README.md`` for its attribution.

    >>> df = load_elec2()
    >>> df.shape, list(df.columns)[-1]
    ((45312, 7), 'class')
    """
    with resources.files("driftline.data").joinpath("elec2.csv.gz").open("rb") as fh:
        return pd.read_csv(fh, compression="gzip")
