"""The two training strategies of continual learning: full retrain and fine-tune.

* **Full retrain** (stateless): a new model from scratch on a data window (all history,
  the last N batches or the last T of time, optionally recency-weighted; see
  :class:`~driftline.training.window.Window`) — the "retrain on a sliding window" family
  of Widmer & Kubat (1996) and Gama et al. (2014, section 3.2).
* **Fine-tune** (stateful, incremental learning): a deep copy of the champion continues
  training on the new data with ``partial_fit`` for ``epochs`` passes (Gama et al.,
  2014, "incremental" model management). The preprocessing fitted on the champion's data
  is frozen (its scaler and category set stay), so only the estimator adapts; the
  champion object passed in — and so its logged artifact — is never modified.

Both return a frozen :class:`TrainResult` with the model, the rows used, CPU seconds
(:func:`time.process_time`, all threads of this process), wall seconds and training
metrics.

>>> import numpy as np, pandas as pd
>>> from driftline.training.spec import ModelSpec
>>> rng = np.random.default_rng(0)
>>> df = pd.DataFrame({"x": rng.normal(size=400)})
>>> df["y"] = (df.x > 0).astype(int)
>>> spec = ModelSpec("classification", "y", numeric=("x",), estimator="sgd")
>>> base = full_retrain(spec, df)
>>> tuned = fine_tune(base.model, df, spec=spec, epochs=2)
>>> base.strategy, tuned.strategy, tuned.rows, tuned.model is base.model
('full_retrain', 'fine_tune', 400, False)
>>> base.metrics["train_accuracy"] > 0.9
True
"""

from __future__ import annotations

import copy
import time
import warnings
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from driftline.errors import ConfigError, DataError, ModelError, fail
from driftline.training.metrics import evaluate, split_xy
from driftline.training.spec import ModelSpec, build_pipeline
from driftline.training.window import Batch, Window, WindowData

StrategyName = Literal["full_retrain", "fine_tune"]
TrainingData = pd.DataFrame | Batch | Sequence[Batch]


