"""URLs of the things a monitoring record points to: Airflow runs, MLflow runs and model
versions, Great Expectations Data Docs and the Driftline view itself.

>>> links = Links(airflow_url="http://127.0.0.1:8080", mlflow_url="http://127.0.0.1:5000",
...               model_name="elec")
>>> links.airflow_run("driftline_continual_training", "manual__2026-01-01T00:00:00+00:00")
'http://127.0.0.1:8080/dags/driftline_continual_training/runs/manual__2026-01-01T00%3A00%3A00%2B00%3A00'
>>> links.model_version("3")
'http://127.0.0.1:5000/#/models/elec/versions/3'
>>> links.data_docs("week-07", "/state/docs/week-07/index.html")
'http://127.0.0.1:8080/driftline/datadocs/week-07/index.html'
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

#: Where the plugin mounts the Driftline FastAPI app inside the Airflow api-server.
VIEW_PREFIX = "/driftline"


def _q(part: str) -> str:
    return quote(str(part), safe="")


@dataclass(frozen=True)
class Links:
    """Builds absolute (or same-origin, with ``airflow_url=""``) URLs.

    Parameters
    ----------
    airflow_url : str
        Base URL of the Airflow UI; ``""`` gives paths relative to the same origin.
    mlflow_url : str
        Base URL of the MLflow UI (the tracking server).
    model_name : str
        Registered model name.
    view_prefix : str
        Path of the Driftline app under ``airflow_url``.
    """

    airflow_url: str = ""
    mlflow_url: str = ""
    model_name: str = "driftline"
    view_prefix: str = VIEW_PREFIX

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Links:
        """From :class:`~driftline.settings.Settings` and ``AIRFLOW__API__BASE_URL``."""
        from driftline.settings import Settings

        env = os.environ if env is None else env
        s = Settings.from_env(env)
        airflow = env.get("AIRFLOW__API__BASE_URL") or f"http://127.0.0.1:{s.airflow_port}"
        return cls(airflow.rstrip("/"), s.mlflow_tracking_uri.rstrip("/"), s.model_name)

    def with_(self, **changes: Any) -> Links:
        """A copy with some fields changed."""
        return replace(self, **changes)

    def airflow_run(self, dag_id: str | None, run_id: str | None) -> str | None:
        """The Airflow UI page of a DAG run."""
        if not dag_id or not run_id:
            return None
        return f"{self.airflow_url}/dags/{_q(dag_id)}/runs/{_q(run_id)}"

    def mlflow_run(self, run_id: str | None) -> str | None:
        """The MLflow UI page of a run (MLflow redirects ``#/runs/<id>`` to its experiment)."""
        if not run_id or not self.mlflow_url:
            return None
        return f"{self.mlflow_url}/#/runs/{_q(run_id)}"

    def model_version(self, version: str | None) -> str | None:
        """The MLflow UI page of a registered model version."""
        if not version or not self.mlflow_url:
            return None
        return f"{self.mlflow_url}/#/models/{_q(self.model_name)}/versions/{_q(version)}"

    def view(self) -> str:
        """The Driftline dashboard."""
        return f"{self.airflow_url}{self.view_prefix}/"

    def data_docs(self, batch_id: str | None, location: str | None) -> str | None:
        """Data Docs of a batch: an ``http(s)`` location as is; a local file or an ``s3://``
        object through the Driftline app (which serves the folder of the recorded
        ``index.html``)."""
        if not location or not batch_id:
            return None
        if location.startswith(("http://", "https://")):
            return location
        name = location.rstrip("/").rsplit("/", 1)[-1] or "index.html"
        return f"{self.airflow_url}{self.view_prefix}/datadocs/{_q(batch_id)}/{_q(name)}"

    def for_record(self, record: Mapping[str, Any]) -> dict[str, str]:
        """All links of a batch, decision or alert record (keys with no URL are left out)."""
        candidates = {
            "airflow_run": self.airflow_run(record.get("dag_id"), record.get("run_id")),
            "mlflow_run": self.mlflow_run(record.get("mlflow_run_id")),
            "model_version": self.model_version(record.get("model_version")),
            "data_docs": self.data_docs(record.get("batch_id"), record.get("data_docs")),
        }
        return {k: v for k, v in candidates.items() if v}
