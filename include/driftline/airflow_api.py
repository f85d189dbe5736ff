"""A small client for the Airflow 3 REST API (``/api/v2``), used by the demo and tests.

It talks HTTP only; it does not import Airflow.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from driftline.errors import ServiceError, fail

TERMINAL = {"success", "failed"}


class AirflowAPI:
    """Authenticated calls to an Airflow 3 api-server.

    Parameters
    ----------
    base_url : str
        For example ``http://127.0.0.1:8080``.
    username, password : str
        A user of the auth manager (SimpleAuthManager locally).
    """

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.username = username
        self.password = password
        self._token: str | None = None

    def _request(self, method: str, path: str, body: Any = None, auth: bool = True) -> Any:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self.token()}"
        req = urllib.request.Request(
            self.base_url + path, data=data, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - local URL
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:300]
            raise ServiceError(
                fail(
                    f"Airflow API {method} {path} answered {exc.code}: {detail}",
                    "check the request and 'make logs'",
                )
            ) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise ServiceError(
                fail(
                    f"Airflow API at {self.base_url} is unreachable ({exc})",
                    "run 'make up' or 'make status'",
                )
            ) from exc
        return json.loads(raw) if raw else None

    def token(self) -> str:
        """A JWT from ``POST /auth/token`` (cached)."""
        if self._token is None:
            out = self._request(
                "POST",
                "/auth/token",
                {"username": self.username, "password": self.password},
                auth=False,
            )
            self._token = out["access_token"]
        return self._token

    def get(self, path: str) -> Any:
        return self._request("GET", path)

    def patch(self, path: str, body: Any) -> Any:
        return self._request("PATCH", path, body)

    def wait_for_dag(self, dag_id: str, timeout: float = 180) -> dict[str, Any]:
        """Wait until the dag-processor has parsed ``dag_id``; unpause it; return it."""
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                dag = self.get(f"/api/v2/dags/{dag_id}")
                if dag.get("is_paused"):
                    self.patch(f"/api/v2/dags/{dag_id}", {"is_paused": False})
                return dag
            except ServiceError as exc:
                last = exc
                time.sleep(2)
        errors = self.get("/api/v2/importErrors").get("import_errors", [])
        raise ServiceError(
            fail(
                f"DAG {dag_id} did not appear within {timeout:.0f} s ({last}); import errors: {errors[:3]}",
                "check dags/ and the airflow log ('make logs')",
            )
        )

    def trigger(
        self, dag_id: str, conf: dict[str, Any] | None = None, run_id: str | None = None
    ) -> str:
        """Trigger a run now; return its run id."""
        body: dict[str, Any] = {"logical_date": None, "conf": conf or {}}
        if run_id:
            body["dag_run_id"] = run_id
        return self._request("POST", f"/api/v2/dags/{dag_id}/dagRuns", body)["dag_run_id"]

    def wait_for_run(
        self,
        dag_id: str,
        run_id: str,
        timeout: float = 600,
        progress: Callable[[str], None] | None = None,
    ) -> str:
        """Poll a run until it ends or the deadline passes; return its final state."""
        deadline = time.monotonic() + timeout
        state = "unknown"
        while time.monotonic() < deadline:
            try:
                state = self.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")["state"]
            except ServiceError as exc:
                if isinstance(exc.__cause__, urllib.error.HTTPError) or not isinstance(
                    exc.__cause__, OSError
                ):
                    raise
                time.sleep(2)  # a busy api-server timed out: poll again until the deadline
                continue
            if state in TERMINAL:
                return state
            if progress:
                tis = self.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances")
                done = sum(1 for t in tis["task_instances"] if t["state"] in ("success", "skipped"))
                progress(f"{dag_id} {run_id}: {state}, {done}/{tis['total_entries']} tasks done")
            time.sleep(2)
        raise ServiceError(
            fail(
                f"run {run_id} of {dag_id} still {state} after {timeout:.0f} s",
                "look at it in the Airflow UI; the scheduler may be stuck ('make logs')",
            )
        )

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str | None]:
        tis = self.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances")
        return {t["task_id"]: t["state"] for t in tis["task_instances"]}
