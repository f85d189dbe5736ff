"""The model registry: versions, the ``challenger`` / ``champion`` / ``previous_champion`` aliases.

Every trained model becomes a registered version tagged with ``batch_id``, ``strategy``,
``trigger`` and ``parent_version`` and gets the alias ``challenger``. :meth:`Registry.promote`
moves ``champion`` to it and ``previous_champion`` to the old champion;
:meth:`Registry.rollback` moves them back (or ``champion`` to a given version).

Safety and idempotency:

* :meth:`Registry.register` first looks the batch id up
  (``search_model_versions("name='<n>' and tags.batch_id='<b>'")``), so a retry creates
  no second version.
* A version is loaded and asked to predict (:meth:`Registry.verify`) before it gets any
  alias; :meth:`promote` and :meth:`rollback` verify their target again, then set
  ``previous_champion`` before ``champion``: if anything fails in between, ``champion``
  still names the old, complete model.
* Moving an alias to where it already points is skipped, so a repeated promotion moves
  nothing (:attr:`AliasMove.moved` is false).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from driftline.errors import ModelError, ServiceError, fail

CHAMPION = "champion"
CHALLENGER = "challenger"
PREVIOUS = "previous_champion"
TAG_KEYS = ("batch_id", "strategy", "trigger", "parent_version", "run_id")


@dataclass(frozen=True)
class AliasMove:
    """What a promotion or rollback did."""

    moved: bool
    champion: str | None
    previous: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "moved": self.moved,
            "champion": self.champion,
            "previous": self.previous,
            "reason": self.reason,
        }


def _quote(value: str) -> str:
    if "'" in value:
        raise ModelError(fail(f"value {value!r} contains a quote", "use ids without quotes"))
    return value


class Registry:
    """Registered versions and aliases of one model.

    Parameters
    ----------
    name : str
        Registered model name.
    tracking_uri : str or None
        MLflow tracking server (``None``: MLflow's current URI).
    """

    def __init__(self, name: str, tracking_uri: str | None = None) -> None:
        self.name = name
        self.tracking_uri = tracking_uri
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            from mlflow import MlflowClient

            self._client = MlflowClient(tracking_uri=self.tracking_uri)
        return self._client

    # ------------------------------------------------------------------ look-ups
    def find(self, batch_id: str) -> Any | None:
        """The version registered for ``batch_id`` (the oldest if several), or ``None``."""
        filt = f"name='{_quote(self.name)}' and tags.batch_id='{_quote(batch_id)}'"
        try:
            found = list(self.client.search_model_versions(filt))
        except Exception as exc:  # MlflowException, connection errors
            raise ServiceError(
                fail(
                    f"MLflow search for batch {batch_id} of {self.name} failed ({exc})",
                    f"check the tracking server at {self.tracking_uri}",
                )
            ) from exc
        found.sort(key=lambda v: int(v.version))
        return found[0] if found else None

    def versions(self) -> list[Any]:
        """All versions, oldest first."""
        from mlflow.exceptions import MlflowException

        try:
            found = list(self.client.search_model_versions(f"name='{_quote(self.name)}'"))
        except MlflowException as exc:
            self._raise_unless_missing(exc, "listing the versions")
            return []  # no such model yet
        return sorted(found, key=lambda v: int(v.version))

    def alias(self, alias: str) -> Any | None:
        """The version an alias points to, or ``None``."""
        version = self.aliases().get(alias)
        return None if version is None else self.client.get_model_version(self.name, version)

    def aliases(self) -> dict[str, str]:
        """``{alias: version}`` of the model (empty when it does not exist)."""
        from mlflow.exceptions import MlflowException

        try:
            model = self.client.get_registered_model(self.name)
        except MlflowException as exc:
            self._raise_unless_missing(exc, "reading the aliases")
            return {}  # no such model yet
        return {k: str(v) for k, v in (model.aliases or {}).items()}

    def _raise_unless_missing(self, exc: Exception, what: str) -> None:
        """Re-raise an MLflow error unless it says the model does not exist.

        An unreachable tracking server must not look like a model without versions or
        aliases (callers would then report "no champion" or bootstrap a second one).
        """
        if getattr(exc, "error_code", None) == "RESOURCE_DOES_NOT_EXIST":
            return
        raise ServiceError(
            fail(
                f"MLflow {what} of {self.name} failed ({exc})",
                f"check the tracking server at {self.tracking_uri}, then retry",
            )
        ) from exc

    def champion(self) -> Any | None:
        return self.alias(CHAMPION)

    # ------------------------------------------------------------------ register
    def register(
        self,
        model_uri: str,
        *,
        run_id: str,
        batch_id: str,
        strategy: str,
        trigger: str,
        parent_version: str | None,
        model_id: str | None = None,
        extra_tags: Mapping[str, str] | None = None,
    ) -> Any:
        """Register ``model_uri`` for ``batch_id`` once; return the (new or existing) version."""
        existing = self.find(batch_id)
        if existing is not None:
            return existing
        from mlflow.exceptions import MlflowException

        tags = {
            "batch_id": batch_id,
            "strategy": strategy,
            "trigger": trigger,
            "parent_version": parent_version or "none",
            "run_id": run_id,
            **dict(extra_tags or {}),
        }
        try:
            try:
                self.client.get_registered_model(self.name)
            except MlflowException:
                try:
                    self.client.create_registered_model(
                        self.name, description="Driftline continual-learning model"
                    )
                except MlflowException as exc:
                    # a retried request whose first attempt created it (connection reset)
                    if "RESOURCE_ALREADY_EXISTS" not in str(exc):
                        raise
            return self.client.create_model_version(
                self.name,
                model_uri,
                run_id=run_id,
                tags=tags,
                await_creation_for=60,
                model_id=model_id or None,
            )
        except MlflowException as exc:
            raise ModelError(
                fail(
                    f"registering batch {batch_id} (run {run_id}) as {self.name} failed ({exc})",
                    "the champion is unchanged; retry the training task",
                )
            ) from exc

    def load(self, version: str) -> Any:
        """Load a version as a scikit-learn(-like) model, from the registry only (see :func:`load_model`).

        ``version`` must be a registered version number: a path, a run or file URI or any
        other text is refused, so a model is never unpickled from a user-supplied location.
        """
        if not str(version).isdigit():
            raise ModelError(
                fail(
                    f"model version {version!r} of {self.name} is not a registry version number",
                    "pass a version number from the MLflow registry (models are loaded "
                    "only from the registry, never from a path)",
                )
            )
        return load_model(f"models:/{self.name}/{version}")

    def verify(self, version: str, example: pd.DataFrame | None = None) -> Any:
        """Load ``version`` and predict ``example``; raise :class:`ModelError` if it fails."""
        try:
            model = self.load(version)
            if example is not None and len(example):
                model.predict(example)
        except Exception as exc:
            raise ModelError(
                fail(
                    f"version {version} of {self.name} does not load or predict ({exc})",
                    "do not promote it; re-run the training task",
                )
            ) from exc
        return model

    def set_challenger(self, version: str) -> bool:
        """Point ``challenger`` at ``version``; return whether it moved."""
        return self._set(CHALLENGER, version)

    def _set(self, alias: str, version: str) -> bool:
        current = self.aliases().get(alias)
        if current == str(version):
            return False
        self.client.set_registered_model_alias(self.name, alias, str(version))
        return True

    # ------------------------------------------------------------------ promote / rollback
    def promote(
        self, version: str, *, verify: bool = True, example: pd.DataFrame | None = None
    ) -> AliasMove:
        """Make ``version`` the champion; the old champion becomes ``previous_champion``."""
        version = str(version)
        current = self.aliases()
        old = current.get(CHAMPION)
        if old == version:
            return AliasMove(
                False, version, current.get(PREVIOUS), f"version {version} is already champion"
            )
        if verify:
            self.verify(version, example)
        try:
            if old is not None:
                self._set(PREVIOUS, old)
            self._set(CHAMPION, version)
            if current.get(CHALLENGER) == version:
                self.client.delete_registered_model_alias(self.name, CHALLENGER)
        except Exception as exc:
            raise ModelError(
                fail(
                    f"moving champion of {self.name} from {old} to {version} failed ({exc})",
                    f"champion is {self.aliases().get(CHAMPION)}; retry the promotion",
                )
            ) from exc
        return AliasMove(True, version, old, f"champion {old} -> {version}")

    def rollback(
        self, to_version: str | None = None, *, example: pd.DataFrame | None = None
    ) -> AliasMove:
        """Move ``champion`` back to ``previous_champion`` (or to ``to_version``).

        The version rolled back from is tagged ``rolled_back=true`` and becomes
        ``previous_champion``; a repeated ``rollback()`` without ``to_version`` then
        does nothing (it never re-promotes a rolled-back version).
        """
        current = self.aliases()
        old = current.get(CHAMPION)
        target = str(to_version) if to_version is not None else current.get(PREVIOUS)
        if target is None:
            raise ModelError(
                fail(
                    f"{self.name} has no previous_champion to roll back to",
                    "pass the version to restore explicitly",
                )
            )
        if old == target:
            return AliasMove(
                False, old, current.get(PREVIOUS), f"version {old} is already champion"
            )
        if to_version is None and self._tag(target, "rolled_back") == "true":
            return AliasMove(
                False,
                old,
                target,
                f"version {target} was rolled back already; pass to_version to restore it",
            )
        self.verify(target, example)
        try:
            if old is not None:
                self.client.set_model_version_tag(self.name, old, "rolled_back", "true")
                self._set(PREVIOUS, old)
            if self._tag(target, "rolled_back") is not None:
                self.client.delete_model_version_tag(self.name, target, "rolled_back")
            self._set(CHAMPION, target)
        except Exception as exc:
            raise ModelError(
                fail(
                    f"rolling {self.name} back from {old} to {target} failed ({exc})",
                    f"champion is {self.aliases().get(CHAMPION)}; retry the rollback",
                )
            ) from exc
        return AliasMove(True, target, old, f"rolled back champion {old} -> {target}")

    def _tag(self, version: str, key: str) -> str | None:
        return (self.client.get_model_version(self.name, version).tags or {}).get(key)


def load_model(model_uri: str) -> Any:
    """A registered model: scikit-learn, or the estimator of a Driftline pyfunc.

    Only ``models:/`` URIs are accepted, so nothing is ever unpickled from a path.
    """
    if not str(model_uri).startswith("models:/"):
        raise ModelError(
            fail(
                f"{model_uri!r} is not a registry URI",
                "load models as models:/<name>/<version> or models:/<name>@<alias> "
                "(never from a path)",
            )
        )
    return _load_flavored(model_uri)


def _load_flavored(model_uri: str) -> Any:
    """A scikit-learn model, or the estimator of a Driftline pyfunc (label-free versions).

    Versions logged with the sklearn flavor load as they are; a pyfunc whose Python model
    has ``as_estimator()`` (:class:`driftline.adapt.pyfunc.PriorCorrectedModel`) loads as
    that estimator (``predict``, ``predict_proba``, ``classes_``).
    """
    import mlflow.pyfunc
    import mlflow.sklearn
    from mlflow.exceptions import MlflowException

    try:
        return mlflow.sklearn.load_model(model_uri)
    except MlflowException as exc:
        if "flavor" not in str(exc):
            raise
    wrapped = mlflow.pyfunc.load_model(model_uri).unwrap_python_model()
    if not hasattr(wrapped, "as_estimator"):
        raise ModelError(
            fail(
                f"{model_uri} is neither a scikit-learn model nor a Driftline pyfunc",
                "register models logged by Driftline only",
            )
        )
    return wrapped.as_estimator()


def promote(name: str, version: str, tracking_uri: str | None = None) -> AliasMove:
    """Make ``version`` of ``name`` the champion (see :meth:`Registry.promote`)."""
    return Registry(name, tracking_uri).promote(version)


def rollback(
    name: str, to_version: str | None = None, tracking_uri: str | None = None
) -> AliasMove:
    """Restore the previous champion of ``name`` (see :meth:`Registry.rollback`)."""
    return Registry(name, tracking_uri).rollback(to_version)
