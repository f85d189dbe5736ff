"""MLflow logging of a training run, before any promotion.

:func:`log_training` opens one MLflow run and logs, in this order:

* tags ``driftline.batch_id``, ``driftline.strategy``, ``driftline.trigger``,
  ``driftline.parent_version``; parameters (the model spec, the estimator parameters,
  the strategy and its window);
* metrics: ``train_*`` on the training rows, ``holdout_*`` on the recent held-out slice,
  ``rows_trained``, ``cpu_seconds``, ``wall_seconds``;
* data lineage: one ``mlflow.data`` dataset per batch used (name = batch id, source = its
  ``s3://`` URI, digest = its content digest) with context ``training``, and the
  hold-out with context ``holdout``;
* artifacts: ``spec.json``, ``training/summary.json``, ``policy/decision.json``,
  ``drift/report.json`` and ``drift/report.html``, ``validation/report.json``,
  ``reference/profile.json`` (a :class:`driftline.drift.ReferenceProfile` of the rows
  this run trained on — the window of a full retrain, the new rows of a fine-tune, i.e.
  the distribution the model was last fitted to — with the model's predicted
  probabilities and hold-out performance; the next drift check compares against it) and
  ``holdout/holdout.parquet`` (the rows the gate scores);
* reproducibility: tags ``driftline.code_version`` (package version), ``driftline.git_commit``
  (when the code runs from a git checkout), ``driftline.spec_fingerprint`` and
  ``driftline.iteration`` (``data`` or ``model``, :mod:`driftline.training.iteration`); the
  artifact ``reproducibility/record.json`` (:func:`reproducibility_record`: code version,
  package versions, the full configuration — spec, strategy and window, hold-out fraction,
  threads, parent version, data contract — and the URI, digest and row count of every
  batch used), from which ``driftline reproduce`` rebuilds the model;
* the model (``mlflow.sklearn.log_model`` with a signature, an input example, explicit
  pinned pip requirements and the skops format), then the tag ``driftline.complete=true``.

Other runs log through the same pieces (the label-free pyfunc,
:func:`driftline.adapt.pyfunc.log_prior_correction`): :func:`open_experiment`,
:func:`report_texts`, :func:`log_texts` and, last in the run, :func:`finish_run`.

The artifacts travel through the tracking server (``mlflow-artifacts:`` URIs), which
stores them in its ``--artifacts-destination`` S3 bucket; clients need no S3 access.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from driftline.errors import ModelError, ServiceError, fail
from driftline.training.metrics import evaluate
from driftline.training.spec import ModelSpec
from driftline.training.strategies import TrainResult

#: Packages pinned in every logged model's requirements (installed versions).
PINNED_PACKAGES = ("mlflow", "scikit-learn", "numpy", "pandas", "scipy", "skops")
#: Modules whose types the skops loader may trust (plus :data:`TRUSTED_EXACT`).
TRUSTED_PREFIXES = ("numpy.", "scipy.", "sklearn.")
TRUSTED_EXACT = ("functools.partial",)
TAG = "driftline."


@dataclass(frozen=True)
class LoggedRun:
    """Where a training run was logged."""

    run_id: str
    experiment_id: str
    model_uri: str
    model_id: str | None
    batch_id: str
    strategy: str
    parent_version: str | None = None
    trigger: str = "manual"

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


#: Version of the ``reproducibility/record.json`` layout.
RECORD_FORMAT = 1


def code_version() -> dict[str, Any]:
    """Driftline's package version, the git commit (if any) and the key package versions."""
    import platform

    from driftline import __version__

    out: dict[str, Any] = {
        "driftline": __version__,
        "git_commit": None,
        "git_dirty": None,
        "python": platform.python_version(),
        "packages": {},
    }
    for pkg in PINNED_PACKAGES:
        try:
            out["packages"][pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out["packages"][pkg] = None
    out.update(_git_state())
    return out


def _git_state() -> dict[str, Any]:
    """``git_commit`` / ``git_dirty`` of the project checkout; ``None`` without git."""
    import subprocess

    from driftline.settings import PROJECT_DIR

    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(
                ["git", "-C", str(PROJECT_DIR), *args],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if not commit:
        return {"git_commit": None, "git_dirty": None}
    status = git("status", "--porcelain", "--untracked-files=no", "--", "include", "dags")
    return {"git_commit": commit, "git_dirty": None if status is None else bool(status)}


def reproducibility_record(
    result: TrainResult,
    *,
    batch_id: str,
    parent_version: str | None,
    holdout: pd.DataFrame | None,
    iteration: str,
    run_config: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything :func:`driftline.training.reproduce.reproduce` needs to rebuild the model."""
    from driftline.training.iteration import spec_fingerprint
    from driftline.training.window import frame_digest

    batches = [] if result.data is None else list(result.data.batches)
    return {
        "format": RECORD_FORMAT,
        "code": code_version(),
        "batch_id": batch_id,
        "iteration": iteration,
        "parent_version": parent_version,
        "spec": result.spec.to_dict(),
        "spec_fingerprint": spec_fingerprint(result.spec),
        "strategy": result.strategy,
        "strategy_params": dict(result.params),
        "batches": [
            {
                "batch_id": b.batch_id,
                "uri": b.source,
                "digest": b.digest,
                "rows_used": len(b.frame),
                "frame_digest": frame_digest(b.frame),
            }
            for b in batches
        ],
        "holdout": None
        if holdout is None
        else {"rows": len(holdout), "frame_digest": frame_digest(holdout)},
        "config": dict(run_config or {}),
    }


def pip_requirements(packages: tuple[str, ...] = PINNED_PACKAGES) -> list[str]:
    """``["pkg==installed version", ...]`` (MLflow then skips its slow inference)."""
    out = []
    for pkg in packages:
        try:
            out.append(f"{pkg}=={metadata.version(pkg)}")
        except metadata.PackageNotFoundError:
            raise ModelError(
                fail(f"package {pkg} is not installed", "install the lock file")
            ) from None
    return out


def skops_trusted_types(model: Any) -> list[str]:
    """Types in ``model``'s skops dump that are not trusted by default, all from the allow-list.

    Raises :class:`ModelError` for any type outside numpy, scipy and scikit-learn.
    """
    import skops.io as sio

    types = sorted(sio.get_untrusted_types(data=sio.dumps(model)))
    bad = [t for t in types if not (t.startswith(TRUSTED_PREFIXES) or t in TRUSTED_EXACT)]
    if bad:
        raise ModelError(
            fail(
                f"the model contains types {bad} that are not safe to load",
                "use scikit-learn estimators only",
            )
        )
    return types


def _as_json(obj: Any) -> str | None:
    """JSON text of a report given as an object, a dict or JSON text."""
    if obj is None:
        return None
    if isinstance(obj, str):
        return obj
    if isinstance(obj, Mapping):
        return json.dumps(obj, indent=2, default=str)
    if hasattr(obj, "to_dict"):
        return json.dumps(obj.to_dict(), indent=2, default=str)
    if hasattr(obj, "to_json"):
        return obj.to_json()
    raise ModelError(fail(f"cannot log a {type(obj).__name__} as JSON", "pass a report or a dict"))


def _drift_html(report: Any, html: str | None) -> str | None:
    """The given HTML, else the drift package's rendering of ``report`` (``None`` if it cannot)."""
    if html is not None or report is None:
        return html
    try:
        from driftline.drift import DriftReport, render_html

        if isinstance(report, str):
            report = json.loads(report)
        if isinstance(report, Mapping):
            report = DriftReport.from_dict(report)
        return render_html(report) if isinstance(report, DriftReport) else None
    except Exception:  # a report from elsewhere: its JSON is still logged
        return None


def reference_profile(
    frame: pd.DataFrame, spec: ModelSpec, model: Any, performance: Mapping[str, float]
) -> Any:
    """A :class:`driftline.drift.ReferenceProfile` of the training rows."""
    from driftline.drift import ReferenceProfile

    predictions = None
    if spec.task == "classification" and hasattr(model, "predict_proba"):
        predictions = model.predict_proba(frame[list(spec.features)])
    timestamp = spec.timestamp if spec.timestamp in frame.columns else None
    return ReferenceProfile.from_frame(
        frame,
        target=spec.target,
        timestamp=timestamp,
        numeric=list(spec.numeric),
        categorical=list(spec.categorical),
        predictions=predictions,
        performance=dict(performance),
    )


def _dataset(
    frame: pd.DataFrame, source: str, name: str, digest: str | None, targets: str | None
) -> tuple[Any, dict[str, str]]:
    import mlflow.data

    try:
        return mlflow.data.from_pandas(
            frame, source=source, name=name, digest=digest, targets=targets
        ), {}
    except Exception:  # a source URI MLflow has no resolver for: keep it as a tag
        return (
            mlflow.data.from_pandas(frame, name=name, digest=digest, targets=targets),
            {"source_uri": source},
        )


def open_experiment(experiment: str, tracking_uri: str | None = None) -> Any:
    """Point MLflow at ``tracking_uri`` (when given) and set ``experiment``; return it.

    Raises :class:`~driftline.errors.ServiceError` when the tracking server is not
    reachable.
    """
    import mlflow

    if tracking_uri:
        mlflow.set_tracking_uri(tracking_uri)
    try:
        return mlflow.set_experiment(experiment)
    except Exception as exc:
        raise ServiceError(
            fail(
                f"MLflow at {mlflow.get_tracking_uri()} is not reachable ({exc})",
                "check 'make status'; the champion is unchanged",
            )
        ) from exc


def report_texts(
    decision: Any, drift_report: Any, drift_html: str | None, validation_report: Any
) -> dict[str, str | None]:
    """The report artifacts of a run: policy decision, drift report (JSON, HTML), validation."""
    return {
        "policy/decision.json": _as_json(decision),
        "drift/report.json": _as_json(drift_report),
        "drift/report.html": _drift_html(drift_report, drift_html),
        "validation/report.json": _as_json(validation_report),
    }


def log_texts(texts: Mapping[str, str | None], holdout: pd.DataFrame | None = None) -> None:
    """Log the texts (artifact path -> text; ``None`` skipped) and ``holdout/holdout.parquet``."""
    import mlflow

    with tempfile.TemporaryDirectory(prefix="driftline-run-") as tmp:
        for rel, text in texts.items():
            if text is not None:
                path = Path(tmp, rel)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
        if holdout is not None:
            Path(tmp, "holdout").mkdir()
            holdout.to_parquet(Path(tmp, "holdout", "holdout.parquet"), index=False)
        mlflow.log_artifacts(tmp)


def finish_run(
    run: Any,
    experiment: Any,
    info: Any,
    *,
    batch_id: str,
    strategy: str,
    parent_version: str | None,
    trigger: str,
) -> LoggedRun:
    """Mark the active ``run`` complete with its logged model ``info``; where it was logged.

    Sets the tags ``driftline.model_uri``, ``driftline.model_id`` and
    ``driftline.complete=true`` (what :func:`find_logged_run` looks for), so call it last,
    inside the run.
    """
    import mlflow

    mlflow.set_tags(
        {
            f"{TAG}model_uri": info.model_uri,
            f"{TAG}model_id": info.model_id or "",
            f"{TAG}complete": "true",
        }
    )
    return LoggedRun(
        run.info.run_id,
        experiment.experiment_id,
        info.model_uri,
        info.model_id,
        batch_id,
        strategy,
        parent_version,
        trigger,
    )


def find_logged_run(
    experiment: str, batch_id: str, tracking_uri: str | None = None
) -> LoggedRun | None:
    """A *complete* run already logged for ``batch_id`` in ``experiment`` (for idempotency)."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    exp = client.get_experiment_by_name(experiment)
    if exp is None:
        return None
    runs = client.search_runs(
        [exp.experiment_id],
        filter_string=f"tags.`{TAG}batch_id` = '{batch_id}' and tags.`{TAG}complete` = 'true'",
        order_by=["attributes.start_time ASC"],
        max_results=1,
    )
    if not runs:
        return None
    tags = runs[0].data.tags
    parent = tags.get(f"{TAG}parent_version")
    return LoggedRun(
        run_id=runs[0].info.run_id,
        experiment_id=exp.experiment_id,
        model_uri=tags[f"{TAG}model_uri"],
        model_id=tags.get(f"{TAG}model_id"),
        batch_id=batch_id,
        strategy=tags.get(f"{TAG}strategy", ""),
        parent_version=None if parent in (None, "none") else parent,
        trigger=tags.get(f"{TAG}trigger", "manual"),
    )


def log_training(
    result: TrainResult,
    *,
    batch_id: str,
    experiment: str,
    holdout: pd.DataFrame | None = None,
    holdout_source: str | None = None,
    trigger: str = "manual",
    parent_version: str | None = None,
    drift_report: Any = None,
    drift_html: str | None = None,
    validation_report: Any = None,
    decision: Any = None,
    extra_params: Mapping[str, Any] | None = None,
    tracking_uri: str | None = None,
    iteration: str = "data",
    run_config: Mapping[str, Any] | None = None,
) -> LoggedRun:
    """Log ``result`` and everything needed to audit, gate and rebuild it (module docstring).

    ``iteration`` is ``data`` or ``model``; ``run_config`` adds configuration to the
    reproducibility record (hold-out fraction, threads, data contract, ...).
    """
    import mlflow
    import mlflow.sklearn
    from mlflow.models import infer_signature

    spec, model = result.spec, result.model
    if result.data is None:
        raise ModelError(
            fail("the training result carries no data", "train with driftline.training")
        )
    frame = result.data.frame
    exp = open_experiment(experiment, tracking_uri)
    holdout_metrics = (
        evaluate(model, holdout, spec, prefix="holdout_") if holdout is not None else {}
    )
    record = reproducibility_record(
        result,
        batch_id=batch_id,
        parent_version=parent_version,
        holdout=holdout,
        iteration=iteration,
        run_config=run_config,
    )
    tags = {
        f"{TAG}batch_id": batch_id,
        f"{TAG}strategy": result.strategy,
        f"{TAG}trigger": trigger,
        f"{TAG}parent_version": parent_version or "none",
        f"{TAG}iteration": iteration,
        f"{TAG}spec_fingerprint": record["spec_fingerprint"],
        f"{TAG}code_version": record["code"]["driftline"],
        f"{TAG}git_commit": record["code"]["git_commit"] or "none",
    }
    with mlflow.start_run(run_name=f"{batch_id}-{result.strategy}", tags=tags) as run:
        params = {
            **{f"spec_{k}": v for k, v in spec.to_dict().items() if k != "params"},
            **{f"model_{k}": v for k, v in spec.estimator_params.items()},
            **dict(result.params),
            "rows_trained": result.rows,
            "batches_used": len(result.batch_ids),
            **dict(extra_params or {}),
        }
        mlflow.log_params(
            {
                k: json.dumps(v) if isinstance(v, list | dict | tuple) else v
                for k, v in params.items()
            }
        )
        mlflow.log_metrics(
            {
                **dict(result.metrics),
                **holdout_metrics,
                "rows_trained": float(result.rows),
                "cpu_seconds": result.cpu_seconds,
                "wall_seconds": result.wall_seconds,
            }
        )
        for batch in result.data.batches:
            _log_input(
                batch.frame, batch.source, batch.batch_id, batch.digest, spec.target, "training"
            )
        if holdout is not None:
            source = holdout_source or "holdout"
            _log_input(holdout, source, f"{batch_id}-holdout", None, spec.target, "holdout")
        summary = {**result.summary(), "holdout_metrics": holdout_metrics}
        profile = reference_profile(frame, spec, model, holdout_metrics or result.metrics)
        texts = {
            "spec.json": json.dumps(spec.to_dict(), indent=2),
            "training/summary.json": json.dumps(summary, indent=2, default=str),
            **report_texts(decision, drift_report, drift_html, validation_report),
            "reference/profile.json": profile.to_json(),
            "reproducibility/record.json": json.dumps(record, indent=2, default=str),
        }
        log_texts(texts, holdout)
        example = frame[list(spec.features)].head(5)
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            signature=infer_signature(example, model.predict(example)),
            input_example=example,
            pip_requirements=pip_requirements(),
            serialization_format="skops",
            skops_trusted_types=skops_trusted_types(model),
        )
        return finish_run(
            run,
            exp,
            info,
            batch_id=batch_id,
            strategy=result.strategy,
            parent_version=parent_version,
            trigger=trigger,
        )


def _log_input(
    frame: pd.DataFrame, source: str, name: str, digest: str | None, target: str, context: str
) -> None:
    import mlflow

    targets = target if target in frame.columns else None
    dataset, tags = _dataset(frame, source, name, digest, targets)
    mlflow.log_input(dataset, context=context, tags=tags or None)


def load_artifact_text(run_id: str, path: str, tracking_uri: str | None = None) -> str:
    """Text of a run artifact (e.g. ``spec.json``)."""
    import mlflow.artifacts

    try:
        with tempfile.TemporaryDirectory() as tmp:
            local = mlflow.artifacts.download_artifacts(
                run_id=run_id, artifact_path=path, dst_path=tmp, tracking_uri=tracking_uri
            )
            return Path(local).read_text(encoding="utf-8")
    except Exception as exc:
        raise ModelError(
            fail(
                f"run {run_id} has no readable artifact {path} ({exc})",
                "re-run the training task for that batch",
            )
        ) from exc


def load_holdout(run_id: str, tracking_uri: str | None = None) -> pd.DataFrame:
    """The hold-out rows logged with run ``run_id``."""
    import mlflow.artifacts

    try:
        with tempfile.TemporaryDirectory() as tmp:
            local = mlflow.artifacts.download_artifacts(
                run_id=run_id,
                artifact_path="holdout/holdout.parquet",
                dst_path=tmp,
                tracking_uri=tracking_uri,
            )
            return pd.read_parquet(local)
    except Exception as exc:
        raise ModelError(
            fail(
                f"run {run_id} has no readable hold-out ({exc})",
                "re-run the training task for that batch",
            )
        ) from exc
