"""The mechanism every training-side DAG step shares (training and label-free adaptation).

:func:`step`
    Context manager that re-raises a failure as a driftline error naming the batch, the
    current champion and the next step.
:func:`use_tracking`
    Point the MLflow client at the settings' tracking server.
:func:`model_spec_of`
    The :class:`~driftline.training.ModelSpec` logged with a registered version's run.
:func:`verify_and_mark`
    Load a registered version, predict a few hold-out rows, give it the ``challenger``
    alias.
:func:`earlier_attempt`
    The version an earlier attempt registered for a batch (its registration finished when
    it stopped before the ``challenger`` alias) and the champion: what makes a step
    idempotent for a batch id.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from driftline.errors import DriftlineError, ModelError, fail
from driftline.settings import Settings
from driftline.training.registry import CHALLENGER, CHAMPION, Registry
from driftline.training.spec import ModelSpec
from driftline.training.tracking import load_artifact_text, load_holdout


@contextmanager
def step(batch_id: str, what: str, registry: Registry, todo: str) -> Iterator[None]:
    """Re-raise failures as driftline errors naming the batch, the champion and the next step.

    A :class:`~driftline.errors.DriftlineError` keeps its type and its next step, with
    ``batch <id>: <what>:`` and the champion added; any other exception becomes a
    :class:`~driftline.errors.ModelError` whose next step is ``todo``.
    """
    try:
        yield
    except Exception as exc:
        try:
            champion = registry.aliases().get(CHAMPION)
        except Exception:  # the registry itself may be what failed
            champion = "unknown"
        if isinstance(exc, DriftlineError):  # already says what to do: add where we are
            raise type(exc)(
                f"batch {batch_id}: {what}: {exc} (champion: version {champion})"
            ) from exc
        raise ModelError(
            fail(
                f"batch {batch_id}: {what} failed ({type(exc).__name__}: {exc})",
                f"the champion is still version {champion}; {todo}",
            )
        ) from exc


def use_tracking(settings: Settings) -> None:
    """Point the MLflow client of this process at ``settings.mlflow_tracking_uri``."""
    import mlflow

    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)


def model_spec_of(registry: Registry, version: Any) -> ModelSpec:
    """The :class:`ModelSpec` logged with a registered version's run."""
    run_id = (version.tags or {}).get("run_id") or version.run_id
    return ModelSpec.from_dict(
        json.loads(load_artifact_text(run_id, "spec.json", registry.tracking_uri))
    )


def verify_and_mark(registry: Registry, version: Any) -> None:
    """Load the version, predict its hold-out's first rows, then give it the challenger alias."""
    run_id = (version.tags or {}).get("run_id") or version.run_id
    holdout = load_holdout(run_id, registry.tracking_uri)
    spec = model_spec_of(registry, version)
    registry.verify(str(version.version), holdout[list(spec.features)].head(5))
    registry.set_challenger(str(version.version))


def earlier_attempt(batch_id: str, registry: Registry, task: str) -> tuple[Any, Any]:
    """``(version registered for batch_id or None, champion version or None)``.

    When an earlier attempt registered the version but stopped before giving it the
    ``challenger`` alias (no gate decision yet and the alias is older or missing), the
    registration is finished here; ``task`` names the step to retry if that fails.
    """
    with step(batch_id, "looking up earlier attempts", registry, "check MLflow and retry"):
        existing = registry.find(batch_id)
        champion = registry.champion()
    if existing is not None:
        challenger = registry.aliases().get(CHALLENGER)
        if "gate" not in (existing.tags or {}) and (
            challenger is None or int(challenger) < int(existing.version)
        ):
            with step(
                batch_id,
                f"finishing the registration of version {existing.version}",
                registry,
                f"retry {task}",
            ):
                verify_and_mark(registry, existing)
    return existing, champion
