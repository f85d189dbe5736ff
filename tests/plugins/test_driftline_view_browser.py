"""Browser test of the Driftline view in a running Airflow (headless Debian Chromium).

Starts an isolated ``airflow standalone`` (``driftline.stack``) whose plugin reads a seeded
monitoring database, logs in through the Airflow login form, opens the "Driftline"
navigation entry, checks that the heatmap, the performance chart and the estimated vs
realized performance chart render, then opens the
trigger form of the continual-training DAG (``driftline_smoke`` when that DAG is not
there), sets a Param, triggers, and sees the run in the UI. Screenshots go to
``test-artifacts/``. Needs ``/usr/bin/chromium`` (Debian package ``chromium``); no browser
is ever downloaded.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from driftline.alerting import send_batch_alerts
from driftline.monitoring import JsonLinesNotifier, Links, MonitoringStore
from tests.driftline.monitoring.seed import seed_estimates, seed_store

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
]
pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def airflow_ui(tmp_path_factory):
    """A running Airflow with the plugin and a seeded monitoring DB: (base URL, password, batch ids)."""
    from driftline.stack import Stack, load_or_create_credentials
    from tests.conftest import test_settings

    state = tmp_path_factory.mktemp("browser")
    db = state / "monitoring.db"
    store = MonitoringStore(f"sqlite:///{db}")
    ids = seed_store(store)
    seed_estimates(store, ids[-5:])  # scored before their labels arrived
    links = Links("http://127.0.0.1", "http://127.0.0.1:5000", "driftline")
    for batch_id in ids:
        send_batch_alerts(
            batch_id,
            store=store,
            notifiers=[JsonLinesNotifier(state / "alerts.jsonl")],
            links=links,
        )
    store.dispose()
    saved = os.environ.get("DRIFTLINE_MONITORING_DB_URL")
    os.environ["DRIFTLINE_MONITORING_DB_URL"] = f"sqlite:///{db}"  # Stack.env() copies os.environ
    settings = test_settings(state, DRIFTLINE_STARTUP_TIMEOUT="300")
    stack = Stack(settings, ["airflow"])
    try:
        stack.up(progress=lambda m: None)
        password = load_or_create_credentials(settings)["DRIFTLINE_AIRFLOW_ADMIN_PASSWORD"]
        yield f"http://127.0.0.1:{settings.airflow_port}", password, ids
    finally:
        stack.down(progress=lambda m: None)
        if saved is None:
            os.environ.pop("DRIFTLINE_MONITORING_DB_URL", None)
        else:
            os.environ["DRIFTLINE_MONITORING_DB_URL"] = saved


@pytest.fixture
def page(airflow_ui):
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install the Debian package 'chromium'")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        pg = context.new_page()
        pg.set_default_timeout(60_000)
        yield pg
        context.close()
        browser.close()


def _login(page, base: str, password: str) -> None:
    page.goto(base + "/")
    page.wait_for_url("**/auth/login**")
    page.locator("input[name=username]").fill("admin")
    page.locator("input[name=password]").fill(password)
    page.locator("button[type=submit]").click()
    page.wait_for_url(lambda url: "/auth/login" not in url)


def _wait_for_dag(page, base: str, dag_id: str, timeout: float = 180) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.request.get(f"{base}/api/v2/dags/{dag_id}").ok:
            return True
        time.sleep(2)
    return False


def test_view_renders_charts_for_seeded_data(airflow_ui, page, artifacts_dir):
    base, password, ids = airflow_ui
    # not logged in: the view itself refuses the browser and sends it to the login page
    page.goto(base + "/driftline/")
    assert "/auth/login" in page.url
    assert page.request.get(base + "/driftline/api/batches").status == 401

    _login(page, base, password)
    page.get_by_role("link", name="Driftline").first.click()
    page.wait_for_url("**/plugin/driftline")
    frame = page.frame_locator("iframe[title=Driftline]")
    heat = frame.locator("#heatmap svg.chart")
    perf = frame.locator("#performance svg.chart")
    est = frame.locator("#estimated svg.chart")
    heat.wait_for()
    perf.wait_for()
    est.wait_for()
    for chart in (heat, perf, est):
        box = chart.bounding_box()
        assert box is not None and box["width"] > 400 and box["height"] > 150, box
    heat_text = heat.text_content()
    assert ids[-1] in heat_text and "nswprice" in heat_text
    perf_text = perf.text_content()
    assert "accuracy" in perf_text and "promotion" in perf_text and "rollback" in perf_text
    est_text = est.text_content()
    assert "estimated accuracy" in est_text and "realized accuracy" in est_text
    assert "alert floor" in est_text and ids[-1] in est_text
    assert frame.locator("#timeline a", has_text="Airflow run").count() == len(ids)
    assert frame.locator("#alerts li").count() > 0
    page.screenshot(path=str(artifacts_dir / "driftline_view_in_airflow.png"))

    # the view on its own, whole page (the same session cookie authenticates it)
    page.goto(base + "/driftline/")
    page.locator("#heatmap svg.chart").wait_for()
    page.screenshot(path=str(artifacts_dir / "driftline_view_full.png"), full_page=True)
    assert page.request.get(base + "/driftline/api/batches").json()[-1]["batch_id"] == ids[-1]

    # a timeline link opens the Airflow run page of the batch
    href = page.locator("#timeline a", has_text="Airflow run").first.get_attribute("href")
    assert href.startswith("/dags/driftline_continual_training/runs/scheduled__")


def test_trigger_form_sets_a_param_and_the_run_appears(airflow_ui, page, artifacts_dir):
    base, password, _ = airflow_ui
    _login(page, base, password)
    assert _wait_for_dag(page, base, "driftline_smoke"), "driftline_smoke was never parsed"
    dag_id = (
        "driftline_continual_training"
        if _wait_for_dag(page, base, "driftline_continual_training", timeout=30)
        else "driftline_smoke"
    )
    before = {
        r["dag_run_id"]
        for r in page.request.get(f"{base}/api/v2/dags/{dag_id}/dagRuns").json()["dag_runs"]
    }

    page.goto(f"{base}/dags/{dag_id}")
    page.get_by_role("button", name="Trigger").first.click()
    dialog = page.get_by_role("dialog")
    if dag_id == "driftline_continual_training":
        dialog.locator("input[name=element_batch]").fill("week-12")
        combo = dialog.get_by_role("combobox").first
        combo.click()
        combo.fill("full_retrain")
        combo.press("Enter")
        assert dialog.locator("input[name=element_strategy]").input_value() == "full_retrain"
        param, value = "strategy", "full_retrain"
    else:
        dialog.locator("input[name=element_tag]").fill("browser-test")
        param, value = "tag", "browser-test"
    page.screenshot(path=str(artifacts_dir / "driftline_trigger_form.png"))
    dialog.get_by_test_id("trigger-dag-submit").click()

    deadline = time.monotonic() + 60
    new = []
    while time.monotonic() < deadline and not new:
        runs = page.request.get(f"{base}/api/v2/dags/{dag_id}/dagRuns").json()["dag_runs"]
        # only manual runs: the DAG's cron schedule may add a scheduled run meanwhile
        new = [r for r in runs if r["dag_run_id"] not in before and r["run_type"] == "manual"]
        time.sleep(1)
    assert len(new) == 1, new
    assert new[0]["conf"][param] == value
    # the run shows up in the UI
    page.goto(f"{base}/dags/{dag_id}/runs")
    page.get_by_text(new[0]["dag_run_id"]).first.wait_for()
    page.screenshot(path=str(artifacts_dir / "driftline_triggered_run.png"))
