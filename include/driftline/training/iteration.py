"""Model iteration versus data iteration: has the configured model spec changed?

Continual learning mostly iterates on *data*: the champion's :class:`ModelSpec` is kept
and the model is fine-tuned or retrained on new batches. A *model* iteration changes the
spec itself — other features, another estimator or other parameters. Driftline keeps the
configured spec at ``s3://<reports bucket>/specs/<model>.json`` (``driftline model-spec
set FILE``; no object means "keep the champion's spec"). Every training run records the
fingerprint of the spec it used (:func:`spec_fingerprint`, tag
``driftline.spec_fingerprint``). When the configured spec's fingerprint differs from the
champion's, :func:`plan_iteration` turns the next run into a ``model`` iteration: a full
retrain with the new spec on the current window, gated against the champion like any
other challenger and labelled ``driftline.iteration=model`` in MLflow (run tag and
version tag) and ``iteration="model"`` in the monitoring store.

>>> old = ModelSpec("classification", "y", numeric=("x",))
>>> new = ModelSpec("classification", "y", numeric=("x",), estimator="hgb")
>>> plan = plan_iteration(new, old)
>>> plan.kind, plan.changed
('model', ('estimator',))
>>> plan_iteration(None, old).kind
'data'
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from driftline.errors import ConfigError, fail
from driftline.settings import Settings
from driftline.training.spec import ModelSpec

#: The two kinds of iteration.
ITERATIONS = ("data", "model")


def spec_fingerprint(spec: ModelSpec) -> str:
    """16 hex digits of the SHA-256 of the spec's canonical JSON.

    >>> a = ModelSpec("regression", "y", numeric=("a",))
    >>> spec_fingerprint(a) == spec_fingerprint(ModelSpec.from_dict(a.to_dict()))
    True
    """
    text = json.dumps(spec.to_dict(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class IterationPlan:
    """What the next training run is.

    Parameters
    ----------
    kind : {"data", "model"}
        ``model`` when the configured spec differs from the champion's.
    spec : ModelSpec or None
        The spec to train with (``None``: the champion's).
    fingerprint, champion_fingerprint : str or None
        Fingerprints of the configured and the champion's spec.
    changed : tuple of str
        Spec fields that differ.
    reason : str
        One line for the decision's reasons.
    """

    kind: str
    spec: ModelSpec | None
    fingerprint: str | None
    champion_fingerprint: str | None
    changed: tuple[str, ...] = ()
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "spec": None if self.spec is None else self.spec.to_dict(),
            "fingerprint": self.fingerprint,
            "champion_fingerprint": self.champion_fingerprint,
            "changed": list(self.changed),
            "reason": self.reason,
        }


def plan_iteration(configured: ModelSpec | None, champion: ModelSpec | None) -> IterationPlan:
    """``model`` iteration when ``configured`` differs from the ``champion``'s spec."""
    champ_fp = None if champion is None else spec_fingerprint(champion)
    if configured is None:
        return IterationPlan("data", None, None, champ_fp, (), "no configured model spec")
    fp = spec_fingerprint(configured)
    if champion is None or fp == champ_fp:
        return IterationPlan("data", configured, fp, champ_fp, (), "model spec unchanged")
    a, b = champion.to_dict(), configured.to_dict()
    changed = tuple(k for k in b if a.get(k) != b.get(k))
    detail = ", ".join(f"{k}: {a.get(k)!r} -> {b.get(k)!r}" for k in changed)
    return IterationPlan(
        "model",
        configured,
        fp,
        champ_fp,
        changed,
        f"model iteration: the configured model spec {fp} differs from the champion's "
        f"{champ_fp} ({detail}); full retrain with the new spec, gated against the champion",
    )


def apply_plan(decision: dict[str, Any], plan: IterationPlan) -> dict[str, Any]:
    """The decision (``Decision.to_dict()``) with the iteration ``plan`` applied.

    A ``model`` plan turns the action into a ``full_retrain`` with the new spec, unless
    the decision is an override other than ``full_retrain``: the override wins and the
    model iteration waits for the next run.

    >>> plan = IterationPlan("model", None, "f2", "f1", ("estimator",), "model iteration")
    >>> apply_plan({"action": "fine_tune", "reasons": ["shift"]}, plan)["action"]
    'full_retrain'
    >>> apply_plan({"action": "none", "override_used": True, "reasons": []}, plan)["iteration"]
    'data'
    """
    out = {**decision, "iteration": plan.kind, "spec_fingerprint": plan.fingerprint}
    if plan.kind != "model":
        return out
    if out.get("override_used") and out.get("action") != "full_retrain":
        out["iteration"] = "data"
        out["reasons"] = [
            *out.get("reasons", []),
            f"{plan.reason} (deferred: the override {out.get('action')} wins)",
        ]
    else:
        out["reasons"] = [*out.get("reasons", []), plan.reason]
        out["action"] = "full_retrain"
    return out


def spec_key(settings: Settings) -> str:
    """Key of the configured model spec in the reports bucket."""
    return f"specs/{settings.model_name}.json"


def load_configured_spec(settings: Settings) -> ModelSpec | None:
    """The configured spec from S3, or ``None`` when none is configured."""
    from botocore.exceptions import ClientError

    from driftline import s3

    try:
        body = (
            s3.client(settings)
            .get_object(Bucket=settings.bucket_reports, Key=spec_key(settings))["Body"]
            .read()
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise
    try:
        return ModelSpec.from_dict(json.loads(body))
    except ValueError as exc:
        raise ConfigError(
            fail(
                f"s3://{settings.bucket_reports}/{spec_key(settings)} is not a valid model spec "
                f"({exc})",
                "fix it with 'driftline model-spec set FILE' or delete it",
            )
        ) from exc


def save_configured_spec(spec: ModelSpec, settings: Settings) -> str:
    """Store ``spec`` as the configured spec; return its URI."""
    from driftline import s3

    spec.validate()
    s3.client(settings).put_object(
        Bucket=settings.bucket_reports,
        Key=spec_key(settings),
        Body=json.dumps(spec.to_dict(), indent=2).encode(),
        ContentType="application/json",
    )
    return f"s3://{settings.bucket_reports}/{spec_key(settings)}"
