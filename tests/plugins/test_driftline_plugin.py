"""The Airflow plugin: its declaration, and the real Airflow authentication in front of the
Driftline app inside Airflow's own api-server app (in process)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from driftline.monitoring import MonitoringStore
from tests.conftest import environ
from tests.driftline.monitoring.seed import seed_store

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"_test_{name}", PLUGINS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_plugin_declares_the_app_and_a_navigation_entry():
    from airflow.api_fastapi.app import RESERVED_URL_PREFIXES
    from airflow.api_fastapi.core_api.datamodels.plugins import ExternalViewResponse
    from airflow.plugins_manager import AirflowPlugin

    mod = _load("driftline_plugin")
    plugin = mod.DriftlinePlugin
    assert issubclass(plugin, AirflowPlugin) and plugin.name == "driftline"
    [app] = plugin.fastapi_apps
    assert app["url_prefix"] == "/driftline" and app["name"] == "Driftline"
    assert not any(app["url_prefix"].startswith(p) for p in RESERVED_URL_PREFIXES)
    [view] = plugin.external_views
    parsed = ExternalViewResponse.model_validate(view)
    assert (parsed.name, parsed.href, parsed.url_route, parsed.destination) == (
        "Driftline",
        "/driftline/",
        "driftline",
        "nav",
    )


def test_notifier_records_the_failure_and_writes_the_alert(tmp_path, monkeypatch):
    monkeypatch.setenv("DRIFTLINE_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("DRIFTLINE_MONITORING_DB_URL", f"sqlite:///{tmp_path / 'm.db'}")
    for var in ("DRIFTLINE_ALERT_WEBHOOK_URL", "DRIFTLINE_ALERT_EMAIL_TO"):
        monkeypatch.delenv(var, raising=False)
    mod = _load("driftline_notifiers")
    notifier = mod.DriftlineAlertNotifier(
        batch_id="{{ params.batch }}", mark_failed=True, message="train failed"
    )
    context = {
        "params": {"batch": "week-09"},
        "dag_run": SimpleNamespace(dag_id="dag", run_id="run-9"),
    }
    notifier(context)
    notifier(context)  # a second callback sends nothing new
    lines = [json.loads(x) for x in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    assert [x["alert"]["rule"] for x in lines] == ["failed_run"]
    assert "run-9" in lines[0]["text"] and "train failed" in lines[0]["text"]
    store = MonitoringStore.from_env()
    assert store.batch("week-09")["status"] == "failed"
    store.dispose()


@pytest.fixture(scope="module")
def airflow_client(airflow_db, tmp_path_factory):
    """Airflow's api-server app (SimpleAuthManager) with the plugin, on a seeded store."""

    state = tmp_path_factory.mktemp("plugin-auth")
    pw = state / "passwords.json"
    pw.write_text(json.dumps({"admin": "admin-pw"}))
    env = {
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(pw),
        "AIRFLOW__API_AUTH__JWT_SECRET": "driftline-test-" + "s" * 64,
        "DRIFTLINE_STATE_DIR": str(state),
        "DRIFTLINE_MONITORING_DB_URL": f"sqlite:///{state / 'monitoring.db'}",
    }
    with environ(env):
        store = MonitoringStore.from_env()
        ids = seed_store(store, n_batches=6)
        store.dispose()
        from airflow.api_fastapi.app import create_app
        from fastapi.testclient import TestClient

        yield TestClient(create_app()), ids


@pytest.mark.integration
@pytest.mark.slow
def test_airflow_auth_guards_the_driftline_app(airflow_client):
    client, ids = airflow_client
    assert client.get("/driftline/api/batches").status_code == 401
    assert client.get(
        "/driftline/api/batches", headers={"Authorization": "Bearer forged"}
    ).status_code in (401, 403)
    r = client.get("/driftline/", headers={"accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/auth/login")

    login = client.post("/auth/token", json={"username": "admin", "password": "admin-pw"})
    assert login.status_code == 201, login.text
    auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert [b["batch_id"] for b in client.get("/driftline/api/batches", headers=auth).json()] == ids
    page = client.get("/driftline/", headers=auth)
    assert page.status_code == 200 and "<svg" in page.text
    # the nav entry is published to the UI
    plugins = client.get("/api/v2/plugins", headers=auth).json()["plugins"]
    mine = next(p for p in plugins if p["name"] == "driftline")
    assert mine["external_views"][0]["url_route"] == "driftline"
    assert mine["fastapi_apps"][0]["url_prefix"] == "/driftline"
