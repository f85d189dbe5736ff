"""Gate evidence: the newest labelled rows that no model was trained on.

A promotion gate is only as good as the rows it scores. One batch's newest slice is
few rows (20 % of a batch, fewer when only some rows are labelled), so the gate here
pools the *hold-out slices* of the newest ``batches`` labelled batches:

* every batch's hold-out slice is its newest ``fraction`` of **labelled** rows
  (:func:`~driftline.training.window.split_holdout`, in time order), so it is
  out-of-time for whatever was trained on the rest of that batch;
* every training run, whatever its strategy and window, leaves out the hold-out slices
  of the newest ``batches`` batches of its history (:func:`gate_split`), so neither the
  challenger nor the champion it is compared with has seen a pooled row: the champion
  was trained on an older history, whose newest ``batches`` slices it left out too, and
  the pool never reaches further back than ``batches`` batches;
* the pool stops at ``since`` (the batch where a concept change was detected), so that a
  model for the new concept is not judged on rows of the old one.

Rows without a label (``NaN`` target) are never trained on nor scored: batches may
arrive partly labelled.

>>> import pandas as pd
>>> from driftline.training.window import Batch
>>> hist = [Batch(f"b{i}", pd.DataFrame({"x": range(10), "y": [0, 1] * 5}), "mem")
...         for i in range(4)]
>>> split = gate_split(hist, target="y", fraction=0.2, batches=2)
>>> [len(b.frame) for b in split.train], len(split.holdout), split.holdout_batches
([10, 10, 8, 8], 4, ('b2', 'b3'))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import pandas as pd

from driftline.errors import ConfigError, fail
from driftline.training.window import Batch, split_holdout


def labelled(frame: pd.DataFrame, target: str) -> pd.DataFrame:
    """The rows of ``frame`` whose ``target`` is present, in their order.

    An integer target that arrived as floats because of missing labels (``1.0``) gets its
    integer type back, so the classes match those of models trained on complete batches.

    >>> labelled(pd.DataFrame({"y": [1.0, None, 0.0]}), "y")["y"].tolist()
    [1, 0]
    """
    if target not in frame.columns:
        return frame.iloc[:0]
    mask = frame[target].notna().to_numpy()
    out = frame if mask.all() else frame.loc[mask].reset_index(drop=True)
    y = out[target]
    if y.dtype.kind == "f" and len(y) and bool((y == y.round()).all()) and not mask.all():
        out = out.assign(**{target: y.astype("int64")})
    return out


@dataclass(frozen=True, eq=False)
class GateSplit:
    """The labelled history to train on, and the pooled hold-out the gate scores."""

    train: list[Batch]
    holdout: pd.DataFrame
    holdout_batches: tuple[str, ...]

    @property
    def rows(self) -> int:
        return len(self.holdout)


def gate_split(
    history: Sequence[Batch],
    *,
    target: str,
    fraction: float,
    batches: int,
    time_column: str | None = None,
    since: str | None = None,
) -> GateSplit:
    """Split ``history`` (oldest first) into training batches and the pooled hold-out.

    Parameters
    ----------
    history : sequence of Batch
        Labelled batches, oldest first (unlabelled rows are dropped here).
    target : str
        Label column.
    fraction : float
        Newest fraction of each batch's labelled rows held out.
    batches : int
        How many of the newest batches keep a hold-out slice out of training; the pool is
        their slices.
    time_column : str or None
        Sort key of the split (rows are in time order otherwise).
    since : str or None
        Batch id from which on slices are pooled (a detected change point); slices
        before it are still left out of training, but not scored.
    """
    if not isinstance(batches, int) or isinstance(batches, bool) or batches < 1:
        raise ConfigError(fail(f"gate batches={batches!r}", "use an integer >= 1"))
    if not 0.0 < fraction < 1.0:
        raise ConfigError(fail(f"holdout fraction={fraction!r}", "use a fraction in (0, 1)"))
    out = [replace(b, frame=labelled(b.frame, target)) for b in history]
    ids = [b.batch_id for b in out]
    first_pooled = ids.index(since) if since in ids else 0
    slices: list[tuple[str, pd.DataFrame]] = []
    for i in range(max(0, len(out) - batches), len(out)):
        train, hold = split_holdout(out[i].frame, fraction, time_column)
        if len(train) == 0 or len(hold) == 0:
            continue
        out[i] = replace(out[i], frame=train)
        if i >= first_pooled:
            slices.append((out[i].batch_id, hold))
    holdout = (
        pd.concat([h for _, h in slices], ignore_index=True)
        if slices
        else (out[-1].frame.iloc[:0] if out else pd.DataFrame())
    )
    return GateSplit(
        train=[b for b in out if len(b.frame)],
        holdout=holdout,
        holdout_batches=tuple(i for i, _ in slices),
    )
