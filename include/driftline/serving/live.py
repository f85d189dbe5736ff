"""Drift checks on live traffic: the endpoint's sampled requests against the champion.

:func:`read_live` reads back the Parquet objects :class:`~driftline.serving.LiveSampler`
wrote under ``s3://<reports>/live/<model>/``; :func:`check_live_drift` tests them against
the reference profile of the model version that served them with the same
:class:`~driftline.drift.DatasetDrift` check as a landed batch (covariate shift per
feature, prediction shift on the logged class probabilities; there are no labels, so no
label or concept drift) and stores the report at
``s3://<reports>/drift/live/<model>/<stamp>.json`` (and ``.html``).
"""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from driftline.errors import DataError, ModelError, fail
from driftline.serving.sampler import live_prefix
from driftline.settings import Settings

log = logging.getLogger("driftline.serving")


def live_objects(settings: Settings, model_name: str | None = None) -> list[str]:
    """Keys of the live-traffic objects of a model, oldest first."""
    from driftline import s3 as s3mod

    prefix = live_prefix(model_name or settings.model_name)
    pages = (
        s3mod.client(settings)
        .get_paginator("list_objects_v2")
        .paginate(Bucket=settings.bucket_reports, Prefix=prefix)
    )
    objs = [o for page in pages for o in page.get("Contents", []) if o["Key"].endswith(".parquet")]
    return [o["Key"] for o in sorted(objs, key=lambda o: (o["LastModified"], o["Key"]))]


def read_live(
    settings: Settings,
    *,
    model_name: str | None = None,
    since: datetime | None = None,
    version: str | None = None,
) -> pd.DataFrame:
    """The sampled live rows (inputs, ``prediction``, ``proba_*``, ``model_version``, ...).

    ``since`` keeps rows received at or after it; ``version`` those of one model version.
    Returns an empty frame when nothing was logged.
    """
    from driftline import s3 as s3mod

    client = s3mod.client(settings)
    frames = []
    for key in live_objects(settings, model_name):
        if since is not None and f"date={since:%Y-%m-%d}" > key.split("/")[2]:
            continue  # the whole day partition is older
        body = client.get_object(Bucket=settings.bucket_reports, Key=key)["Body"].read()
        frames.append(pd.read_parquet(io.BytesIO(body)))
    if not frames:
        return pd.DataFrame()
    frame = pd.concat(frames, ignore_index=True)
    if since is not None:
        stamp = pd.Timestamp(since if since.tzinfo else since.replace(tzinfo=UTC))
        frame = frame[frame["received_at"] >= stamp]
    if version is not None:
        frame = frame[frame["model_version"].astype(str) == str(version)]
    return frame.reset_index(drop=True)


def check_live_drift(
    settings: Settings,
    *,
    since: datetime | None = None,
    alpha: float = 0.05,
    min_rows: int = 30,
) -> dict[str, Any]:
    """Drift of the live sample served by the current champion; the report goes to S3.

    Raises :class:`~driftline.errors.DataError` when fewer than ``min_rows`` live rows of
    the champion were logged.
    """
    from driftline.drift import DatasetDrift, ReferenceProfile, render_html
    from driftline.training.registry import Registry
    from driftline.training.tracking import load_artifact_text

    registry = Registry(settings.model_name, settings.mlflow_tracking_uri)
    champion = registry.champion()
    if champion is None:
        raise ModelError(
            fail(f"model {settings.model_name} has no champion", "run driftline_bootstrap first")
        )
    version = str(champion.version)
    frame = read_live(settings, since=since, version=version)
    if len(frame) < min_rows:
        raise DataError(
            fail(
                f"only {len(frame)} live rows of {settings.model_name} version {version} "
                f"were logged under s3://{settings.bucket_reports}/{live_prefix(settings.model_name)}",
                f"send more traffic or raise DRIFTLINE_SERVE_SAMPLE_FRACTION (need {min_rows})",
            )
        )
    run_id = (champion.tags or {}).get("run_id") or champion.run_id
    profile = ReferenceProfile.from_json(
        load_artifact_text(run_id, "reference/profile.json", settings.mlflow_tracking_uri)
    )
    proba_cols = [c for c in frame.columns if c.startswith("proba_")]
    predictions = frame[proba_cols].to_numpy(dtype=float) if proba_cols else None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    batch_id = f"live-{settings.model_name}-v{version}-{stamp}"
    inputs = frame.drop(
        columns=[
            c
            for c in frame.columns
            if c.startswith("proba_")
            or c in ("prediction", "model_version", "request_id", "received_at")
        ]
    )
    report = DatasetDrift(alpha=alpha).check(
        profile, inputs, target=None, predictions=predictions, batch_id=batch_id
    )
    from driftline import s3 as s3mod

    key = f"drift/live/{settings.model_name}/{stamp}"
    client = s3mod.client(settings)
    client.put_object(
        Bucket=settings.bucket_reports,
        Key=f"{key}.json",
        Body=report.to_json().encode(),
        ContentType="application/json",
    )
    client.put_object(
        Bucket=settings.bucket_reports,
        Key=f"{key}.html",
        Body=render_html(report).encode(),
        ContentType="text/html",
    )
    log.info("live traffic of version %s: %s", version, report.summary())
    return {
        "model_version": version,
        "rows": int(len(frame)),
        "first_received": str(frame["received_at"].min()),
        "last_received": str(frame["received_at"].max()),
        "is_drift": bool(report.is_drift),
        "kinds": list(report.kinds),
        "severity": report.severity,
        "drifted_columns": list(report.drifted_columns),
        "mean_prediction_share": _shares(frame["prediction"]),
        "report_uri": f"s3://{settings.bucket_reports}/{key}.json",
        "summary": report.summary(),
    }


def _shares(pred: pd.Series) -> dict[str, float]:
    counts = pred.astype(str).value_counts(normalize=True).sort_index()
    return {k: float(np.round(v, 6)) for k, v in counts.items()}
