"""Monitoring: a SQL store of what the pipeline did per batch, alert rules and notifiers,
server-side charts and the FastAPI app behind the "Driftline" view of the Airflow UI.

The store is :class:`MonitoringStore` (``store``), a facade over one module each for the
database engine and schema upgrade (``engine``), the ``record_*`` writes (``writes``), the
queries (``reads``) and the alert ledger (``ledger``); ``values`` holds the checks and
conversions they share.

The library never imports Airflow: the plugin in ``plugins/driftline_plugin.py`` mounts
:func:`~driftline.monitoring.web.create_app` (import it from ``driftline.monitoring.web``;
it needs FastAPI) with Airflow's authentication injected.
"""

from driftline.monitoring.alert_types import SEVERITY_ORDER, Alert, AlertSeverity
from driftline.monitoring.alerts import (
    AlertRule,
    BatchFacts,
    DriftDetected,
    EstimatedPerformanceDrop,
    FailedRun,
    Finding,
    PerformanceBelowFloor,
    Promotion,
    QuarantinedBatch,
    Rollback,
    alert_floor,
    default_rules,
    evaluate_rules,
    rules_from_env,
)
from driftline.monitoring.charts import (
    drift_heatmap_svg,
    estimated_performance_svg,
    performance_svg,
)
from driftline.monitoring.links import Links
from driftline.monitoring.migrations import LATEST_VERSION, MIGRATIONS, Migration, migrate
from driftline.monitoring.notifiers import (
    Delivery,
    EmailNotifier,
    JsonLinesNotifier,
    Notifier,
    WebhookNotifier,
    notifiers_from_env,
)
from driftline.monitoring.schema import BATCH_STATUSES, ITERATIONS, MODEL_EVENT_KINDS
from driftline.monitoring.store import ENV_URL, MonitoringStore, default_url, record
from driftline.monitoring.summary import prediction_summary, upgrade_summary

__all__ = [
    "BATCH_STATUSES",
    "ENV_URL",
    "LATEST_VERSION",
    "ITERATIONS",
    "MIGRATIONS",
    "MODEL_EVENT_KINDS",
    "SEVERITY_ORDER",
    "Alert",
    "AlertRule",
    "AlertSeverity",
    "BatchFacts",
    "Delivery",
    "DriftDetected",
    "EmailNotifier",
    "EstimatedPerformanceDrop",
    "FailedRun",
    "Finding",
    "JsonLinesNotifier",
    "Links",
    "Migration",
    "MonitoringStore",
    "Notifier",
    "PerformanceBelowFloor",
    "Promotion",
    "QuarantinedBatch",
    "Rollback",
    "WebhookNotifier",
    "alert_floor",
    "default_rules",
    "default_url",
    "drift_heatmap_svg",
    "estimated_performance_svg",
    "evaluate_rules",
    "migrate",
    "notifiers_from_env",
    "performance_svg",
    "prediction_summary",
    "record",
    "rules_from_env",
    "upgrade_summary",
]
