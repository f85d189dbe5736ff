"""Rebuild a registered model version from its records and check its predictions.

:func:`reproduce` reads the version's ``reproducibility/record.json`` (written by
:func:`~driftline.training.tracking.log_training`), downloads every batch it names by URI,
checks each object's digest against the recorded one (a SHA-256 prefix, or for batches
read from the history their S3 ETag, i.e. the MD5 of a single-part upload; a missing or
changed batch is a :class:`~driftline.errors.DataError` naming it), fetches the batches
whose hold-out slices the gate pooled, splits the labelled rows into training rows and the
pooled hold-out exactly as training did (:func:`~driftline.training.evidence.gate_split`), refits with the recorded spec, strategy, window and threads (a
fine-tune starts again from the recorded parent version), and compares the rebuilt
model's predictions with the registered model's on the hold-out logged with the run:
labels (or values) must agree exactly and class probabilities within ``atol``.
:class:`Reproduction` reports the largest difference and whether the code version
(package, git commit, library versions) differs from the one recorded.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from driftline.errors import DataError, ModelError, fail
from driftline.settings import Settings, get_settings
from driftline.training.evidence import gate_split
from driftline.training.registry import Registry
from driftline.training.spec import ModelSpec
from driftline.training.strategies import FineTune, FullRetrain
from driftline.training.tracking import code_version, load_artifact_text, load_holdout
from driftline.training.window import Batch, Window, frame_digest, split_holdout


@dataclass(frozen=True)
class Reproduction:
    """Outcome of :func:`reproduce`."""

    model_version: str
    run_id: str
    matches: bool
    rows: int
    mismatched_predictions: int
    max_abs_diff: float
    atol: float
    batches: tuple[str, ...]
    holdout_identical: bool
    code_recorded: dict[str, Any] = field(default_factory=dict)
    code_now: dict[str, Any] = field(default_factory=dict)

    @property
    def code_changed(self) -> list[str]:
        """Which of package version, git commit and library versions differ from the record."""
        out = []
        for key in ("driftline", "git_commit"):
            if self.code_recorded.get(key) != self.code_now.get(key):
                out.append(key)
        old, new = self.code_recorded.get("packages", {}), self.code_now.get("packages", {})
        out += [f"packages.{k}" for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
        return out

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["batches"] = list(self.batches)
        d["code_changed"] = self.code_changed
        return d

    def describe(self) -> str:
        verdict = "MATCHES" if self.matches else "DOES NOT MATCH"
        lines = [
            f"version {self.model_version} (run {self.run_id}) rebuilt from "
            f"{len(self.batches)} batch(es) {list(self.batches)}: {verdict}",
            f"  hold-out rows        : {self.rows} (identical to the logged one: "
            f"{self.holdout_identical})",
            f"  differing predictions: {self.mismatched_predictions}",
            f"  max |difference|     : {self.max_abs_diff:.3g} (tolerance {self.atol:g})",
            f"  code then / now      : {self.code_recorded.get('driftline')} @ "
            f"{self.code_recorded.get('git_commit')} / {self.code_now.get('driftline')} @ "
            f"{self.code_now.get('git_commit')}",
        ]
        if self.code_changed:
            lines.append(f"  changed since training: {', '.join(self.code_changed)}")
        return "\n".join(lines)


def load_record(version: str, settings: Settings) -> tuple[Any, dict[str, Any]]:
    """``(model version, record)`` of a registered version."""
    registry = Registry(settings.model_name, settings.mlflow_tracking_uri)
    try:
        mv = registry.client.get_model_version(settings.model_name, str(version))
    except Exception as exc:
        raise ModelError(
            fail(
                f"model {settings.model_name} has no version {version} ({exc})",
                "list the versions in the MLflow UI",
            )
        ) from exc
    run_id = (mv.tags or {}).get("run_id") or mv.run_id
    try:
        text = load_artifact_text(
            run_id, "reproducibility/record.json", settings.mlflow_tracking_uri
        )
    except ModelError as exc:
        raise ModelError(
            fail(
                f"version {version} (run {run_id}) has no reproducibility record",
                "it was trained by an older driftline; retrain it to make it reproducible",
            )
        ) from exc
    return mv, json.loads(text)


def fetch_batch(entry: dict[str, Any], contract: Any, settings: Settings) -> Batch:
    """Download a recorded batch, verify its digest, read it as training did."""
    from driftline import s3
    from driftline.validation import read_batch

    uri, batch_id, digest = entry["uri"], entry["batch_id"], entry.get("digest") or ""
    if not str(uri).startswith("s3://"):
        raise DataError(
            fail(
                f"batch {batch_id} was trained from {uri!r}, not from an S3 object",
                "only models trained from batches in S3 can be rebuilt",
            )
        )
    from driftline.batches import CLAIMED, PROCESSED

    bucket, _, key = uri[len("s3://") :].partition("/")
    candidates = [key]
    if key.startswith(CLAIMED):  # trained while claimed, moved to processed/ when published
        candidates.append(PROCESSED + key[len(CLAIMED) :])
    client = s3.client(settings)
    body, errors = None, []
    for candidate in candidates:
        try:
            body = client.get_object(Bucket=bucket, Key=candidate)["Body"].read()
            key = candidate
            break
        except Exception as exc:  # noqa: BLE001 - try the next location, report all
            errors.append(f"s3://{bucket}/{candidate}: {exc}")
    if body is None:
        raise DataError(
            fail(
                f"batch {batch_id} is missing ({'; '.join(errors)})",
                "restore the object (from a backup or its producer) and run reproduce again",
            )
        )
    now = hashlib.sha256(body).hexdigest()
    # new batches are recorded by SHA-256 (prefix), history batches by their S3 ETag,
    # which for a single-part upload is the MD5 of the content
    md5 = hashlib.md5(body, usedforsecurity=False).hexdigest()
    if not digest or not (now.startswith(digest) or md5 == digest):
        raise DataError(
            fail(
                f"batch {batch_id} at {uri} changed since training: digest recorded "
                f"{digest or 'none'}, now {now[: max(len(digest), 16)]}",
                "the model cannot be rebuilt from altered data; restore the original object",
            )
        )
    with tempfile.TemporaryDirectory(prefix="driftline-reproduce-") as tmp:
        local = Path(tmp, Path(key).name)
        local.write_bytes(body)
        result = read_batch(local, contract, settings)
    if result.frame is None:
        raise DataError(
            fail(
                f"batch {batch_id} at {uri} is unreadable ({[str(p) for p in result.problems][:3]})",
                "check the object",
            )
        )
    return Batch(batch_id, result.frame, uri, digest)


def window_from(params: dict[str, Any]) -> Window:
    """The :class:`Window` a strategy logged as ``window_*`` parameters."""
    seconds = params.get("window_duration_seconds")
    return Window(
        kind=params.get("window_kind", "all"),
        n=params.get("window_n"),
        duration=None if seconds is None else timedelta(seconds=float(seconds)),
        time_column=params.get("window_time_column"),
        half_life=params.get("window_half_life"),
    )


def reproduce(
    version: str, settings: Settings | None = None, *, atol: float = 1e-9
) -> Reproduction:
    """Rebuild ``version`` from its record and compare predictions (module docstring)."""
    s = settings or get_settings()
    mv, record = load_record(str(version), s)
    run_id = (mv.tags or {}).get("run_id") or mv.run_id
    spec = ModelSpec.from_dict(record["spec"])
    config = record.get("config") or {}
    contract = None
    if config.get("contract"):
        from driftline.validation import DataContract

        contract = DataContract.from_dict(config["contract"])
    entries = record.get("batches") or []
    if not entries:
        raise ModelError(fail(f"version {version}: the record lists no batch", "retrain it"))
    evidence = config.get("evidence") or {}
    known = {e["batch_id"] for e in entries}
    entries = entries + [
        e for e in evidence.get("holdout_batches", []) if e["batch_id"] not in known
    ]
    order = {bid: i for i, bid in enumerate(evidence.get("order") or [])}
    if order:
        entries = sorted(entries, key=lambda e: order.get(e["batch_id"], -1))
    batches = [fetch_batch(e, contract, s) for e in entries]
    new = batches[-1]
    if new.batch_id != record["batch_id"]:
        raise ModelError(
            fail(
                f"version {version}: the newest recorded batch is {new.batch_id}, "
                f"not the run's batch {record['batch_id']}",
                "the record is inconsistent; retrain the model",
            )
        )
    fraction = float(config.get("holdout_fraction", 0.2))
    if evidence:
        split = gate_split(
            batches,
            target=spec.target,
            fraction=fraction,
            batches=int(evidence.get("gate_batches", 1)),
            time_column=spec.timestamp,
            since=evidence.get("since"),
        )
        batches, holdout = split.train, split.holdout
    else:  # records written before the pooled hold-out: the newest batch's slice only
        train_part, holdout = split_holdout(new.frame, fraction, spec.timestamp)
        batches[-1] = Batch(new.batch_id, train_part, new.source, new.digest)
    params = record.get("strategy_params") or {}
    threads = config.get("threads")
    if record["strategy"] == "fine_tune":
        parent = record.get("parent_version")
        if not parent:
            raise ModelError(fail(f"version {version}: fine-tune without parent", "retrain it"))
        registry = Registry(s.model_name, s.mlflow_tracking_uri)
        champion = registry.load(str(parent))
        strategy: Any = FineTune(window_from(params), int(params.get("epochs", 10)), threads)
        result = strategy.train(spec, batches, champion=champion)
    else:
        result = FullRetrain(window_from(params), threads).train(spec, batches)
    logged_holdout = load_holdout(run_id, s.mlflow_tracking_uri)
    holdout_identical = len(holdout) == len(logged_holdout) and frame_digest(
        holdout.reset_index(drop=True)
    ) == frame_digest(logged_holdout.reset_index(drop=True))
    registry = Registry(s.model_name, s.mlflow_tracking_uri)
    logged = registry.load(str(version))
    X = logged_holdout[list(spec.features)]
    old, new_pred = np.asarray(logged.predict(X)), np.asarray(result.model.predict(X))
    if spec.task == "classification":
        mismatched = int((old != new_pred).sum())
        diff = 0.0
        if hasattr(logged, "predict_proba") and hasattr(result.model, "predict_proba"):
            diff = float(np.max(np.abs(logged.predict_proba(X) - result.model.predict_proba(X))))
    else:
        delta = np.abs(old.astype(float) - new_pred.astype(float))
        diff = float(delta.max()) if len(delta) else 0.0
        mismatched = int((delta > atol).sum())
    return Reproduction(
        model_version=str(version),
        run_id=run_id,
        matches=mismatched == 0 and diff <= atol,
        rows=len(X),
        mismatched_predictions=mismatched,
        max_abs_diff=diff,
        atol=atol,
        batches=tuple(b.batch_id for b in batches),
        holdout_identical=holdout_identical,
        code_recorded=dict(record.get("code") or {}),
        code_now=code_version(),
    )
