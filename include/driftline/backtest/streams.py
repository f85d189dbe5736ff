"""Named drifting streams for the policy suite: Elec2 and seeded synthetic streams.

Each :class:`StreamSpec` builds one labelled stream, rows in time order, from a seed, so
that a policy can be replayed on it (:func:`driftline.backtest.run_backtest`) and the
kind of drift is known. The synthetic classification streams come from river's
generators (``river.datasets.synth``, Montiel et al., 2021); the pure covariate and
pure label-prior shifts, which river has no generator for, are built here with numpy.

============  =============================  ====================================================
stream        drift                          generator
============  =============================  ====================================================
elec2         real (mostly concept)          Harries (1999), shipped (``driftline.datasets``)
sea           abrupt concept, 3 changes      SEA (Street & Kim, 2001), thresholds 8 -> 9 -> 7 ->
                                             9.5, 10 % label noise
agrawal       concept, 3 gradual changes     Agrawal et al. (1993) functions 1 -> 2 -> 4 -> 5
                                             joined by ``ConceptDriftStream`` (width 1.5 batches)
hyperplane    gradual concept (rotation)     rotating hyperplane (Hulten et al., 2001), 10
                                             features, 5 drifting, 5 % noise
rbf           gradual (moving centroids)     RandomRBFDrift, 50 centroids, 25 moving
covariate     pure covariate shift           P(y|x) fixed (a nonlinear rule with noise); the
                                             feature mean travels along a path, one jump
label_shift   pure label-prior shift         P(x|y) fixed (two Gaussians); the prior moves
                                             0.5 -> 0.15 (gradual) -> 0.75 (abrupt)
friedman      regression, recurring abrupt   Friedman #1 with global recurring abrupt drift
                                             (Ikonomovska et al., 2011), ``FriedmanDrift('gra')``
stationary    none                           a fixed nonlinear rule (false-alarm cost check)
============  =============================  ====================================================

>>> spec = STREAMS["label_shift"]
>>> frame = spec.load(seed=0)
>>> len(frame) == spec.n_batches * spec.batch_size, spec.task, spec.target
(True, 'classification', 'y')
>>> frame.equals(spec.load(seed=0))
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from driftline.errors import ConfigError, fail

Maker = Callable[[int, int], pd.DataFrame]  # (seed, rows) -> frame


@dataclass(frozen=True)
class StreamSpec:
    """One named stream of the suite.

    Parameters
    ----------
    name : str
        Short name (``driftline bench-policies --streams NAME,...``).
    drift : str
        The kind of drift it carries (for the table).
    task : {"classification", "regression"}
        Learning task.
    target : str
        Label column.
    batch_size : int
        Rows per batch.
    n_batches : int
        Batches in the stream (synthetic streams; Elec2 has its own length).
    make : callable
        ``make(seed, rows)`` returns the frame.
    """

    name: str
    drift: str
    task: Literal["classification", "regression"]
    target: str
    batch_size: int
    n_batches: int
    make: Maker
    bootstrap_batches: int = 4

    def load(self, seed: int = 0) -> pd.DataFrame:
        """The stream's rows in time order (deterministic for ``seed``)."""
        frame = self.make(seed, self.n_batches * self.batch_size)
        return frame.reset_index(drop=True)


def _river_frame(dataset, rows: int, names: list[str] | None = None) -> pd.DataFrame:
    xs, ys = [], []
    for x, y in dataset.take(rows):
        xs.append(x)
        ys.append(y)
    frame = pd.DataFrame(xs)
    frame.columns = names or [f"x{c}" if isinstance(c, int) else str(c) for c in frame.columns]
    frame["y"] = ys
    if frame["y"].dtype == bool:
        frame["y"] = frame["y"].astype("int64")
    return frame


def _sea(seed: int, rows: int) -> pd.DataFrame:
    from river.datasets import synth

    parts, quarter = [], rows // 4
    for i, variant in enumerate((0, 1, 2, 3)):
        n = quarter if i < 3 else rows - 3 * quarter
        parts.append(_river_frame(synth.SEA(variant=variant, noise=0.1, seed=seed + i), n))
    return pd.concat(parts, ignore_index=True)


def _agrawal(seed: int, rows: int) -> pd.DataFrame:
    from river.datasets import synth

    functions, quarter = (1, 2, 4, 5), rows // 4
    stream = synth.Agrawal(classification_function=functions[0], seed=seed, perturbation=0.05)
    for i, fn in enumerate(functions[1:], start=1):
        stream = synth.ConceptDriftStream(
            stream=stream,
            drift_stream=synth.Agrawal(
                classification_function=fn, seed=seed + i, perturbation=0.05
            ),
            position=i * quarter,
            width=600,
            seed=seed + 10 + i,
        )
    frame = _river_frame(stream, rows)
    for col in ("elevel", "car", "zipcode"):
        frame[col] = [f"{col[0]}{int(v)}" for v in frame[col]]
    return frame


