"""Airflow plugin: the "Driftline" view in the Airflow 3 UI, behind Airflow's own login.

The api-server mounts the Driftline FastAPI app (:mod:`driftline.monitoring.web`) at
``/driftline`` and the UI gets a "Driftline" navigation entry (an ``external_views`` item
with a ``url_route``, so the page opens inside the Airflow UI at ``/plugin/driftline``).

Every route of the app requires an authenticated Airflow user: the JWT of the UI session
(the ``_token`` cookie set at login) or an ``Authorization: Bearer <JWT>`` header
(``POST /auth/token``), checked by Airflow's ``get_user`` and then authorised with the auth
manager's ``is_authorized_custom_view(GET, "Driftline")``. An unauthenticated browser is
redirected to the auth manager's login page.

The monitoring database is ``$DRIFTLINE_MONITORING_DB_URL`` (default
``sqlite:///<DRIFTLINE_STATE_DIR>/monitoring.db``); it is opened on the first request.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlparse

from airflow.plugins_manager import AirflowPlugin
from fastapi import HTTPException, Request, status

from driftline.monitoring.alerts import alert_floor
from driftline.monitoring.links import VIEW_PREFIX, Links
from driftline.monitoring.store import MonitoringStore
from driftline.monitoring.web import create_app
from driftline.settings import Settings

RESOURCE_NAME = "Driftline"


async def airflow_user(request: Request) -> Any:
    """FastAPI dependency: the Airflow user of the request, or 401/403."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.core_api.security import bearer_scheme, get_user

    credentials = await bearer_scheme(request)
    user = await get_user(request, None, credentials)
    allowed = get_auth_manager().is_authorized_custom_view(
        method="GET", resource_name=RESOURCE_NAME, user=user
    )
    if not allowed:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "not allowed to view Driftline")
    return user


def login_url(next_url: str) -> str:
    """The auth manager's login page, coming back to ``next_url``."""
    from airflow.api_fastapi.app import get_auth_manager

    return get_auth_manager().get_url_login(next_url=next_url)


def _links() -> Links:
    settings = Settings.from_env()
    base = os.environ.get("AIRFLOW__API__BASE_URL", "")
    return Links(
        airflow_url=urlparse(base).path.rstrip("/"),  # same origin as the UI
        mlflow_url=settings.mlflow_tracking_uri.rstrip("/"),
        model_name=settings.model_name,
    )


def read_s3(uri: str) -> bytes:
    """Bytes of an ``s3://`` object (Data Docs in the reports bucket)."""
    from driftline import s3

    bucket, key = s3.parse_uri(uri)
    client = s3.client(Settings.from_env())
    try:
        return client.get_object(Bucket=bucket, Key=key)["Body"].read()
    except client.exceptions.NoSuchKey:
        raise FileNotFoundError(uri) from None


app = create_app(
    MonitoringStore.from_env,
    auth=airflow_user,
    links=_links(),
    login_url=login_url,
    floor=alert_floor(),
    docs_reader=read_s3,
)


class DriftlinePlugin(AirflowPlugin):
    """The Driftline monitoring view and API."""

    name = "driftline"
    fastapi_apps = [{"app": app, "url_prefix": VIEW_PREFIX, "name": "Driftline"}]
    external_views = [
        {
            "name": "Driftline",
            "href": f"{VIEW_PREFIX}/",
            "url_route": "driftline",
            "destination": "nav",
            "nav_top_level": True,
            "icon": f"{VIEW_PREFIX}/icon.svg",
        }
    ]
