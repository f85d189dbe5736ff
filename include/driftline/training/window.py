"""Training data windows: which past batches a full retrain learns from, and their weights.

A :class:`Batch` is one labelled batch with its lineage (id, source URI, content digest).
A :class:`Window` selects from the batch history (oldest first):

* ``all`` — every batch;
* ``last_n`` — the ``n`` newest batches (a sliding window, Widmer & Kubat, 1996);
* ``last_time`` — the rows of the last ``duration`` of time, measured back from the newest
  time in the history (by a timestamp column when given, else by each batch's
  ``created_at``).

Optional recency weights decay exponentially with batch age (the newest batch has age
0): ``w = 0.5 ** (age / half_life)`` (exponential forgetting, Klinkenberg, 2004), scaled
to mean 1 over the selected rows and passed to the estimator as ``sample_weight``.

>>> import pandas as pd
>>> hist = [Batch(f"b{i}", pd.DataFrame({"x": [i, i]}), f"s3://landing/b{i}.csv")
...         for i in range(4)]
>>> w = Window.last(2, half_life=1.0).assemble(hist)
>>> w.batch_ids, w.frame["x"].tolist()
(('b2', 'b3'), [2, 2, 3, 3])
>>> w.sample_weight.round(3).tolist()
[0.667, 0.667, 1.333, 1.333]
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

import numpy as np
import pandas as pd

from driftline.errors import ConfigError, DataError, fail

WindowKind = Literal["all", "last_n", "last_time"]


def frame_digest(frame: pd.DataFrame) -> str:
    """Content digest of a frame (SHA-256 of pandas' row hashes and the column names), 16 hex.

    >>> frame_digest(pd.DataFrame({"a": [1, 2]})) == frame_digest(pd.DataFrame({"a": [1, 2]}))
    True
    """
    h = hashlib.sha256("\x1f".join(map(str, frame.columns)).encode())
    h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()[:16]


@dataclass(frozen=True, eq=False)
class Batch:
    """One labelled batch and its lineage.

    Parameters
    ----------
    batch_id : str
        Batch id (``driftline.batches`` ids look like ``week-0005-3fa2c1d0``).
    frame : DataFrame
        The rows.
    source : str
        Where the rows came from (an ``s3://`` URI).
    digest : str or None
        Content digest (e.g. the object's SHA-256); ``None`` computes :func:`frame_digest`.
    created_at : datetime or None
        When the batch was produced (time windows without a timestamp column).
    """

    batch_id: str
    frame: pd.DataFrame
    source: str
    digest: str | None = None
    created_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.digest is None:
            object.__setattr__(self, "digest", frame_digest(self.frame))

    @property
    def n_rows(self) -> int:
        return len(self.frame)


@dataclass(frozen=True, eq=False)
class WindowData:
    """The rows a window selected, with per-row weights (``None``: unweighted)."""

    frame: pd.DataFrame
    sample_weight: np.ndarray | None
    batches: tuple[Batch, ...]
    batch_ids: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "batch_ids", tuple(b.batch_id for b in self.batches))


@dataclass(frozen=True)
class Window:
    """Which batches (rows) a full retrain uses, and how they are weighted.

    Parameters
    ----------
    kind : {"all", "last_n", "last_time"}
        Selection rule (module docstring).
    n : int or None
        Number of newest batches (``last_n``).
    duration : timedelta or None
        Length of time kept (``last_time``).
    time_column : str or None
        Timestamp column for ``last_time``; ``None`` uses ``Batch.created_at``.
    half_life : float or None
        Recency-weight half-life in batches; ``None`` means equal weights.
    """

    kind: WindowKind = "all"
    n: int | None = None
    duration: timedelta | None = None
    time_column: str | None = None
    half_life: float | None = None

    @classmethod
    def all(cls, half_life: float | None = None) -> Window:
        """Every batch of the history."""
        return cls("all", half_life=half_life)

    @classmethod
    def last(cls, n: int, half_life: float | None = None) -> Window:
        """The ``n`` newest batches."""
        return cls("last_n", n=n, half_life=half_life)

    @classmethod
    def since(
        cls, duration: timedelta, time_column: str | None = None, half_life: float | None = None
    ) -> Window:
        """The last ``duration`` of time."""
        return cls("last_time", duration=duration, time_column=time_column, half_life=half_life)

    def validate(self) -> None:
        """Raise :class:`ConfigError` naming the first invalid field."""
        if self.kind not in ("all", "last_n", "last_time"):
            raise ConfigError(fail(f"window kind {self.kind!r}", "use all, last_n or last_time"))
        if self.kind == "last_n" and (not isinstance(self.n, int) or self.n < 1):
            raise ConfigError(fail(f"window n={self.n!r}", "use a positive number of batches"))
        if self.kind == "last_time" and (
            not isinstance(self.duration, timedelta) or self.duration <= timedelta(0)
        ):
            raise ConfigError(
                fail(f"window duration={self.duration!r}", "use a positive datetime.timedelta")
            )
        if self.half_life is not None and not self.half_life > 0:
            raise ConfigError(
                fail(f"half_life={self.half_life!r}", "use a positive number of batches or None")
            )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (logged as run parameters)."""
        return {
            "kind": self.kind,
            "n": self.n,
            "duration_seconds": None if self.duration is None else self.duration.total_seconds(),
            "time_column": self.time_column,
            "half_life": self.half_life,
        }

    # ------------------------------------------------------------------ selection
    def select(self, history: Sequence[Batch]) -> list[tuple[Batch, pd.DataFrame]]:
        """``(batch, selected rows)`` pairs, oldest first, batches with no rows dropped."""
        self.validate()
        if not history:
            raise DataError(fail("the batch history is empty", "pass at least one batch"))
        batches = list(history)
        if self.kind == "all":
            return [(b, b.frame) for b in batches]
        if self.kind == "last_n":
            assert self.n is not None
            return [(b, b.frame) for b in batches[-self.n :]]
        assert self.duration is not None
        if self.time_column is None:
            missing = [b.batch_id for b in batches if b.created_at is None]
            if missing:
                raise DataError(
                    fail(
                        f"batches {missing} have no created_at for a time window",
                        "set Batch.created_at or Window.time_column",
                    )
                )
            newest = max(b.created_at for b in batches if b.created_at is not None)
            start = newest - self.duration
            return [
                (b, b.frame) for b in batches if b.created_at is not None and b.created_at > start
            ]
        times = []
        for b in batches:
            if self.time_column not in b.frame.columns:
                raise DataError(
                    fail(
                        f"batch {b.batch_id} has no column {self.time_column!r}",
                        "fix Window.time_column",
                    )
                )
            times.append(pd.to_datetime(b.frame[self.time_column]))
        newest = max(t.max() for t in times)
        start = newest - self.duration
        out = [(b, b.frame[(t > start).to_numpy()]) for b, t in zip(batches, times, strict=True)]
        return [(b, f) for b, f in out if len(f)]

    def assemble(self, history: Sequence[Batch]) -> WindowData:
        """Concatenate the selected rows and compute the recency weights."""
        chosen = self.select(history)
        if not chosen:
            raise DataError(fail("the window selected no rows", "widen the window"))
        frame = pd.concat([f for _, f in chosen], ignore_index=True)
        weights = None
        if self.half_life is not None:
            ages = np.arange(len(chosen) - 1, -1, -1, dtype=float)
            per_batch = 0.5 ** (ages / self.half_life)
            weights = np.repeat(per_batch, [len(f) for _, f in chosen])
            weights = weights / weights.mean()
        return WindowData(frame=frame, sample_weight=weights, batches=tuple(b for b, _ in chosen))


def split_holdout(
    frame: pd.DataFrame, fraction: float, time_column: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(train, holdout)``: the most recent ``fraction`` of the rows is held out.

    Rows are in time order (sorted by ``time_column`` when given), so the hold-out is
    the newest slice of the batch — the data the next model will face first.

    >>> train, hold = split_holdout(pd.DataFrame({"x": range(10)}), 0.2)
    >>> hold["x"].tolist()
    [8, 9]
    """
    if not 0.0 <= fraction < 1.0:
        raise ConfigError(fail(f"holdout fraction={fraction!r}", "use a fraction in [0, 1)"))
    if time_column is not None and time_column in frame.columns:
        frame = frame.sort_values(time_column, kind="stable")
    n_hold = int(round(len(frame) * fraction))
    cut = len(frame) - n_hold
    return frame.iloc[:cut].reset_index(drop=True), frame.iloc[cut:].reset_index(drop=True)