def _hyperplane(seed: int, rows: int) -> pd.DataFrame:
    from river.datasets import synth

    gen = synth.Hyperplane(
        seed=seed, n_features=10, n_drift_features=5, mag_change=0.001, noise_percentage=0.05
    )
    return _river_frame(gen, rows)


def _rbf(seed: int, rows: int) -> pd.DataFrame:
    from river.datasets import synth

    gen = synth.RandomRBFDrift(
        seed_model=seed,
        seed_sample=seed + 1,
        n_classes=2,
        n_features=10,
        n_centroids=50,
        change_speed=0.0005,
        n_drift_centroids=25,
    )
    return _river_frame(gen, rows)


def _friedman(seed: int, rows: int) -> pd.DataFrame:
    from river.datasets import synth

    gen = synth.FriedmanDrift(drift_type="gra", position=(rows // 3, 2 * rows // 3), seed=seed)
    return _river_frame(gen, rows)


def _nonlinear_rule(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A fixed P(y|x): an interaction, a sine and a linear term, logistic noise."""
    logit = 1.5 * x[:, 0] * x[:, 1] + 2.0 * np.sin(x[:, 2]) + 1.0 * x[:, 3] - 0.5
    return (rng.random(len(x)) < 1.0 / (1.0 + np.exp(-2.0 * logit))).astype("int64")


def _frame(x: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(x.shape[1])])
    frame["y"] = y
    return frame


def _covariate(seed: int, rows: int) -> pd.DataFrame:
    """P(y|x) fixed; the mean of x0, x1 moves along a half circle, x2 jumps half-way."""
    rng = np.random.default_rng(seed)
    t = np.arange(rows) / rows
    x = rng.normal(size=(rows, 4))
    x[:, 0] += 1.5 * np.sin(np.pi * t)
    x[:, 1] += 1.5 * (1 - np.cos(np.pi * t))
    x[:, 2] += np.where(t >= 0.5, 1.5, 0.0)
    return _frame(x, _nonlinear_rule(x, rng))


def _label_shift(seed: int, rows: int) -> pd.DataFrame:
    """P(x|y) fixed (unit Gaussians 1.2 apart in 5 dimensions); the prior of y=1 moves."""
    rng = np.random.default_rng(seed)
    t = np.arange(rows) / rows
    prior = np.where(t < 0.25, 0.5, np.where(t < 0.4, 0.5 - (t - 0.25) / 0.15 * 0.35, 0.15))
    prior = np.where(t >= 0.7, 0.75, prior)
    y = (rng.random(rows) < prior).astype("int64")
    x = rng.normal(size=(rows, 5)) + np.outer(y, np.full(5, 1.2 / np.sqrt(5)))
    return _frame(x, y)


def _stationary(seed: int, rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 4))
    return _frame(x, _nonlinear_rule(x, rng))


def _elec2(seed: int, rows: int) -> pd.DataFrame:  # noqa: ARG001 - a real stream: one order
    from driftline.datasets import load_elec2

    return load_elec2()


STREAMS: dict[str, StreamSpec] = {
    s.name: s
    for s in (
        StreamSpec("elec2", "real (mostly concept)", "classification", "class", 336, 134, _elec2),
        StreamSpec("sea", "abrupt concept", "classification", "y", 400, 84, _sea),
        StreamSpec("agrawal", "gradual concept changes", "classification", "y", 400, 84, _agrawal),
        StreamSpec("hyperplane", "rotating (gradual)", "classification", "y", 400, 84, _hyperplane),
        StreamSpec("rbf", "moving centroids", "classification", "y", 400, 84, _rbf),
        StreamSpec("covariate", "pure covariate shift", "classification", "y", 400, 84, _covariate),
        StreamSpec("label_shift", "pure label shift", "classification", "y", 400, 84, _label_shift),
        StreamSpec("friedman", "regression, abrupt", "regression", "y", 400, 84, _friedman),
        StreamSpec("stationary", "none", "classification", "y", 400, 84, _stationary),
    )
}


def get_stream(name: str) -> StreamSpec:
    """The :class:`StreamSpec` called ``name``; a clear error for an unknown one."""
    if name not in STREAMS:
        raise ConfigError(fail(f"unknown stream {name!r}", f"use some of {list(STREAMS)}"))
    return STREAMS[name]
