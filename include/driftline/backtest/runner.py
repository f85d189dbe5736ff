"""Replay a labelled stream through the policies side by side (prequential evaluation).

:func:`run_backtest` cuts the stream into batches (:func:`~driftline.backtest.stream.to_batches`),
then, as the DAGs would see it:

* **contract**: a :class:`~driftline.validation.DataContract` is inferred from the
  first ``bootstrap_batches`` (or given). Inferred value ranges are dropped (a
  non-stationary stream leaves any range seen in a few batches; the issue is drift, which
  the backtest measures, not bad data), so types, nulls, categories and the schema are
  checked. Every later batch is :func:`~driftline.validation.validate` d once; a batch
  that fails is *quarantined*: still scored (it arrived), never learnt from;
* **bootstrap**: one model, trained on the bootstrap batches minus their newest
  ``holdout_fraction`` (its gate hold-out), as :func:`driftline.training.bootstrap`
  does; every policy starts from it;
* **test, then train** (Gama, Sebastião & Rodrigues, 2013): each new batch ``t`` is first
  scored by every policy's champion, then the labels of batch ``t - label_delay + 1``
  arrive and every policy :meth:`learns <driftline.backtest.base.ReplayPolicy.learn>`
  from the labelled history. With the default ``label_delay=1`` the labels of a batch
  arrive after it was scored and before the next batch is; a batch's labels are never
  used before the batch is scored. Labels that arrive after the last batch was scored
  are not learnt from (no batch is left to use the model on).

With ``match_periodic`` and the ``driftline`` policy, a second pass replays
``periodic`` with the period that gives about as many full retrains as ``driftline``
trained, so the two can be compared at equal retraining cost.

With ``label_fraction < 1`` only that share of each batch's rows (a seeded random
choice, bootstrap batches included) ever gets its label: the policies learn, test and
gate on those rows, the drift report still sees every row's features, and every row is
scored.

Determinism: models, fine-tune orders, concept tests and gates are seeded with
``seed``, and BLAS / OpenMP run on ``threads`` threads (default 1), so two runs give the
same table.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from driftline.backtest.base import Champion, ReplayPolicy, Step
from driftline.backtest.baselines import Always, AlwaysFineTune, Never, Periodic
from driftline.backtest.label_free import LabelFree
from driftline.backtest.result import BacktestResult, PolicyRun
from driftline.backtest.stream import to_batches
from driftline.backtest.triggered import DriftTriggered
from driftline.errors import ConfigError, fail
from driftline.training import (
    Batch,
    FullRetrain,
    LabelledPolicy,
    ModelSpec,
    Window,
    labelled,
    split_holdout,
)

POLICY_NAMES: tuple[str, ...] = (
    "never",
    "periodic",
    "always",
    "always_finetune",
    "driftline",
    "label_free",
)
DEFAULT_POLICIES: tuple[str, ...] = ("never", "periodic", "always", "always_finetune", "driftline")
#: Policies of the label-free mode (no labels after the bootstrap).
LABEL_FREE_POLICIES: tuple[str, ...] = ("never", "label_free")
Progress = Callable[[str], None]


@dataclass(frozen=True)
class BacktestConfig:
    """Everything a backtest needs besides the data.

    Parameters
    ----------
    target : str
        Label column.
    batch_size : int
        Rows per batch.
    label_delay : int
        Labels of batch ``t`` arrive after batch ``t + label_delay - 1`` is scored (>= 1).
    policies : sequence of str
        Among :data:`POLICY_NAMES`; ``periodic:M`` sets the period of one periodic policy.
    bootstrap_batches : int
        Batches the first model is trained on (never scored).
    window : int
        Batches a full retrain learns from (all policies).
    period : int
        Period ``M`` of ``periodic``.
    seed : int
        Seed of the models, fine-tune orders, concept tests and gates.
    estimator : str or None
        :class:`~driftline.training.ModelSpec` estimator (``None``: its default).
    time_column : str or None
        Sort by this column and use it as the contract's timestamp (not a feature).
    holdout_fraction : float or None
        Hold-out of the gated (``driftline``) policy and of the bootstrap model
        (``None``: :class:`~driftline.training.LabelledPolicy`'s).
    fine_tune_epochs : int or None
        ``partial_fit`` passes of a fine-tune (``None``: the policy's).
    alpha : float or None
        Significance level of ``driftline``'s drift and concept tests (``None``: the
        policy's).
    concept : str or None
        Concept test of ``driftline`` (``None``: the policy's; see
        :class:`~driftline.training.LabelledPolicy`).
    label_fraction : float
        Share of each batch's rows that ever get a label (module docstring).
    rolling : int
        Batches in the rolling mean of the worst-window metric and of the chart.
    validate : bool
        Validate every batch against the data contract (quarantine failures).
    match_periodic : bool
        Also replay ``periodic`` at the period matching ``driftline``'s full retrains.
    threads : int or None
        BLAS / OpenMP threads while replaying (``None``: leave as is).
    progress_every : int
        Batches between two progress lines.
    label_free : bool
        Label-free mode: no labels after the bootstrap; only :data:`LABEL_FREE_POLICIES`
        (``never`` and ``label_free``, see :mod:`driftline.backtest.label_free`), which
        adapt to each scored batch's features. Labels only score the policies.
    """

    target: str
    batch_size: int
    label_delay: int = 1
    policies: tuple[str, ...] = DEFAULT_POLICIES
    bootstrap_batches: int = 4
    window: int = 8
    period: int = 4
    seed: int = 0
    estimator: str | None = None
    time_column: str | None = None
    holdout_fraction: float | None = None
    fine_tune_epochs: int | None = None
    alpha: float | None = None
    concept: str | None = None
    rolling: int = 4
    validate: bool = True
    match_periodic: bool = True
    threads: int | None = 1
    progress_every: int = 10
    label_free: bool = False
    driftline_options: dict[str, Any] = field(default_factory=dict)
    label_fraction: float = 1.0

    @property
    def policy_defaults(self) -> LabelledPolicy:
        """The Driftline policy with this configuration's explicit settings."""
        given = {
            "window": self.window,
            "seed": self.seed,
            **{
                k: v
                for k, v in (
                    ("holdout_fraction", self.holdout_fraction),
                    ("fine_tune_epochs", self.fine_tune_epochs),
                    ("alpha", self.alpha),
                    ("concept", self.concept),
                )
                if v is not None
            },
        }
        return replace(LabelledPolicy(), **given)

    def check(self) -> None:
        """Raise :class:`ConfigError` naming the first invalid field."""
        for name in (
            "label_delay",
            "bootstrap_batches",
            "window",
            "period",
            "rolling",
            "progress_every",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(fail(f"{name}={value!r}", "use an integer >= 1"))
        if not (0.0 < self.label_fraction <= 1.0):
            raise ConfigError(
                fail(f"label_fraction={self.label_fraction!r}", "use a fraction in (0, 1]")
            )
        self.policy_defaults.validate()
        if not self.policies:
            raise ConfigError(fail("no policies", f"name some of {list(POLICY_NAMES)}"))
        for name in self.policies:
            base, _ = parse_policy(name)
            if self.label_free and base not in LABEL_FREE_POLICIES:
                raise ConfigError(
                    fail(
                        f"policy {name!r} needs labels, the label-free mode has none",
                        f"use some of {list(LABEL_FREE_POLICIES)}",
                    )
                )
            if not self.label_free and base == "label_free":
                raise ConfigError(
                    fail("policy 'label_free' runs in the label-free mode", "pass --label-free")
                )
        if self.threads is not None and (not isinstance(self.threads, int) or self.threads < 1):
            raise ConfigError(fail(f"threads={self.threads!r}", "use a positive integer or None"))


def parse_policy(name: str) -> tuple[str, int | None]:
    """``("periodic", 8)`` for ``"periodic:8"``, ``("never", None)`` for ``"never"``.

    >>> parse_policy("periodic:8"), parse_policy("driftline")
    (('periodic', 8), ('driftline', None))
    """
    base, _, arg = name.strip().partition(":")
    if base not in POLICY_NAMES:
        raise ConfigError(fail(f"unknown policy {name!r}", f"use some of {list(POLICY_NAMES)}"))
    if not arg:
        return base, None
    if base != "periodic" or not arg.isdigit() or int(arg) < 1:
        raise ConfigError(fail(f"policy {name!r}", "only periodic takes a period, e.g. periodic:8"))
    return base, int(arg)


def make_policy(name: str, config: BacktestConfig) -> ReplayPolicy:
    """A fresh replay policy for ``name`` (see :func:`parse_policy`) with ``config``'s knobs."""
    base, period = parse_policy(name)
    if base == "label_free":
        return LabelFree(alpha=config.policy_defaults.alpha, seed=config.seed)  # type: ignore[return-value]
    defaults = config.policy_defaults
    # the baselines are fixed schedules: their fine-tune is 10 epochs unless configured,
    # whatever the Driftline policy's own defaults are
    common = {"window": config.window, "fine_tune_epochs": config.fine_tune_epochs or 10}
    if base == "never":
        return Never(**common)
    if base == "periodic":
        return Periodic(period=period or config.period, **common)
    if base == "always":
        return Always(**common)
    if base == "always_finetune":
        return AlwaysFineTune(**common)
    return DriftTriggered(labelled=defaults, **config.driftline_options)


def infer_contract(frame: pd.DataFrame, target: str, time_column: str | None = None) -> Any:
    """The backtest's data contract: inferred from ``frame``, numeric ranges left open."""
    from driftline.validation import DataContract

    draft = DataContract.infer(frame, target, time_column, name="backtest")
    open_ranges = {c.name: (None, None) for c in draft.columns if c.kind in ("numeric", "integer")}
    return DataContract.infer(frame, target, time_column, name="backtest", bounds=open_ranges)


@dataclass(frozen=True, eq=False)
class Validated:
    """The contract and per-batch validation verdicts of a stream (:func:`validate_batches`)."""

    contract: Any
    passed: tuple[bool, ...]
    notes: tuple[str, ...]
    label_fraction: float


def validate_batches(
    frame: pd.DataFrame,
    config: BacktestConfig,
    *,
    contract: Any = None,
    progress: Progress | None = None,
    source: str = "stream",
) -> Validated:
    """Validate the stream's batches once, for several backtests with the same batches.

    The verdicts depend on the batch size, the bootstrap batches, the label fraction and
    the seed (which rows keep their labels), not on the label delay or the policies.
    """
    config.check()
    batches = to_batches(frame, config.batch_size, time_column=config.time_column, source=source)
    learn = _mask_labels(batches, config)
    contract = contract if contract is not None else _contract(batches, config)
    passed, notes = _validate(
        learn, config.bootstrap_batches, contract, config, progress or (lambda _line: None)
    )
    return Validated(contract, tuple(passed), tuple(notes), config.label_fraction)


def run_backtest(
    frame: pd.DataFrame,
    config: BacktestConfig,
    *,
    contract: Any = None,
    progress: Progress | None = None,
    source: str = "stream",
    validated: Validated | None = None,
) -> BacktestResult:
    """Replay ``frame`` through ``config.policies`` (module docstring).

    ``validated`` reuses the verdicts of :func:`validate_batches` for the same stream.
    """
    config.check()
    if config.target not in frame.columns:
        raise ConfigError(
            fail(f"target {config.target!r} is not a column", f"use one of {list(frame.columns)}")
        )
    limits: Any = nullcontext()
    if config.threads is not None:
        from threadpoolctl import threadpool_limits

        limits = threadpool_limits(limits=config.threads)
    with limits:
        return _run(frame, config, contract, progress or (lambda _line: None), source, validated)


def _contract(batches: Sequence[Batch], config: BacktestConfig) -> Any:
    """The contract inferred from the (fully labelled) bootstrap batches."""
    full = pd.concat([b.frame for b in batches[: config.bootstrap_batches]], ignore_index=True)
    contract = infer_contract(full, config.target, config.time_column)
    if config.label_fraction < 1.0:  # partly labelled batches: the target may be null
        contract = _nullable_target(contract)
    return contract


def _run(
    frame: pd.DataFrame,
    config: BacktestConfig,
    contract: Any,
    progress: Progress,
    source: str,
    validated: Validated | None = None,
) -> BacktestResult:
    t_start = time.perf_counter()
    batches = to_batches(frame, config.batch_size, time_column=config.time_column, source=source)
    n_boot = config.bootstrap_batches
    if len(batches) < n_boot + config.label_delay + 1:
        raise ConfigError(
            fail(
                f"{len(batches)} batches of {config.batch_size} rows are too few for "
                f"{n_boot} bootstrap batches and label delay {config.label_delay}",
                "use a smaller --batch-size or fewer --bootstrap-batches",
            )
        )
    learn = _mask_labels(batches, config)
    reference = pd.concat([b.frame for b in learn[:n_boot]], ignore_index=True)
    if validated is not None:
        if (
            len(validated.passed) != len(batches)
            or validated.label_fraction != config.label_fraction
        ):
            raise ConfigError(
                fail(
                    "the validation verdicts are for other batches",
                    "call validate_batches with this stream and configuration",
                )
            )
        contract = validated.contract
    if contract is None:
        contract = _contract(batches, config)
    spec_kwargs: dict[str, Any] = {"seed": config.seed}
    if config.estimator is not None:
        spec_kwargs["estimator"] = config.estimator
    spec = ModelSpec.from_contract(contract, **spec_kwargs)
    progress(
        f"[backtest] {len(batches)} batches of {config.batch_size} rows; bootstrap on "
        f"{n_boot}; model {spec.estimator} ({spec.task}, {len(spec.features)} features); "
        f"policies: {', '.join(config.policies)}"
    )
    if validated is not None:
        passed, notes = list(validated.passed), list(validated.notes)
    else:
        passed, notes = _validate(learn, n_boot, contract, config, progress)
    champion, boot_cpu = _bootstrap(labelled(reference, config.target), spec, config)
    policies = [make_policy(name, config) for name in config.policies]
    runs = _replay(policies, batches, learn, passed, spec, champion, config, progress, t_start)
    matched = _matched_period(runs, len(batches) - n_boot - config.label_delay, config)
    if matched is not None:
        progress(
            f"[backtest] second pass: periodic every {matched} batches "
            "(about driftline's number of full retrains)"
        )
        extra = make_policy(f"periodic:{matched}", config)
        runs += _replay([extra], batches, learn, passed, spec, champion, config, progress, t_start)
    quarantined = tuple(b.batch_id for b, ok in zip(batches, passed, strict=True) if not ok)
    return BacktestResult(
        config=config,
        task=spec.task,
        estimator=spec.estimator,
        batch_ids=tuple(b.batch_id for b in batches[n_boot:]),
        rows=np.array([b.n_rows for b in batches[n_boot:]]),
        runs=tuple(runs),
        baseline=_previous_value_baseline(batches, n_boot, spec),
        quarantined=quarantined,
        bootstrap_cpu_seconds=boot_cpu,
        wall_seconds=time.perf_counter() - t_start,
        matched_period=matched,
        source=source,
        notes=tuple(notes),
    )


def _validate(
    batches: Sequence[Batch],
    n_boot: int,
    contract: Any,
    config: BacktestConfig,
    progress: Progress,
) -> tuple[list[bool], list[str]]:
    passed = [True] * len(batches)
    notes: list[str] = []
    if not config.validate:
        return passed, ["batches were not validated (--no-validate)"]
    from driftline.validation import validate

    t0 = time.perf_counter()
    for i in range(n_boot, len(batches)):
        report = validate(batches[i].frame, contract, batch_id=batches[i].batch_id)
        if not report.passed:
            passed[i] = False
            notes.append(f"quarantined: {report.summary()}")
    bad = passed.count(False)
    progress(
        f"[backtest] validated {len(batches) - n_boot} batches in "
        f"{time.perf_counter() - t0:.0f} s: {bad} quarantined"
    )
    return passed, notes


def _bootstrap(
    reference: pd.DataFrame, spec: ModelSpec, config: BacktestConfig
) -> tuple[Champion, float]:
    fraction = config.policy_defaults.holdout_fraction
    train, holdout = split_holdout(reference, fraction, spec.timestamp)
    result = FullRetrain(Window.all()).train(spec, Batch("bootstrap", train, "bootstrap"))
    champion = Champion(
        model=result.model,
        version=1,
        batch_id="bootstrap",
        strategy="full_retrain",
        train_frame=train,
        holdout=holdout,
    )
    return champion, result.cpu_seconds


def _nullable_target(contract: Any) -> Any:
    """``contract`` with the target allowed to be null (batches arrive partly labelled)."""
    columns = tuple(
        replace(c, max_null_rate=1.0) if c.name == contract.target else c for c in contract.columns
    )
    return replace(contract, columns=columns)


def _mask_labels(batches: Sequence[Batch], config: BacktestConfig) -> list[Batch]:
    """The batches as the policies see them: with ``label_fraction`` of the labels."""
    if config.label_fraction >= 1.0:
        return list(batches)
    out = []
    for i, b in enumerate(batches):
        n = len(b.frame)
        keep = max(1, int(round(config.label_fraction * n)))
        rows = np.random.default_rng([config.seed, i]).choice(n, size=keep, replace=False)
        mask = np.zeros(n, dtype=bool)
        mask[rows] = True
        frame = b.frame.copy()
        frame[config.target] = frame[config.target].where(mask)
        out.append(replace(b, frame=frame, digest=None))
    return out


def _replay(
    policies: list[ReplayPolicy],
    batches: Sequence[Batch],
    learn: Sequence[Batch],
    passed: Sequence[bool],
    spec: ModelSpec,
    champion: Champion,
    config: BacktestConfig,
    progress: Progress,
    t_start: float,
) -> list[PolicyRun]:
    n_boot, delay = config.bootstrap_batches, config.label_delay
    for p in policies:
        p.start(spec, champion)
    n = len(batches) - n_boot
    scores = {p.label: np.zeros(n) for p in policies}
    steps: dict[str, list[Step]] = {p.label: [] for p in policies}
    for t in range(n_boot, len(batches)):
        frame = batches[t].frame
        y = frame[spec.target].to_numpy()
        for p in policies:
            scores[p.label][t - n_boot] = _score(spec, y, p.predict(frame))
        if config.label_free:  # no labels: adapt to the features of the batch just scored
            if passed[t] and t < len(batches) - 1:
                unlabelled = learn[t].frame.drop(columns=[spec.target])
                for p in policies:
                    if isinstance(p, LabelFree):
                        steps[p.label].append(
                            p.adapt(t, batches[t].batch_id, unlabelled, scored_through=t)
                        )
        s = t - delay + 1  # the batch whose labels arrive now (never in the label-free mode)
        labels_arrive = not config.label_free and n_boot <= s and passed[s]
        if labels_arrive and t < len(batches) - 1:  # nothing left to score after
            history = [b for b, ok in zip(learn[: s + 1], passed[: s + 1], strict=True) if ok]
            for p in policies:
                steps[p.label].append(p.learn(s, history, scored_through=t))
        done = t - n_boot + 1
        if done % config.progress_every == 0 or t == len(batches) - 1:
            parts = " | ".join(f"{label} {np.mean(v[:done]):.3f}" for label, v in scores.items())
            progress(
                f"[backtest] batch {t + 1}/{len(batches)} | {parts} | "
                f"{time.perf_counter() - t_start:.0f} s"
            )
    return [
        PolicyRun(label=p.label, name=p.name, scores=scores[p.label], steps=tuple(steps[p.label]))
        for p in policies
    ]


def _score(spec: ModelSpec, y: np.ndarray, y_pred: np.ndarray) -> float:
    """Accuracy (classification) or mean absolute error (regression) of one batch."""
    if spec.task == "classification":
        return float(np.mean(y_pred == y))
    return float(np.mean(np.abs(np.asarray(y_pred, float) - y.astype(float))))


def _previous_value_baseline(batches: Sequence[Batch], n_boot: int, spec: ModelSpec) -> np.ndarray:
    """Per-batch metric of predicting each row's label by the row before it (Zliobaite, 2013)."""
    y = np.concatenate([b.frame[spec.target].to_numpy() for b in batches])
    prev = np.concatenate([y[:1], y[:-1]])
    out, start = [], sum(b.n_rows for b in batches[:n_boot])
    for b in batches[n_boot:]:
        sl = slice(start, start + b.n_rows)
        out.append(_score(spec, y[sl], prev[sl]))
        start += b.n_rows
    return np.array(out)


def _matched_period(runs: list[PolicyRun], n_labelled: int, config: BacktestConfig) -> int | None:
    """Period giving about as many full retrains as driftline trained, if not run yet."""
    if not config.match_periodic:
        return None
    drift = [r for r in runs if r.name == "driftline"]
    if not drift:
        return None
    retrains = drift[0].count("full_retrain")
    if retrains == 0:
        return None
    period = max(1, round(n_labelled / retrains))
    have = {
        parse_policy(name)[1] or (config.period if name == "periodic" else 1)
        for name in config.policies
        if name.startswith(("periodic", "always")) and not name.startswith("always_finetune")
    }
    return None if period in have else period
