"""Batch inference with the champion: predictions, their S3 copy and monitoring statistics.

:func:`score_batch` resolves ``models:/<name>@champion`` to a concrete version *first* and
loads that version, so the version written next to every prediction is exactly the one
that produced it even if the alias moves meanwhile. The output frame has ``row`` (the
position in the batch), the kept id/timestamp columns, ``prediction``, one
``proba_<class>`` column per class (classification), ``model_version`` and ``batch_id``.
:func:`write_predictions` stores it at ``s3://<reports bucket>/predictions/<batch_id>.parquet``;
:func:`driftline.monitoring.prediction_summary` summarises it for monitoring
(``prediction_stats`` here is that same function, under the name earlier callers import).

>>> import pandas as pd
>>> preds = pd.DataFrame({"prediction": [0, 1, 1, 1], "proba_1": [0.2, 0.7, 0.9, 0.6]})
>>> prediction_stats(preds)["classes"]
{'0': 0.25, '1': 0.75}
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from driftline.errors import DataError, ModelError, ServiceError, fail
from driftline.monitoring.summary import prediction_summary
from driftline.training.registry import CHAMPION, Registry, load_model

#: The monitoring summary of a predictions frame: the same function as
#: :func:`driftline.monitoring.prediction_summary`, under the name earlier callers import.
prediction_stats = prediction_summary


@dataclass(frozen=True, eq=False)
class Scored:
    """Predictions of one batch and the model version that made them."""

    predictions: pd.DataFrame
    model_name: str
    model_version: str
    model_uri: str
    batch_id: str


def _resolve(model_uri: str, tracking_uri: str | None) -> tuple[str, str, str]:
    """``(name, version, concrete uri)`` of ``models:/name@alias`` or ``models:/name/version``."""
    if not model_uri.startswith("models:/"):
        raise ModelError(
            fail(
                f"model URI {model_uri!r}", "use models:/<name>@<alias> or models:/<name>/<version>"
            )
        )
    body = model_uri[len("models:/") :]
    if "@" in body:
        name, alias = body.split("@", 1)
        version = Registry(name, tracking_uri).aliases().get(alias)
        if version is None:
            raise ModelError(
                fail(
                    f"model {name} has no alias {alias!r}",
                    "run the bootstrap DAG to create a champion",
                )
            )
    else:
        name, _, version = body.partition("/")
        if not version.isdigit():
            raise ModelError(fail(f"model URI {model_uri!r}", "use models:/<name>/<version>"))
    return name, version, f"models:/{name}/{version}"


def score_batch(
    frame: pd.DataFrame,
    *,
    batch_id: str,
    model_uri: str | None = None,
    model_name: str | None = None,
    keep: Sequence[str] = (),
    tracking_uri: str | None = None,
    model: Any = None,
) -> Scored:
    """Score ``frame`` with ``model_uri`` (default ``models:/<model_name>@champion``).

    ``keep`` names input columns copied to the output (ids, timestamps). ``model`` may
    pass an already loaded model for ``model_uri`` (it must be a concrete version URI).
    """
    if model_uri is None:
        if not model_name:
            raise ModelError(fail("no model to score with", "pass model_uri or model_name"))
        model_uri = f"models:/{model_name}@{CHAMPION}"
    name, version, concrete = _resolve(model_uri, tracking_uri)
    if model is None:
        try:
            model = load_model(concrete)
        except Exception as exc:
            raise ModelError(
                fail(
                    f"batch {batch_id}: loading {concrete} failed ({exc})",
                    "check the registry; roll back if the champion is broken",
                )
            ) from exc
    missing = [c for c in keep if c not in frame.columns]
    if missing:
        raise DataError(fail(f"batch {batch_id} lacks column(s) {missing} to keep", "fix keep="))
    try:
        prediction = model.predict(frame)
        proba = model.predict_proba(frame) if hasattr(model, "predict_proba") else None
    except Exception as exc:
        raise DataError(
            fail(
                f"batch {batch_id}: model {name} v{version} cannot score it ({exc})",
                "validate the batch against the data contract",
            )
        ) from exc
    out = pd.DataFrame({"row": np.arange(len(frame))})
    for col in keep:
        out[col] = frame[col].to_numpy()
    out["prediction"] = prediction
    if proba is not None:
        for i, cls in enumerate(model.classes_):
            out[f"proba_{cls}"] = proba[:, i]
    out["model_version"] = str(version)
    out["batch_id"] = batch_id
    return Scored(out, name, str(version), concrete, batch_id)


def write_predictions(scored: Scored, settings: Any = None, s3: Any = None) -> str:
    """Write ``scored.predictions`` to ``s3://<reports>/predictions/<batch_id>.parquet``; return the URI."""
    from driftline import s3 as s3mod
    from driftline.reports import ReportKeys
    from driftline.settings import get_settings

    s = settings or get_settings()
    client = s3 or s3mod.client(s)
    key = ReportKeys(scored.batch_id).predictions
    buf = io.BytesIO()
    scored.predictions.to_parquet(buf, index=False)
    try:
        client.put_object(
            Bucket=s.bucket_reports,
            Key=key,
            Body=buf.getvalue(),
            Metadata={"model-version": scored.model_version, "model-name": scored.model_name},
        )
    except Exception as exc:
        raise ServiceError(
            fail(
                f"batch {scored.batch_id}: writing predictions to s3://{s.bucket_reports}/{key} failed ({exc})",
                "check S3 with 'make status' and retry",
            )
        ) from exc
    return f"s3://{s.bucket_reports}/{key}"
