"""Which model the endpoint serves: ``models:/<name>@<alias>``, followed without a restart.

:class:`ChampionResolver` looks the alias up in the MLflow registry every
``refresh_seconds`` (a daemon thread, :meth:`ChampionResolver.start`) and on demand
(:meth:`ChampionResolver.refresh`). When the alias points to another version it loads that
version as a pyfunc model *first* and then swaps one reference, so a request is always
answered by one complete :class:`ServedModel` (its version travels with the response)
and never waits for a load. A version that fails to load is logged and the previous one
keeps serving; the resolver retries it at the next refresh.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from driftline.errors import ConfigError, fail
from driftline.serving.payload import ColumnSchema, schema_of

log = logging.getLogger("driftline.serving")


@dataclass(frozen=True, eq=False)
class ServedModel:
    """One loaded registry version.

    Parameters
    ----------
    name, version : str
        Registered model name and version.
    pyfunc : Any
        The MLflow pyfunc model (predictions go through it).
    raw : Any
        The underlying estimator (for ``predict_proba`` and ``classes_``), or ``None``.
    schema : tuple of ColumnSchema
        Input columns of its signature.
    run_id : str or None
        MLflow run that logged it.
    loaded_at : float
        ``time.time()`` when it was loaded.
    """

    name: str
    version: str
    pyfunc: Any
    raw: Any
    schema: tuple[ColumnSchema, ...]
    run_id: str | None
    loaded_at: float

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"

    def describe(self) -> dict[str, Any]:
        """JSON-ready description (``GET /model``)."""
        classes = getattr(self.raw, "classes_", None)
        return {
            "name": self.name,
            "version": self.version,
            "uri": self.uri,
            "run_id": self.run_id,
            "loaded_at": self.loaded_at,
            "inputs": [c.to_dict() for c in self.schema],
            "classes": None if classes is None else [str(c) for c in classes],
        }


class ChampionResolver:
    """Follow a registry alias and keep its version loaded.

    Parameters
    ----------
    name : str
        Registered model name.
    tracking_uri : str or None
        MLflow tracking server.
    alias : str
        Alias to follow (default ``champion``).
    refresh_seconds : float
        Seconds between alias look-ups of the background thread.
    """

    def __init__(
        self,
        name: str,
        tracking_uri: str | None = None,
        *,
        alias: str = "champion",
        refresh_seconds: float = 5.0,
    ) -> None:
        self.name = name
        self.tracking_uri = tracking_uri
        self.alias = alias
        self.refresh_seconds = refresh_seconds
        self._current: ServedModel | None = None
        self._lock = threading.Lock()  # one load at a time
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None
        self.validate()

    def validate(self) -> None:
        if not self.name:
            raise ConfigError(fail("no model name to serve", "set DRIFTLINE_MODEL_NAME"))
        if not self.refresh_seconds > 0:
            raise ConfigError(
                fail(f"refresh_seconds={self.refresh_seconds!r}", "use a positive number")
            )

    @property
    def current(self) -> ServedModel | None:
        """The model answering requests now (``None`` before the first champion exists)."""
        return self._current

    def _client(self) -> Any:
        from mlflow import MlflowClient

        return MlflowClient(tracking_uri=self.tracking_uri)

    def refresh(self) -> ServedModel | None:
        """Look the alias up; load and swap in its version if it changed. Return the current model."""
        from mlflow.exceptions import MlflowException

        with self._lock:
            client = self._client()
            try:
                aliases = client.get_registered_model(self.name).aliases or {}
            except MlflowException as exc:
                self.last_error = f"model {self.name} is not registered yet ({exc.error_code})"
                return self._current
            except Exception as exc:  # registry unreachable: keep serving
                self.last_error = f"registry at {self.tracking_uri} unreachable ({exc})"
                log.warning("%s; still serving %s", self.last_error, self._describe_current())
                return self._current
            version = aliases.get(self.alias)
            if version is None:
                self.last_error = f"model {self.name} has no alias {self.alias!r} yet"
                return self._current
            version = str(version)
            if self._current is not None and self._current.version == version:
                return self._current
            try:
                model = self._load(client, version)
            except Exception as exc:  # noqa: BLE001 - a broken version must not stop serving
                self.last_error = f"loading {self.name} version {version} failed ({exc})"
                log.error(
                    "%s; still serving %s; next step: roll back or fix that version",
                    self.last_error,
                    self._describe_current(),
                )
                return self._current
            old = self._current
            self._current = model
            self.last_error = None
            log.info(
                "now serving %s version %s (%s@%s; was %s)",
                self.name,
                version,
                self.name,
                self.alias,
                "none" if old is None else old.version,
            )
            return model

    def _describe_current(self) -> str:
        cur = self._current
        return "nothing" if cur is None else f"version {cur.version}"

    def _load(self, client: Any, version: str) -> ServedModel:
        import mlflow.pyfunc

        pyfunc = mlflow.pyfunc.load_model(f"models:/{self.name}/{version}")
        try:
            raw = pyfunc.get_raw_model()
        except Exception:  # noqa: BLE001 - flavours without a raw model
            raw = None
        mv = client.get_model_version(self.name, version)
        return ServedModel(
            self.name,
            version,
            pyfunc,
            raw,
            schema_of(pyfunc),
            (mv.tags or {}).get("run_id") or mv.run_id,
            time.time(),
        )

    # ------------------------------------------------------------------ background
    def start(self) -> None:
        """Refresh now, then every ``refresh_seconds`` in a daemon thread."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self.refresh()
        self._thread = threading.Thread(
            target=self._loop, name="driftline-champion-resolver", daemon=True
        )
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.refresh_seconds):
            try:
                self.refresh()
            except Exception as exc:  # noqa: BLE001 - the loop must survive anything
                log.warning("alias refresh failed: %s", exc)

    def stop(self) -> None:
        """Stop the background thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
