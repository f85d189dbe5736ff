"""The pipeline steps the DAGs call, one function per task.

Every function takes and returns JSON-able dicts (they travel through XCom), reads its
settings from the environment, is idempotent for a batch id, and raises a Driftline error
whose message names the batch, the model version and the next step.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from driftline import batches, reports, s3
from driftline.errors import ConfigError, fail
from driftline.reports import ReportKeys
from driftline.settings import Settings, get_settings

log = logging.getLogger("driftline.flow")


def claim_next(settings: Settings | None = None) -> dict[str, Any]:
    """Claim the oldest object under the landing prefix (see :func:`driftline.batches.claim`)."""
    s = settings or get_settings()
    keys = batches.list_incoming(s)
    if not keys:
        return {"outcome": "empty", "batch": None, "message": f"nothing under {s.landing_prefix}"}
    result = batches.claim(keys[0], s, listed=True)
    log.info("%s (%d more waiting)", result.message, len(keys) - 1)
    if result.outcome == "rejected" and result.moved_to:
        try:  # a refused key (odd name, too long, unknown format) is alerted; the queue goes on
            from driftline.alerting import send_rejected_key_alert

            send_rejected_key_alert(result.moved_to, result.message)
        except Exception as exc:  # noqa: BLE001 - the key is set aside either way
            log.warning("alert for the rejected key %s not sent: %s", keys[0], exc)
    return {
        "outcome": result.outcome,
        "batch": result.batch.to_dict() if result.batch else None,
        "message": result.message,
        "waiting": len(keys) - 1,
    }


# --------------------------------------------------------------------------- shared paths
def contract_key(settings: Settings) -> str:
    """Key of the active data contract in the reports bucket (editable YAML)."""
    return reports.contract_key(settings.model_name)


def _tmpdir() -> Path:
    import tempfile

    return Path(tempfile.mkdtemp(prefix="driftline-"))


def load_contract(settings: Settings | None = None):
    """The active :class:`~driftline.validation.DataContract` from S3."""
    from driftline.validation import DataContract

    s = settings or get_settings()
    local = _tmpdir() / "contract.yaml"
    try:
        body = s3.client(s).get_object(Bucket=s.bucket_reports, Key=contract_key(s))["Body"].read()
    except Exception as exc:
        raise ConfigError(
            fail(
                f"no data contract at s3://{s.bucket_reports}/{contract_key(s)} ({exc})",
                "run the driftline_bootstrap DAG first",
            )
        ) from exc
    local.write_bytes(body)
    return DataContract.from_file(local)


def _upload_dir(local: Path, bucket: str, prefix: str, settings: Settings) -> int:
    client = s3.client(settings)
    n = 0
    for path in sorted(local.rglob("*")):
        if path.is_file():
            client.upload_file(str(path), bucket, f"{prefix}{path.relative_to(local).as_posix()}")
            n += 1
    return n


# --------------------------------------------------------------------------- steps
def resolve_batch(
    requested: str = "",
    *,
    events: list[dict[str, Any]] | None = None,
    run_id: str | None = None,
    settings: Settings | None = None,
) -> dict[str, Any] | None:
    """The batch this run processes: the requested one, else the oldest claimed one.

    Asset-event extras are only logged: the claimed prefix is the source of truth, so
    events merged into one run lose no batch. Returns ``None`` when nothing waits.
    """
    s = settings or get_settings()
    if events:
        log.info("run %s triggered by batch events %s", run_id, [e.get("batch_id") for e in events])
    if requested:
        ref = batches.find_batch(requested, s)
    else:
        waiting = batches.list_claimed(s)
        if not waiting:
            log.info("run %s: no claimed batch waiting", run_id)
            return None
        ref = batches.find_batch(waiting[0], s)
        log.info("run %s: batch %s (%d more claimed)", run_id, ref.batch_id, len(waiting) - 1)
    return ref.to_dict()


def backlog(settings: Settings | None = None) -> int:
    """Number of claimed batches waiting for a training run."""
    return len(batches.list_claimed(settings or get_settings()))


def validate_batch(
    batch: dict[str, Any], *, run_id: str | None = None, settings: Settings | None = None
) -> dict[str, Any]:
    """Validate a batch against the active contract; Data Docs go to the reports bucket.

    A batch with fewer than ``DRIFTLINE_MIN_BATCH_ROWS`` rows fails (``too_few_rows``).
    """
    from driftline.validation import validate

    s = settings or get_settings()
    ref = batches.load_ref(batch, s)
    keys = ReportKeys(ref.batch_id)
    contract = load_contract(s)
    docs = _tmpdir() / "docs"
    report = validate(
        ref.uri,
        contract,
        batch_id=ref.batch_id,
        docs_dir=docs,
        settings=s,
        max_bytes=s.max_batch_bytes,
        min_rows=s.min_batch_rows,
    )
    prefix = keys.datadocs
    if docs.exists():
        _upload_dir(docs, s.bucket_reports, prefix, s)
    out = report.to_dict()
    out["data_docs_uri"] = f"s3://{s.bucket_reports}/{prefix}index.html"
    s3.client(s).put_object(
        Bucket=s.bucket_reports,
        Key=keys.validation,
        Body=json.dumps(out, indent=2).encode(),
    )
    log.info("batch %s: %s", ref.batch_id, report.summary())
    _monitor("record_validation", ref.batch_id, out, run_id=run_id)
    return out


def quarantine_batch(
    batch: dict[str, Any], validation: dict[str, Any], settings: Settings | None = None
) -> dict[str, Any]:
    """Move a failed batch to quarantine with its report, and raise an alert."""
    s = settings or get_settings()
    ref = batches.load_ref(batch, s)
    uri = batches.quarantine(ref, validation, s)
    message = (
        f"batch {ref.batch_id} quarantined at {uri}: {len(validation.get('failures', []))} failed checks; "
        f"nothing was trained. Next step: fix the producer or edit the contract "
        f"s3://{s.bucket_reports}/{contract_key(s)}, then deliver the batch again"
    )
    log.warning(message)
    _monitor("record_quarantine", ref.batch_id, {"uri": uri, "validation": validation})
    from driftline.alerting import send_batch_alerts

    send_batch_alerts(ref.batch_id)
    return {"batch_id": ref.batch_id, "quarantine_uri": uri, "message": message}


def _monitor(method: str, batch_id: str, payload: dict[str, Any], **kwargs: Any) -> None:
    """Write to the monitoring store; monitoring must never fail a pipeline step."""
    try:
        from driftline.monitoring import record

        record(method, batch_id, payload, **kwargs)
    except Exception as exc:  # noqa: BLE001 - logged, the pipeline goes on
        log.warning("monitoring %s for batch %s not recorded: %s", method, batch_id, exc)


# --------------------------------------------------------------------------- reading
def read_frame(ref: batches.BatchRef, contract: Any, settings: Settings) -> Any:
    """The batch's rows, conformed to the contract (validated before this is called)."""
    from driftline.errors import DataError
    from driftline.validation import read_batch

    result = read_batch(ref.uri, contract, settings, max_bytes=settings.max_batch_bytes)
    if result.frame is None:
        raise DataError(
            fail(
                f"batch {ref.batch_id} could not be read ({[str(p) for p in result.problems][:3]})",
                "it should have been quarantined by validation; re-run the validate task",
            )
        )
    return result.frame


