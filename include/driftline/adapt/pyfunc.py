"""The prior-corrected champion as an MLflow model: a pyfunc wrapping champion + correction.

:class:`PriorCorrectedModel` is an :class:`mlflow.pyfunc.PythonModel` with two artifacts:
``base_model`` (the champion's scikit-learn model, saved again with MLflow's sklearn
flavor in the skops format, so no pickle of the estimator) and ``correction`` (the JSON
of a :class:`~driftline.adapt.priors.PriorShiftCorrection`). Its ``predict`` returns the
corrected labels; :meth:`PriorCorrectedModel.as_estimator` gives the scikit-learn-like
:class:`~driftline.adapt.priors.PriorCorrectedClassifier` (``predict_proba``,
``classes_``) that :func:`driftline.training.registry.load_model` returns for such a
version, so the gate, the drift check and batch inference treat it like any champion.

:func:`log_prior_correction` logs it as one MLflow run with the same artifacts as a
training run (``spec.json``, the hold-out the gate scores, the reference profile copied
from the champion's run, the policy decision and drift report) plus
``adapt/report.json``, tagged ``driftline.label_free=true`` and
``driftline.action=recalibrate_priors``.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import mlflow.pyfunc
import pandas as pd

from driftline.adapt.priors import PriorCorrectedClassifier, PriorShiftCorrection
from driftline.adapt.retrain import Adaptation
from driftline.errors import ModelError, fail
from driftline.training.metrics import evaluate
from driftline.training.spec import ModelSpec
from driftline.training.tracking import (
    TAG,
    LoggedRun,
    finish_run,
    load_artifact_text,
    log_texts,
    open_experiment,
    pip_requirements,
    report_texts,
    skops_trusted_types,
)


class PriorCorrectedModel(mlflow.pyfunc.PythonModel):
    """MLflow pyfunc: the champion's probabilities corrected for new class priors."""

    def load_context(self, context: Any) -> None:
        import mlflow.sklearn

        self.base = mlflow.sklearn.load_model(context.artifacts["base_model"])
        text = Path(context.artifacts["correction"]).read_text(encoding="utf-8")
        self.correction = PriorShiftCorrection.from_dict(json.loads(text))

    def as_estimator(self) -> PriorCorrectedClassifier:
        """The scikit-learn-like corrected classifier (``predict``, ``predict_proba``)."""
        return PriorCorrectedClassifier(self.base, self.correction)

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> Any:  # noqa: ARG002
        return self.as_estimator().predict(model_input)


def log_prior_correction(
    adaptation: Adaptation,
    *,
    spec: ModelSpec,
    batch_id: str,
    experiment: str,
    champion_run_id: str,
    example: pd.DataFrame,
    trigger: str = "label_free",
    parent_version: str | None = None,
    drift_report: Any = None,
    validation_report: Any = None,
    decision: Any = None,
    tracking_uri: str | None = None,
) -> LoggedRun:
    """Log a ``recalibrate_priors`` adaptation as a pyfunc model run (module docstring)."""
    import mlflow
    import mlflow.sklearn
    from mlflow.models import infer_signature

    model = adaptation.model
    if not isinstance(model, PriorCorrectedClassifier) or adaptation.estimate is None:
        raise ModelError(
            fail("the adaptation holds no prior-corrected model", "log an accepted recalibration")
        )
    exp = open_experiment(experiment, tracking_uri)
    estimate = adaptation.estimate
    holdout = adaptation.holdout
    holdout_metrics = (
        evaluate(model, holdout, spec, prefix="holdout_")
        if holdout is not None and len(holdout)
        else {}
    )
    tags = {
        f"{TAG}batch_id": batch_id,
        f"{TAG}strategy": "recalibrate_priors",
        f"{TAG}trigger": trigger,
        f"{TAG}parent_version": parent_version or "none",
        f"{TAG}label_free": "true",
        f"{TAG}action": "recalibrate_priors",
        f"{TAG}holdout": adaptation.holdout_kind,
    }
    profile = load_artifact_text(champion_run_id, "reference/profile.json", tracking_uri)
    with mlflow.start_run(run_name=f"{batch_id}-recalibrate_priors", tags=tags) as run:
        mlflow.log_params(
            {
                "strategy": "recalibrate_priors",
                "prior_method": estimate.method,
                "classes": json.dumps(list(estimate.classes)),
                "reference_priors": json.dumps([round(p, 6) for p in estimate.reference_priors]),
                "estimated_priors": json.dumps([round(p, 6) for p in estimate.priors]),
                "champion_run_id": champion_run_id,
                **{
                    f"spec_{k}": v
                    for k, v in spec.to_dict().items()
                    if k in ("task", "target", "estimator")
                },
            }
        )
        mlflow.log_metrics(
            {
                **{f"prior_{c}": p for c, p in zip(estimate.classes, estimate.priors, strict=True)},
                "prior_total_variation": estimate.total_variation,
                "rows_current": float(estimate.n_current),
                "rows_reference_holdout": float(estimate.n_reference),
                **holdout_metrics,
            }
        )
        texts = {
            "spec.json": json.dumps(spec.to_dict(), indent=2),
            "adapt/report.json": json.dumps(adaptation.to_dict(), indent=2, default=str),
            **report_texts(decision, drift_report, None, validation_report),
            "reference/profile.json": profile,
        }
        log_texts(texts, holdout)
        with tempfile.TemporaryDirectory(prefix="driftline-adapt-") as tmp:
            base_dir = Path(tmp, "base_model")
            mlflow.sklearn.save_model(
                model.base,
                str(base_dir),
                serialization_format="skops",
                skops_trusted_types=skops_trusted_types(model.base),
                pip_requirements=pip_requirements(),
            )
            correction = Path(tmp, "correction.json")
            correction.write_text(json.dumps(model.correction.to_dict()), encoding="utf-8")
            example = example[list(spec.features)].head(5)
            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=PriorCorrectedModel(),
                artifacts={"base_model": str(base_dir), "correction": str(correction)},
                signature=infer_signature(example, model.predict(example)),
                input_example=example,
                pip_requirements=pip_requirements(),
            )
        return finish_run(
            run,
            exp,
            info,
            batch_id=batch_id,
            strategy="recalibrate_priors",
            parent_version=parent_version,
            trigger=trigger,
        )
