"""The replayed stream: read a CSV or Parquet file and cut it into batches in time order.

Rows are replayed in file order, or sorted by ``time_column`` when one is given (a
stable sort, so rows with the same time keep their file order). Consecutive runs of
``batch_size`` rows become one :class:`~driftline.training.Batch` each, with ids
``batch-0000``, ``batch-0001``, ...; a shorter last batch is kept when it has at least
half of ``batch_size`` rows, else dropped (a tiny last batch makes a noisy score).

>>> import pandas as pd
>>> frame = pd.DataFrame({"x": range(9), "y": [0, 1, 0] * 3})
>>> [b.batch_id for b in to_batches(frame, 4)], [b.n_rows for b in to_batches(frame, 4)]
(['batch-0000', 'batch-0001'], [4, 4])
>>> [b.n_rows for b in to_batches(frame, 3)]
[3, 3, 3]
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from driftline.errors import ConfigError, DataError, fail
from driftline.training.window import Batch

SUFFIXES = (".csv", ".csv.gz", ".parquet", ".pq")


def read_stream(path: str | os.PathLike[str]) -> pd.DataFrame:
    """The whole stream as a frame (CSV, gzipped CSV or Parquet, by extension)."""
    p = Path(path)
    if not p.is_file():
        raise DataError(fail(f"stream file {p} does not exist", "pass a CSV or Parquet file"))
    name = p.name.lower()
    try:
        if name.endswith((".parquet", ".pq")):
            return pd.read_parquet(p)
        if name.endswith((".csv", ".csv.gz")):
            return pd.read_csv(p, low_memory=False)
    except Exception as exc:  # parsers raise many types; all mean "malformed"
        raise DataError(
            fail(f"cannot read {p} ({type(exc).__name__}: {exc})", "check the file format")
        ) from exc
    raise DataError(fail(f"file type of {p.name!r} is not supported", f"use one of {SUFFIXES}"))


def to_batches(
    frame: pd.DataFrame, batch_size: int, *, time_column: str | None = None, source: str = "stream"
) -> list[Batch]:
    """Consecutive ``batch_size``-row batches of ``frame`` in time order (module docstring)."""
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 2:
        raise ConfigError(fail(f"batch_size={batch_size!r}", "use an integer of at least 2 rows"))
    if time_column is not None:
        if time_column not in frame.columns:
            raise ConfigError(
                fail(f"time column {time_column!r} is not in the data", f"use one of {list(frame)}")
            )
        frame = frame.sort_values(time_column, kind="stable")
    frame = frame.reset_index(drop=True)
    batches = []
    for i, start in enumerate(range(0, len(frame), batch_size)):
        part = frame.iloc[start : start + batch_size].reset_index(drop=True)
        if len(part) < batch_size and 2 * len(part) < batch_size:
            break
        batches.append(Batch(f"batch-{i:04d}", part, f"{source}#rows={start}-{start + len(part)}"))
    return batches