def _training_batch(ref: batches.BatchRef, contract: Any, settings: Settings) -> Any:
    from driftline.training.window import Batch

    # MLflow dataset digests hold at most 36 characters: a 32-hex prefix of the SHA-256
    return Batch(ref.batch_id, read_frame(ref, contract, settings), ref.uri, ref.digest[:32])


def _put_text(
    settings: Settings, key: str, text: str, content_type: str = "application/json"
) -> str:
    s3.client(settings).put_object(
        Bucket=settings.bucket_reports, Key=key, Body=text.encode(), ContentType=content_type
    )
    return f"s3://{settings.bucket_reports}/{key}"


def _get_json(settings: Settings, key: str) -> dict[str, Any] | None:
    try:
        body = (
            s3.client(settings).get_object(Bucket=settings.bucket_reports, Key=key)["Body"].read()
        )
    except Exception:  # noqa: BLE001 - absent is a normal answer here
        return None
    return json.loads(body)


# --------------------------------------------------------------------------- drift
def check_drift(
    batch: dict[str, Any],
    *,
    alpha: float | None = None,
    effect_floor: float | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Score the batch with the champion, then test it against the champion's reference profile.

    Covariate and label shift come from :class:`~driftline.drift.DatasetDrift` (for a batch
    without labels, label shift from :func:`~driftline.adapt.prediction_shift`, BBSD of
    the champion's probabilities on its hold-out vs the batch); concept drift
    (when the batch has labelled rows) from :meth:`LabelledPolicy.concept_check
    <driftline.training.LabelledPolicy.concept_check>` of the champion's outcomes against
    its record on the processed batches it scored since it was trained
    (:mod:`driftline.training.record`; its logged hold-out until there is one), as the
    backtest replays it. The drift episode (trailing run of concept alarms, from the
    stored reports) and whether the champion did worse than an uninformed predictor go to
    the decision. The report goes to ``s3://<reports>/drift/<batch_id>.json`` and ``.html``.
    """
    from dataclasses import replace

    import numpy as np

    from driftline.drift import DatasetDrift, ReferenceProfile, render_html
    from driftline.training import record as track
    from driftline.training.evidence import labelled
    from driftline.training.policy import worse_than_uninformed
    from driftline.training.registry import Registry
    from driftline.training.spec import ModelSpec
    from driftline.training.tracking import load_artifact_text, load_holdout

    s = settings or get_settings()
    policy = s.labelled_policy()
    if alpha is not None:
        policy = replace(policy, alpha=alpha)
    ref = batches.load_ref(batch, s)
    keys = ReportKeys(ref.batch_id)
    contract = load_contract(s)
    frame = read_frame(ref, contract, s)
    registry = Registry(s.model_name, s.mlflow_tracking_uri)
    champion = registry.champion()
    if champion is None:
        raise ConfigError(
            fail(
                f"batch {ref.batch_id}: model {s.model_name} has no champion",
                "run driftline_bootstrap first",
            )
        )
    run_id = champion.run_id
    profile = ReferenceProfile.from_json(
        load_artifact_text(run_id, "reference/profile.json", s.mlflow_tracking_uri)
    )
    model = registry.load(str(champion.version))
    target = contract.target
    features = list(contract.feature_names)
    task = ModelSpec.from_contract(contract).task
    extra = []
    perf: dict[str, Any] = {}
    episode: dict[str, Any] = {}
    proba = None
    if hasattr(model, "predict_proba"):
        proba = model.predict_proba(frame[features])
    preds = model.predict(frame[features])
    rows = labelled(frame, target)
    if len(rows):
        current = track.outcomes(model, rows, target, features)
        past = [h for h in batches.history(s, last=policy.window) if h.batch_id != ref.batch_id]
        scored = set(
            track.out_of_sample((champion.tags or {}).get("batch_id"), [h.batch_id for h in past])
        )
        reference = track.champion_record(
            model,
            (read_frame(h, contract, s) for h in past if h.batch_id in scored),
            target,
            features,
        )
        if not reference:
            holdout = load_holdout(run_id, s.mlflow_tracking_uri)
            reference = track.champion_record(model, [holdout], target, features)
        concept = policy.concept_check(reference, current, task, column=target)
        extra.append(concept)
        alarms = track.alarm_history(
            [h.batch_id for h in past], lambda b: _get_json(s, ReportKeys(b).drift)
        )
        found = policy.episode([*alarms, (ref.batch_id, concept.is_drift)])
        uninformed = worse_than_uninformed(
            current, track.uninformed_labels(profile.label, current[0]), task == "classification"
        )
        episode = {**found.to_dict(), "worse_than_uninformed": uninformed}
        perf = track.performance_summary(current, reference, task)
    # -- issue 17: no labelled row: estimate the champion's performance (driftline.estimate)
    estimated: dict[str, Any] = {}
    holdout = None
    if not len(rows) and proba is not None:
        # label shift without labels: BBSD of the champion's probabilities, its logged
        # hold-out vs the batch (the label-free backtest runs the same function)
        from driftline.adapt import prediction_shift

        holdout = load_holdout(run_id, s.mlflow_tracking_uri)
        extra.append(
            prediction_shift(model, holdout[features], frame[features], alpha=policy.alpha)
        )
    if not len(rows):
        from driftline.estimate import estimate_unlabelled

        estimated = estimate_unlabelled(
            ref.batch_id,
            frame,
            model=model,
            champion=champion,
            contract=contract,
            settings=s,
            predictions=preds,
            proba=proba,
            holdout=holdout,  # read once for BBSD and the estimate
        )
    # -- end issue 17
    floors = (
        {}
        if effect_floor is None
        else {
            "numeric_floor": effect_floor,
            "categorical_floor": effect_floor,
            "label_floor": effect_floor,
        }
    )
    detector = DatasetDrift(alpha=policy.alpha, **floors)
    report = detector.check(
        profile,
        frame,
        target=target if target in frame.columns else None,  # unlabelled rows: not in the test
        predictions=proba,
        batch_id=ref.batch_id,
        extra_results=extra,
    )
    json_uri = _put_text(s, keys.drift, report.to_json())
    html_uri = _put_text(s, keys.drift_html, render_html(report), "text/html")
    version = str(champion.version)
    _monitor("record_drift", ref.batch_id, report.to_dict())
    if proba is not None or preds is not None:
        import pandas as pd

        from driftline.training.inference import prediction_stats

        pred_frame = pd.DataFrame({"prediction": preds})
        if proba is not None and np.ndim(proba) == 2:
            for i in range(proba.shape[1]):
                pred_frame[f"proba_{i}"] = proba[:, i]
        _monitor_call("record_predictions", ref.batch_id, version, prediction_stats(pred_frame))
    if perf:
        metric = "accuracy" if "accuracy" in perf else "mae"
        _monitor_call(
            "record_performance",
            ref.batch_id,
            version,
            {metric: perf[metric]},
            n_labels=perf["n_labels"],
        )
    log.info("batch %s vs champion v%s: %s", ref.batch_id, version, report.summary())
    return {
        "batch_id": ref.batch_id,
        "champion_version": version,
        "is_drift": report.is_drift,
        "kinds": list(report.kinds),
        "severity": report.severity,
        "max_effect": report.max_effect,
        "drifted_columns": list(report.drifted_columns),
        "performance": perf,
        "estimated_performance": estimated,
        "episode": episode,
        "report_uri": json_uri,
        "html_uri": html_uri,
        "summary": report.summary(),
    }


def _monitor_call(method: str, *args: Any, **kwargs: Any) -> None:
    try:
        from driftline.monitoring import record

        record(method, *args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - monitoring never fails a step
        log.warning("monitoring %s not recorded: %s", method, exc)


def decide(
    batch: dict[str, Any],
    drift: dict[str, Any],
    *,
    override: str = "auto",
    dry_run: bool = False,
    dag_id: str | None = None,
    run_id: str | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Map the drift report to a training action (a dry run never trains).

    Without labels the policy's label-free rules apply (``recalibrate_priors``,
    ``reweight_retrain``; see :mod:`driftline.training.policy`).
    """
    from driftline.drift import DriftReport
    from driftline.training.policy import Episode, Policy

    s = settings or get_settings()
    keys = ReportKeys(batch["batch_id"])
    report = DriftReport.from_dict(_get_json(s, keys.drift) or {})
    # With labels, the Driftline policy (LabelledPolicy, as the backtest replays it): full
    # retrain on a significant performance drop (concept drift), fine-tune otherwise.
    # Without labels, the label-free rules of the library's Policy.
    has_labels = bool(drift.get("performance"))
    policy = s.labelled_policy()
    if has_labels:
        decision = policy.decide(report, override=override)
    else:
        decision = Policy().decide(report, override=override, has_labels=False)
    out = decision.to_dict()
    if not has_labels:  # issue 17: DRIFTLINE_ESTIMATED_DROP_ACTION (driftline.estimate.drop)
        from driftline.estimate import apply_to_decision

        out = apply_to_decision(out, drift.get("estimated_performance"), s.estimated_drop_action)
    if has_labels:
        found = drift.get("episode") or {}
        episode = Episode(
            found.get("start"), int(found.get("length") or 0), found.get("change_point")
        )
        out["window"] = policy.retrain_window(episode, bool(found.get("worse_than_uninformed")))
        out["change_point"] = episode.change_point
    out = _model_iteration(out, s)
    if dry_run:
        out["reasons"] = [*out.get("reasons", []), f"dry run: {out['action']} not carried out"]
        out["planned_action"], out["action"] = out["action"], "none"
    _put_text(s, keys.decision, json.dumps(out, indent=2, default=str))
    _monitor_call(
        "record_decision",
        batch["batch_id"],
        out["action"],
        reasons=list(out.get("reasons", [])),
        kinds=list(drift.get("kinds", [])),
        severity=drift.get("severity"),
        dag_id=dag_id,
        run_id=run_id,
    )
    log.info(
        "batch %s: decision %s (%s)",
        batch["batch_id"],
        out["action"],
        "; ".join(out.get("reasons", [])),
    )
    return out


def _model_iteration(out: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """A changed configured model spec turns the decision into a model-iteration full retrain.

    See :mod:`driftline.training.iteration`; without a configured spec, or when it cannot
    be read, the decision is a data iteration as decided.
    """
    from driftline.training.iteration import apply_plan, load_configured_spec, plan_iteration
    from driftline.training.lifecycle import model_spec_of
    from driftline.training.registry import Registry

    try:
        configured = load_configured_spec(settings)
        registry = Registry(settings.model_name, settings.mlflow_tracking_uri)
        champion = registry.champion()
        plan = plan_iteration(
            configured, None if champion is None else model_spec_of(registry, champion)
        )
    except Exception as exc:  # noqa: BLE001 - a broken spec file must not stop the batch
        log.warning("model spec not compared (%s); treating this run as a data iteration", exc)
        return {**out, "iteration": "data"}
    return apply_plan(out, plan)


# --------------------------------------------------------------------------- training
def train(
    batch: dict[str, Any],
    action: str,
    *,
    window: int | None = None,
    run_id: str | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Fine-tune the champion or fully retrain on the window ending with this batch; log; register.

    A full retrain learns from the newest ``window`` batches including this one (the
    decision's window: ``DRIFTLINE_TRAIN_WINDOW``, default 8, or the batches since a
    concept alarm); a fine-tune from this batch. The hold-out slices of the newest
    ``gate_batches`` batches are left out and pooled for the gate
    (:func:`~driftline.training.evidence.gate_split`). Idempotent per batch id (a retry
    reuses the logged run).
    """
    from driftline.training.lifecycle import TrainingConfig, train_and_log
    from driftline.training.window import Window

    s = settings or get_settings()
    policy = s.labelled_policy()
    ref = batches.load_ref(batch, s)
    keys = ReportKeys(ref.batch_id)
    contract = load_contract(s)
    drift = _get_json(s, keys.drift)
    decision = _get_json(s, keys.decision)
    n = window or int((decision or {}).get("window") or policy.window)
    # the pool's batches, and every batch a candidate may learn from (a wide fine-tune can
    # reach the retrain window): the same history the backtest gives the policy
    needed = max(policy.gate_batches, policy.window, n)
    past = [h for h in batches.history(s, last=needed) if h.batch_id != ref.batch_id]
    frames = [
        _training_batch(h, contract, s) for h in (past[-(needed - 1) :] if needed > 1 else [])
    ]
    frames.append(_training_batch(ref, contract, s))
    validation = _get_json(s, keys.validation)
    iteration = (decision or {}).get("iteration", "data")
    spec = None
    if iteration == "model":
        from driftline.training.iteration import load_configured_spec

        spec = load_configured_spec(s)
    log.info(
        "batch %s: %s (%s iteration) on %d batch(es), %d rows",
        ref.batch_id,
        action,
        iteration,
        len(frames),
        sum(len(b.frame) for b in frames),
    )
    outcome = train_and_log(
        ref.batch_id,
        action,
        s,
        history=frames,
        spec=spec,
        drift_report=drift,
        validation_report=validation,
        decision=decision,
        iteration=iteration,
        run_config={"contract": contract.to_dict()},
        config=TrainingConfig(window=Window.last(n), policy=policy),
        since=(decision or {}).get("change_point"),
    )
    out = outcome.to_dict()
    _monitor_call(
        "record_model_event",
        action,
        out.get("version"),
        batch_id=ref.batch_id,
        mlflow_run_id=out.get("run_id"),
        previous_version=out.get("parent_version"),
        reason=out.get("message"),
        iteration=out.get("iteration"),
    )
    log.info(out.get("message", ""))
    return out


def adapt(
    batch: dict[str, Any],
    action: str,
    *,
    window: int | None = None,
    run_id: str | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Label-free adaptation (``recalibrate_priors`` / ``reweight_retrain``); log; register.

    See :mod:`driftline.adapt.register`. The labelled history for ``reweight_retrain`` is
    the last ``window`` processed batches (``DRIFTLINE_TRAIN_WINDOW``, default 8). The
    adaptation report (prior estimate or importance weights and ESS, or why it was
    refused) goes to ``s3://<reports>/adapt/<batch_id>.json``.
    """

    from driftline.adapt.register import adapt_and_log

    s = settings or get_settings()
    ref = batches.BatchRef.from_dict(batch)
    keys = ReportKeys(ref.batch_id)
    contract = load_contract(s)
    history = []
    if action == "reweight_retrain":
        n = window if window is not None else s.train_window
        history = [
            _training_batch(h, contract, s)
            for h in batches.history(s, last=n)
            if h.batch_id != ref.batch_id
        ]
    outcome = adapt_and_log(
        ref.batch_id,
        action,
        s,
        current=_training_batch(ref, contract, s),
        history=history,
        drift_report=_get_json(s, keys.drift),
        validation_report=_get_json(s, keys.validation),
        decision=_get_json(s, keys.decision),
    )
    out = outcome.to_dict()
    out["report_uri"] = _put_text(s, keys.adaptation, json.dumps(out, indent=2, default=str))
    _monitor_call(
        "record_model_event",
        action,
        out.get("version"),
        batch_id=ref.batch_id,
        mlflow_run_id=out.get("run_id"),
        previous_version=out.get("parent_version"),
        reason=out.get("message"),
    )
    (log.info if outcome.accepted else log.warning)(out.get("message", ""))
    return out


def gate_and_promote(
    batch: dict[str, Any], trained: dict[str, Any] | None, settings: Settings | None = None
) -> dict[str, Any]:
    """Gate the batch's challenger against the champion; move ``champion`` only if it is better."""
    from driftline.training.lifecycle import gate_and_promote as gate

    s = settings or get_settings()
    if not trained or not trained.get("version"):
        return {"batch_id": batch["batch_id"], "promoted": False, "reason": "no challenger trained"}
    from driftline.training.lifecycle import TrainingConfig

    outcome = gate(
        batch["batch_id"], s, config=TrainingConfig(policy=s.labelled_policy())
    ).to_dict()
    kind = "promotion" if outcome.get("promoted") else "refused"
    _monitor_call(
        "record_model_event",
        kind,
        outcome.get("version"),
        batch_id=batch["batch_id"],
        previous_version=outcome.get("previous"),
        reason=outcome.get("reason"),
    )
    log.info("batch %s: %s", batch["batch_id"], outcome.get("reason"))
    return outcome


def publish(
    batch: dict[str, Any],
    *,
    run_id: str | None = None,
    dag_id: str | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Close the batch: move it to ``processed/``, record it, send its alerts."""
    s = settings or get_settings()
    ref = batches.load_ref(batch, s)
    keys = ReportKeys(ref.batch_id)
    done = batches.mark_processed(ref, s)
    decision = _get_json(s, keys.decision) or {}
    drift = _get_json(s, keys.drift) or {}
    from driftline.training.registry import Registry

    champion = Registry(s.model_name, s.mlflow_tracking_uri).champion()
    version = None if champion is None else str(champion.version)
    _monitor_call(
        "record_batch",
        ref.batch_id,
        "processed",
        dag_id=dag_id,
        run_id=run_id,
        source=done.uri,
        champion_version=version,
    )
    try:
        from driftline.alerting import send_batch_alerts

        sent = send_batch_alerts(ref.batch_id)
    except Exception as exc:  # noqa: BLE001 - alerts never fail the step
        log.warning("alerts for batch %s not sent: %s", ref.batch_id, exc)
        sent = 0
    summary = {
        "batch_id": ref.batch_id,
        "processed_uri": done.uri,
        "action": decision.get("action", "none"),
        "is_drift": drift.get("is_drift"),
        "champion_version": version,
        "report_uri": f"s3://{s.bucket_reports}/drift/{ref.batch_id}.html",
        "alerts_sent": sent,
    }
    _put_text(s, keys.run_summary, json.dumps(summary, indent=2))
    log.info("batch %s published: %s", ref.batch_id, summary)
    return summary


# --------------------------------------------------------------------------- bootstrap etc.
def bootstrap(
    reference: str = "builtin:elec2",
    *,
    target: str = "class",
    rows: int = 4 * 336,
    bounds: dict[str, list[float]] | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Train the first champion on a reference data set and store the data contract.

    ``reference`` is ``builtin:elec2`` (the first ``rows`` rows of the shipped Elec2) or an
    ``s3://`` / local CSV or Parquet path. The contract is inferred from it (``bounds``
    fixes known column ranges) and saved, editable, at
    ``s3://<reports>/contracts/<model>.yaml``; the reference rows become the first batch of
    the training history.
    """
    import hashlib

    import pandas as pd

    from driftline.training.lifecycle import bootstrap as boot
    from driftline.training.window import Batch
    from driftline.validation import DataContract

    s = settings or get_settings()
    if reference == "builtin:elec2":
        from driftline.datasets import load_elec2

        frame = load_elec2().iloc[:rows].reset_index(drop=True)
        bounds = bounds or {c: [0.0, 1.0] for c in frame.columns if c != target}
    elif reference.startswith("s3://"):
        from driftline.validation import read_batch

        frame = read_batch(reference, None, s).frame
    else:
        frame = (
            pd.read_parquet(reference) if reference.endswith(".parquet") else pd.read_csv(reference)
        )
    contract = DataContract.infer(
        frame,
        target,
        name=s.model_name,
        bounds={k: tuple(v) for k, v in (bounds or {}).items()} or None,
    )
    local = _tmpdir() / "contract.yaml"
    contract.to_file(local)
    s3.client(s).upload_file(str(local), s.bucket_reports, contract_key(s))
    body = frame.to_csv(index=False).encode()
    digest = hashlib.sha256(body).hexdigest()
    batch_id = batches.batch_id_for("bootstrap.csv", digest)
    key = f"{batches.PROCESSED}{batch_id}/bootstrap.csv"
    s3.client(s).put_object(Bucket=s.bucket_landing, Key=key, Body=body)
    outcome = boot(
        Batch(batch_id, frame, f"s3://{s.bucket_landing}/{key}", digest[:32]), contract, s
    ).to_dict()
    _monitor_call(
        "record_batch",
        batch_id,
        "processed",
        rows=len(frame),
        source=f"s3://{s.bucket_landing}/{key}",
        champion_version=outcome.get("champion"),
    )
    _monitor_call(
        "record_model_event",
        "promotion",
        outcome.get("champion"),
        batch_id=batch_id,
        reason="bootstrap",
    )
    outcome["contract_uri"] = f"s3://{s.bucket_reports}/{contract_key(s)}"
    log.info("bootstrap %s: %s", batch_id, outcome.get("reason"))
    return outcome


def rollback(version: str | None = None, settings: Settings | None = None) -> dict[str, Any]:
    """Move ``champion`` back to ``version`` (default: ``previous_champion``)."""
    from driftline.training.lifecycle import rollback_champion

    s = settings or get_settings()
    out = rollback_champion(s, version or None)
    _monitor_call(
        "record_model_event",
        "rollback",
        out.get("champion"),
        reason=f"manual rollback to {version or 'previous_champion'}",
    )
    return out


def score(batch: dict[str, Any], settings: Settings | None = None) -> dict[str, Any]:
    """Batch inference: score with the champion, write predictions to S3, record statistics."""
    from driftline.training.lifecycle import score_and_write

    s = settings or get_settings()
    ref = batches.load_ref(batch, s)
    contract = load_contract(s)
    out = score_and_write(_training_batch(ref, contract, s), s)
    _monitor_call("record_predictions", ref.batch_id, out["model_version"], out["stats"])
    return out
