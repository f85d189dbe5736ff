"""The model's life cycle, one call per DAG task: bootstrap, train-and-log, gate-and-promote,
rollback, score.

Every function is idempotent for a batch id and returns a frozen outcome with
``to_dict()`` (JSON-able, for XCom):

:func:`bootstrap`
    Train the first model (full retrain on the reference data), log it, register it and
    make it champion without a gate. Again for the same batch id: nothing new.
:func:`train_and_log`
    For an action of the policy: hold out the newest slice of the new batch, train
    (``fine_tune`` the champion or ``full_retrain`` on a window of the history), log
    everything to MLflow, register the version with alias ``challenger`` after checking
    it loads. A retry reuses the registered version, or the complete logged run, of the
    batch instead of training again.
:func:`gate_and_promote`
    Score champion and challenger on the challenger's logged hold-out, record the gate
    result on the version (tags ``gate``, ``gate_result``) and its run, and promote when
    the gate says so. Recorded decisions are final: a retry moves nothing.
:func:`rollback_champion`, :func:`score_and_write`
    Registry rollback and batch inference with the champion.

Errors are :class:`~driftline.errors.ModelError` / :class:`~driftline.errors.DataError`
naming the batch, the model version and the next step, e.g. ``batch week-7: registering
run 3f2a... failed (...): the champion is still version 4; retry train_and_log``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import pandas as pd

from driftline.errors import DataError, ModelError, fail
from driftline.monitoring.summary import prediction_summary
from driftline.settings import Settings, get_settings
from driftline.training.evidence import gate_split
from driftline.training.gate import Gate, GateResult
from driftline.training.inference import score_batch, write_predictions
from driftline.training.policy import Decision, LabelledPolicy
from driftline.training.registry import CHAMPION, Registry
from driftline.training.selection import train_and_select
from driftline.training.spec import ModelSpec
from driftline.training.steps import (
    earlier_attempt,
    model_spec_of,
    step,
    use_tracking,
    verify_and_mark,
)
from driftline.training.strategies import FineTune, FullRetrain, TrainResult
from driftline.training.tracking import (
    LoggedRun,
    find_logged_run,
    load_holdout,
    log_training,
)
from driftline.training.window import Batch, Window


@dataclass(frozen=True)
class TrainingConfig:
    """Knobs of the training steps; unset ones come from the Driftline policy.

    Parameters
    ----------
    window : Window
        Data window of a full retrain within the history passed (default: all of it; the
        DAG passes the policy's retrain window).
    fine_tune_window : Window or None
        Rows a fine-tune trains on (``None``: the policy's
        :meth:`~driftline.training.LabelledPolicy.fine_tune_batches` newest batches).
    fine_tune_epochs : int or None
        Passes of ``partial_fit`` over those rows (``None``: the policy's).
    holdout_fraction : float or None
        Newest fraction of each batch's labelled rows kept for the gate (``None``: the
        policy's); the hold-out slices of the newest ``policy.gate_batches`` batches are
        pooled (:func:`~driftline.training.evidence.gate_split`).
    gate : Gate or None
        Promotion gate (``None``: :meth:`LabelledPolicy.gate
        <driftline.training.LabelledPolicy.gate>` for the version's iteration).
    threads : int or None
        BLAS/OpenMP thread limit while fitting (see :class:`~driftline.training.Strategy`);
        default 1, since training shares a small machine with the services and Airflow.
    policy : LabelledPolicy
        The Driftline policy whose defaults fill the unset knobs.
    """

    window: Window = field(default_factory=Window.all)
    fine_tune_window: Window | None = None
    fine_tune_epochs: int | None = None
    holdout_fraction: float | None = None
    gate: Gate | None = None
    threads: int | None = 1
    policy: LabelledPolicy = field(default_factory=LabelledPolicy)

    @property
    def fraction(self) -> float:
        """The hold-out fraction in use."""
        return (
            self.policy.holdout_fraction if self.holdout_fraction is None else self.holdout_fraction
        )

    @property
    def epochs(self) -> int:
        return (
            self.policy.fine_tune_epochs if self.fine_tune_epochs is None else self.fine_tune_epochs
        )

    def gate_for(self, spec: ModelSpec, iteration: str = "data") -> Gate:
        """The gate of a version: ``gate``, else the policy's for its iteration."""
        if self.gate is not None:
            return self.gate
        return self.policy.gate(spec.task, iteration=iteration)


@dataclass(frozen=True)
class TrainOutcome:
    """What :func:`train_and_log` did for a batch."""

    batch_id: str
    action: str
    version: str | None = None
    run_id: str | None = None
    model_uri: str | None = None
    parent_version: str | None = None
    reused: bool = False
    metrics: Mapping[str, float] = field(default_factory=dict)
    message: str = ""
    iteration: str = "data"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["metrics"] = dict(self.metrics)
        return d


@dataclass(frozen=True)
class PromotionOutcome:
    """What :func:`gate_and_promote` (or :func:`bootstrap`) did for a batch."""

    batch_id: str
    version: str | None
    promoted: bool
    moved: bool
    champion: str | None
    previous: str | None
    reason: str
    gate: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["gate"] = None if self.gate is None else dict(self.gate)
        return d


def policy_decided(decision: Any) -> bool:
    """Whether ``decision`` is the policy's own (not an override, not absent).

    Only a policy decision lets the policy choose among candidates
    (:mod:`~driftline.training.selection`); an explicit action trains what it names.
    """
    if isinstance(decision, Mapping):
        return not decision.get("override_used", False)
    if isinstance(decision, Decision):
        return not decision.override_used
    return False


def trigger_of(decision: Any, drift_report: Any) -> str:
    """Short trigger label for tags: ``override:<action>``, ``<kinds>:<severity>`` or ``manual``."""
    if isinstance(decision, Mapping):
        decision = Decision.from_dict(decision)
    if isinstance(decision, Decision) and decision.override_used:
        return f"override:{decision.action}"
    if drift_report is not None:
        get = (
            drift_report.get
            if isinstance(drift_report, Mapping)
            else (lambda k, d=None: getattr(drift_report, k, d))
        )
        kinds = "+".join(get("kinds", ()) or ()) or "none"
        return f"{kinds}:{get('severity', 'none')}"
    return "manual"


# ---------------------------------------------------------------------------------------
def train_and_log(
    batch_id: str,
    action: str,
    settings: Settings | None = None,
    *,
    history: Sequence[Batch] = (),
    spec: ModelSpec | None = None,
    config: TrainingConfig | None = None,
    drift_report: Any = None,
    drift_html: str | None = None,
    validation_report: Any = None,
    decision: Any = None,
    trigger: str | None = None,
    iteration: str = "data",
    run_config: Mapping[str, Any] | None = None,
    since: str | None = None,
) -> TrainOutcome:
    """Train for ``action`` on the batch ``batch_id`` (the last of ``history``), log, register.

    ``history`` holds the batches oldest first and ends with the new batch; only their
    labelled rows are used, and the hold-out slices of the newest ``gate_batches`` are
    left out of training and pooled as the gate's hold-out (since the change point
    ``since``, a batch id, when given; :func:`~driftline.training.evidence.gate_split`).
    ``spec`` defaults to the champion's. Returns without training when ``action`` is
    ``none`` or when the batch already has a registered version. ``iteration`` labels the
    run ``data`` (same spec, new data) or ``model`` (a changed spec,
    :mod:`driftline.training.iteration`); ``run_config`` adds to its reproducibility record.
    With the policy's own ``decision`` the policy picks among candidates (a full retrain
    decision may end as a fine-tune, :mod:`driftline.training.selection`); an override or
    a call without a decision trains exactly ``action``.
    """
    s = settings or get_settings()
    cfg = config or TrainingConfig()
    registry = Registry(s.model_name, s.mlflow_tracking_uri)
    if action == "none":
        return TrainOutcome(batch_id, "none", message=f"batch {batch_id}: no training needed")
    if action not in ("fine_tune", "full_retrain"):
        raise ModelError(
            fail(f"batch {batch_id}: action {action!r}", "use none, fine_tune or full_retrain")
        )
    use_tracking(s)
    trigger = trigger or trigger_of(decision, drift_report)
    existing, champion = earlier_attempt(batch_id, registry, "train_and_log")
    if existing is not None:
        tags = existing.tags or {}
        return TrainOutcome(
            batch_id,
            tags.get("strategy", action),
            str(existing.version),
            tags.get("run_id"),
            existing.source,
            tags.get("parent_version"),
            True,
            message=f"batch {batch_id} already has version {existing.version}; nothing trained",
            iteration=tags.get("iteration", "data"),
        )
    parent = None if champion is None else str(champion.version)
    with step(batch_id, "looking up earlier runs", registry, "check MLflow and retry"):
        logged = find_logged_run(s.model_name, batch_id, s.mlflow_tracking_uri)
    if logged is None:
        result, holdout, source, evidence = _train(
            batch_id,
            action,
            history,
            spec,
            cfg,
            registry,
            champion,
            since,
            iteration,
            select=policy_decided(decision),
        )
        with step(
            batch_id,
            f"logging the {result.strategy} run to MLflow",
            registry,
            "retry train_and_log",
        ):
            logged = log_training(
                result,
                batch_id=batch_id,
                experiment=s.model_name,
                holdout=holdout,
                holdout_source=source,
                trigger=trigger,
                parent_version=parent,
                drift_report=drift_report,
                drift_html=drift_html,
                validation_report=validation_report,
                decision=decision,
                tracking_uri=s.mlflow_tracking_uri,
                iteration=iteration,
                run_config={
                    "holdout_fraction": cfg.fraction,
                    "threads": cfg.threads,
                    "evidence": evidence,
                    **dict(run_config or {}),
                },
            )
        metrics = dict(result.metrics)
        reused = False
    else:  # an earlier attempt logged the run but did not register it
        metrics, reused = {}, True
        parent, trigger = logged.parent_version, logged.trigger
    version = _register(batch_id, logged, registry, trigger, parent, iteration)
    return TrainOutcome(
        batch_id,
        logged.strategy,
        version,
        logged.run_id,
        logged.model_uri,
        parent,
        reused,
        metrics,
        f"batch {batch_id}: {logged.strategy} ({iteration} iteration) logged as run "
        f"{logged.run_id}, registered as version {version} (challenger)",
        iteration,
    )


def _train(
    batch_id: str,
    action: str,
    history: Sequence[Batch],
    spec: ModelSpec | None,
    cfg: TrainingConfig,
    registry: Registry,
    champion: Any,
    since: str | None = None,
    iteration: str = "data",
    *,
    select: bool = True,
) -> tuple[TrainResult, pd.DataFrame, str, dict[str, Any]]:
    """Train for ``action``; returns the result, the pooled hold-out, its source and record.

    A data iteration trains the candidates of the action and keeps the best on the pooled
    hold-out (:func:`~driftline.training.selection.train_and_select`, as the backtest
    does). With ``select=False`` (an explicit action: an override, or a call without a
    policy decision) the candidates are the action's own strategy only: a requested full
    retrain is a full retrain. An explicit fine-tune window, a time window or a model
    iteration trains the one strategy asked for.
    """
    batches = list(history)
    if not batches or batches[-1].batch_id != batch_id:
        raise DataError(
            fail(
                f"batch {batch_id}: history must end with that batch",
                "pass the labelled history, oldest first, ending with the new batch",
            )
        )
    todo = "fix the cause and retry train_and_log"
    with step(batch_id, "reading the champion", registry, todo):
        if spec is None:
            if champion is None:
                raise ModelError(fail("no model spec and no champion", "run bootstrap first"))
            spec = model_spec_of(registry, champion)
        tunable = spec.supports_fine_tune and iteration == "data"
        policy = cfg.policy if select else replace(cfg.policy, retrain_alternative=False)
        wants = action == "fine_tune" or (tunable and policy.retrain_alternative)
        champion_model = (
            registry.load(str(champion.version)) if (wants and champion is not None) else None
        )
    new = batches[-1]
    split = gate_split(
        batches,
        target=spec.target,
        fraction=cfg.fraction,
        batches=cfg.policy.gate_batches,
        time_column=spec.timestamp,
        since=since,
    )
    if not split.train or split.train[-1].batch_id != batch_id:
        raise DataError(
            fail(
                f"batch {batch_id} has no labelled rows to train on "
                f"({len(new.frame)} rows, none left after the gate hold-out)",
                "send a larger or labelled batch; the champion is unchanged",
            )
        )
    selection: dict[str, Any] | None = None
    explicit = cfg.fine_tune_window is not None or cfg.window.kind == "last_time"
    with step(batch_id, f"{action} training", registry, todo):
        if action == "fine_tune" and champion is None:
            raise ModelError(fail("there is no champion to fine-tune", "run bootstrap first"))
        if not explicit and iteration == "data":
            n = cfg.window.n if cfg.window.kind == "last_n" and cfg.window.n else len(split.train)
            result, selection = train_and_select(
                replace(policy, fine_tune_epochs=cfg.epochs),
                action,
                spec,
                split.train,
                champion_model,
                split.holdout,
                window=n,
                threads=cfg.threads,
            )
        elif action == "fine_tune" and spec.supports_fine_tune:
            tune_window = cfg.fine_tune_window or Window.last(
                cfg.policy.fine_tune_batches(split.train)
            )
            strategy = FineTune(tune_window, cfg.epochs, cfg.threads)
            result = strategy.train(spec, split.train, champion=champion_model)
        else:
            result = FullRetrain(cfg.window, cfg.threads).train(spec, split.train)
            if action == "fine_tune":
                result = replace(
                    result,
                    notes=(
                        *result.notes,
                        f"estimator {spec.estimator} cannot fine-tune: retrained fully",
                    ),
                )
    pooled = {b.batch_id: b for b in batches if b.batch_id in split.holdout_batches}
    evidence = {
        "gate_batches": cfg.policy.gate_batches,
        "since": since,
        "order": [b.batch_id for b in batches],
        "holdout_batches": [
            {"batch_id": b.batch_id, "uri": b.source, "digest": b.digest} for b in pooled.values()
        ],
    }
    if selection is not None:
        evidence["selection"] = selection
    sources = ",".join(b.source for b in pooled.values()) or new.source
    return result, split.holdout, sources, evidence


def _register(
    batch_id: str,
    logged: LoggedRun,
    registry: Registry,
    trigger: str,
    parent: str | None,
    iteration: str = "data",
) -> str:
    todo = "retry train_and_log (it reuses the logged run)"
    with step(batch_id, f"registering run {logged.run_id}", registry, todo):
        version = registry.register(
            logged.model_uri,
            run_id=logged.run_id,
            batch_id=batch_id,
            strategy=logged.strategy,
            trigger=trigger,
            parent_version=parent,
            model_id=logged.model_id,
            extra_tags={"iteration": iteration},
        )
    version_id = str(version.version)
    with step(batch_id, f"checking that version {version_id} loads", registry, todo):
        verify_and_mark(registry, version)
    return version_id


# ---------------------------------------------------------------------------------------
def gate_and_promote(
    batch_id: str, settings: Settings | None = None, *, config: TrainingConfig | None = None
) -> PromotionOutcome:
    """Gate the challenger of ``batch_id`` against the champion; promote if it is better."""
    s = settings or get_settings()
    cfg = config or TrainingConfig()
    registry = Registry(s.model_name, s.mlflow_tracking_uri)
    use_tracking(s)
    todo = "retry gate_and_promote"
    with step(batch_id, "looking up its version", registry, todo):
        version = registry.find(batch_id)
        aliases = registry.aliases()
    champion, previous = aliases.get(CHAMPION), aliases.get("previous_champion")
    if version is None:
        return PromotionOutcome(
            batch_id,
            None,
            False,
            False,
            champion,
            previous,
            f"batch {batch_id} has no trained model; champion stays {champion}",
        )
    vid, tags = str(version.version), dict(version.tags or {})
    gate_tag = tags.get("gate")
    recorded = json.loads(tags["gate_result"]) if tags.get("gate_result") else None
    if gate_tag == "refused" or tags.get("promoted") == "true":
        return PromotionOutcome(
            batch_id,
            vid,
            gate_tag != "refused",
            False,
            champion,
            previous,
            f"decision for version {vid} was recorded before ({gate_tag}); nothing changed",
            recorded,
        )
    if gate_tag is None:
        if champion is None or champion == vid:
            result = None
            decision = "promoted"
            reason = (
                "no champion yet: the first model is promoted without a gate"
                if champion is None
                else f"version {vid} is already champion"
            )
        else:
            with step(
                batch_id, f"gating version {vid} against champion {champion}", registry, todo
            ):
                result = _gate(registry, version, champion, cfg)
            decision = "promoted" if result.promote else "refused"
            reason = result.reason
        with step(batch_id, f"recording the gate result of version {vid}", registry, todo):
            _record(registry, version, decision, result)
        recorded = None if result is None else result.to_dict()
    else:
        decision, reason = gate_tag, f"finishing the recorded promotion of version {vid}"
    if decision == "refused":
        return PromotionOutcome(
            batch_id,
            vid,
            False,
            False,
            champion,
            previous,
            f"not promoted: {reason}; champion stays {champion}",
            recorded,
        )
    with step(batch_id, f"promoting version {vid}", registry, todo):
        holdout = load_holdout(tags.get("run_id") or version.run_id, registry.tracking_uri)
        spec = model_spec_of(registry, version)
        move = registry.promote(vid, example=holdout[list(spec.features)].head(5))
        registry.client.set_model_version_tag(registry.name, vid, "promoted", "true")
    return PromotionOutcome(
        batch_id,
        vid,
        True,
        move.moved,
        move.champion,
        move.previous,
        f"promoted: {reason}",
        recorded,
    )


def _gate(registry: Registry, version: Any, champion: str, cfg: TrainingConfig) -> GateResult:
    run_id = (version.tags or {}).get("run_id") or version.run_id
    spec = model_spec_of(registry, version)
    holdout = load_holdout(run_id, registry.tracking_uri)
    tags = version.tags or {}
    iteration = "label_free" if tags.get("label_free") == "true" else tags.get("iteration", "data")
    gate = cfg.gate_for(spec, iteration)
    champion_spec = model_spec_of(
        registry, registry.client.get_model_version(registry.name, champion)
    )
    inputs = spec
    if set(champion_spec.features) - set(spec.features):
        # a model iteration dropped features: give both models every column either needs
        # (each Pipeline selects its own columns by name)
        extra = tuple(c for c in champion_spec.features if c not in spec.features)
        inputs = replace(spec, numeric=spec.numeric + extra)
    return gate.evaluate(
        registry.load(champion), registry.load(str(version.version)), holdout, inputs
    )


def _record(registry: Registry, version: Any, decision: str, result: GateResult | None) -> None:
    client, vid = registry.client, str(version.version)
    run_id = (version.tags or {}).get("run_id") or version.run_id
    if result is not None:
        client.log_dict(run_id, {**result.to_dict(), "decision": decision}, "gate/result.json")
        for key in ("champion_score", "challenger_score", "diff", "ci_low", "ci_high", "p_value"):
            value = getattr(result, key)
            if value == value:  # not NaN
                client.log_metric(run_id, f"gate_{key}", float(value))
        client.set_model_version_tag(
            registry.name, vid, "gate_result", json.dumps(result.to_dict())
        )
    client.set_model_version_tag(registry.name, vid, "gate", decision)


# ---------------------------------------------------------------------------------------
def bootstrap(
    reference: Batch | pd.DataFrame,
    spec: ModelSpec | Any,
    settings: Settings | None = None,
    *,
    batch_id: str | None = None,
    config: TrainingConfig | None = None,
    validation_report: Any = None,
) -> PromotionOutcome:
    """Train the first champion on ``reference`` (``spec``: a ModelSpec or a DataContract)."""
    s = settings or get_settings()
    if not isinstance(spec, ModelSpec):
        spec = ModelSpec.from_contract(spec)
    if isinstance(reference, pd.DataFrame):
        reference = Batch(batch_id or "bootstrap", reference, "reference")
    batch_id = batch_id or reference.batch_id
    if reference.batch_id != batch_id:
        reference = replace(reference, batch_id=batch_id)
    registry = Registry(s.model_name, s.mlflow_tracking_uri)
    use_tracking(s)
    with step(batch_id, "reading the registry", registry, "check MLflow and retry bootstrap"):
        champion = registry.aliases().get(CHAMPION)
        mine = registry.find(batch_id)
    if champion is not None and (mine is None or str(mine.version) != champion):
        return PromotionOutcome(
            batch_id,
            None if mine is None else str(mine.version),
            False,
            False,
            champion,
            None,
            f"{s.model_name} already has champion version {champion}; bootstrap skipped "
            "(train with the training DAG, or roll back)",
        )
    train_and_log(
        batch_id,
        "full_retrain",
        s,
        history=[reference],
        spec=spec,
        config=config,
        validation_report=validation_report,
        trigger="bootstrap",
    )
    return gate_and_promote(batch_id, s, config=config)


def rollback_champion(
    settings: Settings | None = None, to_version: str | None = None
) -> dict[str, Any]:
    """Move ``champion`` back (see :meth:`Registry.rollback`); JSON-able result."""
    s = settings or get_settings()
    registry = Registry(s.model_name, s.mlflow_tracking_uri)
    use_tracking(s)
    with step(
        "rollback",
        f"rolling back to {to_version or 'previous_champion'}",
        registry,
        "pass an existing version to restore",
    ):
        return registry.rollback(to_version).to_dict()


def score_and_write(
    batch: Batch, settings: Settings | None = None, *, keep: Sequence[str] = ()
) -> dict[str, Any]:
    """Score ``batch`` with the champion, write the predictions to S3; return URI and statistics."""
    s = settings or get_settings()
    use_tracking(s)
    scored = score_batch(
        batch.frame,
        batch_id=batch.batch_id,
        model_name=s.model_name,
        keep=keep,
        tracking_uri=s.mlflow_tracking_uri,
    )
    uri = write_predictions(scored, s)
    return {
        "batch_id": batch.batch_id,
        "uri": uri,
        "model_version": scored.model_version,
        "stats": prediction_summary(scored.predictions),
    }
