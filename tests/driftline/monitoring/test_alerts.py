"""Alert rules on monitoring facts; send_batch_alerts deduplicates per batch and rule."""

from __future__ import annotations

import pytest

from driftline.alerting import send_batch_alerts
from driftline.errors import ConfigError, ServiceError
from driftline.monitoring import (
    Alert,
    BatchFacts,
    Delivery,
    DriftDetected,
    FailedRun,
    Links,
    MonitoringStore,
    Notifier,
    PerformanceBelowFloor,
    Promotion,
    QuarantinedBatch,
    Rollback,
    default_rules,
    evaluate_rules,
    rules_from_env,
)

LINKS = Links("http://af", "http://ml", "m")


class Recorder(Notifier):
    channel = "memory"

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.sent: list[Alert] = []

    def _deliver(self, alert: Alert) -> str:
        if self.fail:
            raise OSError("down")
        self.sent.append(alert)
        return "ok"


@pytest.fixture
def store(tmp_path):
    st = MonitoringStore(f"sqlite:///{tmp_path / 'a.db'}")
    yield st
    st.dispose()


def _drift(is_drift: bool, severity: str) -> dict:
    return {
        "is_drift": is_drift,
        "severity": severity,
        "kinds": ["covariate"],
        "max_effect": 0.42,
        "report": {"drifted_columns": ["price"]},
    }


@pytest.mark.parametrize(
    ("rule", "fires", "quiet", "severity"),
    [
        (
            DriftDetected(),
            {"drift": _drift(True, "severe")},
            {"drift": _drift(False, "none")},
            "critical",
        ),
        (DriftDetected(), {"drift": _drift(True, "moderate")}, {}, "warning"),
        (
            PerformanceBelowFloor("accuracy", 0.7),
            {"performance": [{"metric": "accuracy", "value": 0.6, "model_version": "2"}]},
            {"performance": [{"metric": "accuracy", "value": 0.75, "model_version": "2"}]},
            "critical",
        ),
        (
            PerformanceBelowFloor("rmse", 1.0, higher_is_better=False),
            {"performance": [{"metric": "rmse", "value": 1.5, "model_version": "2"}]},
            {"performance": [{"metric": "rmse", "value": 0.5, "model_version": "2"}]},
            "critical",
        ),
        (
            QuarantinedBatch(),
            {"batch": {"status": "quarantined"}},
            {"batch": {"status": "validated"}},
            "warning",
        ),
        (
            FailedRun(),
            {"batch": {"status": "failed", "run_id": "r"}},
            {"batch": {"status": "processed"}},
            "critical",
        ),
        (
            Promotion(),
            {"events": [{"kind": "promotion", "model_version": "3"}]},
            {"events": [{"kind": "fine_tune"}]},
            "info",
        ),
        (
            Rollback(),
            {"events": [{"kind": "rollback", "model_version": "2"}]},
            {"events": [{"kind": "promotion"}]},
            "warning",
        ),
    ],
)
def test_each_rule_fires_only_on_its_condition(rule, fires, quiet, severity):
    alert = rule.evaluate(BatchFacts("b7", **fires), LINKS)
    assert alert is not None and alert.severity == severity
    assert alert.batch_id == "b7" and "b7" in alert.message
    assert alert.dedup_key == f"{rule.rule_name}:b7"
    assert alert.links["driftline"] == "http://af/driftline/"
    assert rule.evaluate(BatchFacts("b7", **quiet), LINKS) is None


def test_alert_links_point_to_the_run_and_the_model():
    facts = BatchFacts(
        "b1",
        batch={"dag_id": "d", "run_id": "r"},
        events=[
            {
                "kind": "promotion",
                "model_version": "4",
                "mlflow_run_id": "abc",
                "previous_version": "3",
            }
        ],
    )
    alert = Promotion().evaluate(facts, LINKS)
    assert alert.links["airflow_run"] == "http://af/dags/d/runs/r"
    assert alert.links["mlflow_run"] == "http://ml/#/runs/abc"
    assert alert.links["model_version"] == "http://ml/#/models/m/versions/4"
    assert "was v3" in alert.message
    text = alert.text()
    assert (
        text.splitlines()[0] == "[Driftline] INFO promotion: batch b1"
        and "http://ml/#/runs/abc" in text
    )


def test_rules_from_env_picks_the_metric_direction():
    names = [
        r.rule_name
        for r in rules_from_env({"DRIFTLINE_ALERT_METRIC": "f1", "DRIFTLINE_ALERT_FLOOR": "0.5"})
    ]
    assert names == [r.rule_name for r in default_rules("f1", 0.5)]
    assert "f1_below_floor" in names
    with pytest.raises(ConfigError):
        rules_from_env({"DRIFTLINE_ALERT_FLOOR": "high"})


def send(store, notifiers, batch_id="b1"):
    return send_batch_alerts(batch_id, store=store, notifiers=notifiers, links=LINKS)


def test_send_batch_alerts_sends_each_alert_once(store):
    store.record_batch("b1", "quarantined", message="price has inf")
    store.record_model_event("rollback", "2", batch_id="b1")
    rec = Recorder()
    assert send(store, [rec]) == 2
    assert sorted(a.rule for a in rec.sent) == ["quarantined_batch", "rollback"]
    assert send(store, [rec]) == 0  # the retry sends nothing
    assert len(rec.sent) == 2
    stored = {a["rule"]: a for a in store.alerts()}
    assert stored["rollback"]["channels"] == ["memory"]
    # a new rule firing later on the same batch is still sent
    store.record_batch("b1", "failed")
    assert send(store, [rec]) == 1 and rec.sent[-1].rule == "failed_run"


def test_a_failed_delivery_releases_the_claim(store):
    store.record_batch("b1", "failed")
    with pytest.raises(ServiceError, match="down"):
        send(store, [Recorder(fail=True)])
    assert store.alerts() == []
    rec = Recorder()
    assert send(store, [rec]) == 1 and [a.rule for a in rec.sent] == ["failed_run"]


def test_one_working_channel_is_enough(store):
    store.record_batch("b1", "failed")
    good = Recorder()
    assert send(store, [Recorder(fail=True), good]) == 1
    assert store.alerts()[0]["channels"] == ["memory"]


def test_send_batch_alerts_needs_a_notifier(store):
    with pytest.raises(ConfigError):
        send(store, [])


def test_a_failed_batch_is_recorded_before_the_rules_run(store):
    rec = Recorder()
    n = send_batch_alerts(
        "b2",
        failed=True,
        message="train failed",
        dag_id="dag",
        run_id="run-2",
        store=store,
        notifiers=[rec],
        links=LINKS,
    )
    assert n == 1 and rec.sent[0].rule == "failed_run" and "run-2" in rec.sent[0].message
    assert store.batch("b2")["status"] == "failed"


def test_facts_come_from_the_store(store):
    store.record_drift(
        "b1",
        {"is_drift": True, "severity": "moderate", "columns": [{"column": "x", "drifted": True}]},
    )
    store.record_performance("b1", "1", {"accuracy": 0.5})
    store.record_performance("b1", "2", {"accuracy": 0.9}, role="challenger")
    alerts = evaluate_rules(BatchFacts.load(store, "b1"), default_rules("accuracy", 0.7), LINKS)
    assert sorted(a.rule for a in alerts) == ["accuracy_below_floor", "drift_detected"]
    assert "v1" in next(a for a in alerts if a.rule == "accuracy_below_floor").message


def test_a_notifier_reports_failures_instead_of_raising():
    d = Recorder(fail=True).send(Alert("r", "b", "info", "m"))
    assert d == Delivery("memory", False, "OSError: down")