@dataclass(frozen=True, eq=False)
class TrainResult:
    """Outcome of one training run (not yet logged or registered)."""

    model: Any
    strategy: StrategyName
    spec: ModelSpec
    rows: int
    batch_ids: tuple[str, ...]
    cpu_seconds: float
    wall_seconds: float
    metrics: Mapping[str, float]
    params: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    data: WindowData | None = None

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary (no model, no data)."""
        return {
            "strategy": self.strategy,
            "rows": self.rows,
            "batch_ids": list(self.batch_ids),
            "cpu_seconds": self.cpu_seconds,
            "wall_seconds": self.wall_seconds,
            "metrics": dict(self.metrics),
            "params": dict(self.params),
            "notes": list(self.notes),
        }


def as_batches(data: TrainingData) -> list[Batch]:
    """Normalise a frame, a batch or a sequence of batches to a list of batches."""
    if isinstance(data, pd.DataFrame):
        return [Batch("frame", data, "memory://frame")]
    if isinstance(data, Batch):
        return [data]
    batches = list(data)
    if not all(isinstance(b, Batch) for b in batches):
        raise DataError(
            fail("training data must be a DataFrame or Batch objects", "wrap frames in Batch")
        )
    return batches


class Strategy(ABC):
    """Base of the training strategies; :meth:`train` times, validates and evaluates.

    Parameters
    ----------
    window : Window
        Which batches (rows) of the given data to train on.
    threads : int or None
        Limit of BLAS/OpenMP threads while fitting (``None``: the libraries' default).
        On a small shared machine 1 avoids OpenMP spin-waiting, which made
        HistGradientBoosting fits tens of times slower under load on 2 cores.
    """

    name: ClassVar[StrategyName]

    def __init__(self, window: Window | None = None, threads: int | None = None) -> None:
        self.window = window
        self.threads = threads

    def params(self) -> dict[str, Any]:
        """Strategy parameters, logged with the run."""
        window = self.window or self.default_window()
        return {"strategy": self.name, **{f"window_{k}": v for k, v in window.to_dict().items()}}

    def default_window(self) -> Window:
        return Window.all()

    def validate(self) -> None:
        """Raise :class:`ConfigError` naming the first invalid parameter."""
        (self.window or self.default_window()).validate()
        if self.threads is not None and (not isinstance(self.threads, int) or self.threads < 1):
            raise ConfigError(fail(f"threads={self.threads!r}", "use a positive integer or None"))

    def train(self, spec: ModelSpec, data: TrainingData, champion: Any = None) -> TrainResult:
        """Train on ``data`` (selected by the window); ``champion`` is read, never changed."""
        spec.validate()
        self.validate()
        window = self.window or self.default_window()
        selected = window.assemble(as_batches(data))
        X, y = split_xy(selected.frame, spec)
        if len(y) == 0:
            raise DataError(fail("no training rows", "pass a batch with labelled rows"))
        cpu0, wall0 = time.process_time(), time.perf_counter()
        limit = threadpool_limits(limits=self.threads) if self.threads else nullcontext()
        with limit, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = self._fit(spec, X, y, selected.sample_weight, champion)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        notes = tuple(
            sorted(
                {
                    f"{w.category.__name__}: {str(w.message).splitlines()[0]}"
                    for w in caught
                    if issubclass(w.category, UserWarning)
                }
            )
        )
        metrics = evaluate(model, selected.frame, spec, prefix="train_")
        return TrainResult(
            model=model,
            strategy=self.name,
            spec=spec,
            rows=len(y),
            batch_ids=selected.batch_ids,
            cpu_seconds=cpu,
            wall_seconds=wall,
            metrics=metrics,
            params=self.params(),
            notes=notes,
            data=selected,
        )

    @abstractmethod
    def _fit(
        self,
        spec: ModelSpec,
        X: pd.DataFrame,
        y: np.ndarray,
        sample_weight: np.ndarray | None,
        champion: Any,
    ) -> Any:
        """Return the fitted model."""


class FullRetrain(Strategy):
    """A new Pipeline from :func:`~driftline.training.spec.build_pipeline`, fitted on the window."""

    name = "full_retrain"

    def _fit(self, spec, X, y, sample_weight, champion):  # noqa: ARG002 - champion unused
        model = build_pipeline(spec)
        fit_params = {} if sample_weight is None else {"model__sample_weight": sample_weight}
        try:
            return model.fit(X, y, **fit_params)
        except ValueError as exc:
            raise ModelError(
                fail(f"full retrain failed ({exc})", "check the batch against the data contract")
            ) from exc


class FineTune(Strategy):
    """Continue training a copy of the champion with ``partial_fit``.

    Parameters
    ----------
    window : Window
        Rows to fine-tune on; default the newest batch only (``Window.last(1)``); a wider
        window replays recent history, which limits forgetting.
    epochs : int
        Passes over the rows (each pass in a seeded random order).
    """

    name = "fine_tune"

    def __init__(
        self, window: Window | None = None, epochs: int = 10, threads: int | None = None
    ) -> None:
        super().__init__(window, threads)
        self.epochs = epochs

    def default_window(self) -> Window:
        return Window.last(1)

    def params(self) -> dict[str, Any]:
        return {**super().params(), "epochs": self.epochs}

    def validate(self) -> None:
        super().validate()
        if not isinstance(self.epochs, int) or self.epochs < 1:
            raise ConfigError(fail(f"epochs={self.epochs!r}", "use a positive integer"))

    def _fit(self, spec, X, y, sample_weight, champion):
        if champion is None:
            raise ModelError(
                fail("fine-tune needs a champion model", "run bootstrap or full_retrain")
            )
        if not spec.supports_fine_tune:
            raise ModelError(
                fail(
                    f"estimator {spec.estimator!r} cannot be fine-tuned",
                    "use full_retrain, or an 'mlp' or 'sgd' spec",
                )
            )
        model = copy.deepcopy(champion)
        steps = getattr(model, "named_steps", {})
        if "preprocess" not in steps or "model" not in steps:
            raise ModelError(
                fail("the champion is not a driftline Pipeline", "full_retrain a new model")
            )
        Xt = model.named_steps["preprocess"].transform(X)
        final = model.named_steps["model"]
        if hasattr(final, "regressor_"):  # TransformedTargetRegressor: keep its y scaling
            estimator = final.regressor_
            yt = final.transformer_.transform(np.asarray(y, dtype=float).reshape(-1, 1)).ravel()
        else:
            estimator, yt = final, y
        if not hasattr(estimator, "partial_fit"):
            raise ModelError(
                fail(f"{type(estimator).__name__} has no partial_fit", "use full_retrain")
            )
        if hasattr(estimator, "classes_"):
            unseen = sorted(set(np.unique(y).tolist()) - set(estimator.classes_.tolist()))
            if unseen:
                raise ModelError(
                    fail(
                        f"the new data has classes {unseen} the champion never saw",
                        "use full_retrain to learn new classes",
                    )
                )
        if getattr(estimator, "early_stopping", False):
            # partial_fit refuses early stopping; the copy trains for exactly `epochs` passes
            estimator.set_params(early_stopping=False)
            if (
                getattr(estimator, "best_loss_", 0.0) is None
            ):  # documented: None after early stopping
                estimator.best_loss_ = np.inf
        rng = np.random.default_rng(spec.seed)
        for _ in range(self.epochs):
            order = rng.permutation(len(yt))
            kwargs = {} if sample_weight is None else {"sample_weight": sample_weight[order]}
            estimator.partial_fit(_rows(Xt, order), yt[order], **kwargs)
        return model


def _rows(X: Any, order: np.ndarray) -> Any:
    return X.iloc[order] if hasattr(X, "iloc") else X[order]


def full_retrain(
    spec: ModelSpec, data: TrainingData, *, window: Window | None = None
) -> TrainResult:
    """Train a new model from scratch on ``window`` of ``data`` (default all of it)."""
    return FullRetrain(window).train(spec, data)


def fine_tune(
    champion: Any,
    data: TrainingData,
    *,
    spec: ModelSpec,
    epochs: int = 10,
    window: Window | None = None,
) -> TrainResult:
    """Continue training a deep copy of ``champion`` on ``data`` (default the newest batch)."""
    return FineTune(window, epochs).train(spec, data, champion=champion)
