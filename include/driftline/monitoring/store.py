"""The monitoring store: what the pipeline did to every batch, in a SQL database.

:class:`MonitoringStore` wraps a SQLAlchemy engine (SQLite by default, PostgreSQL when
``DRIFTLINE_MONITORING_DB_URL`` says so). DAG tasks call one ``record_*`` method per event;
the Driftline view, the JSON API and the alert rules call the query methods. Every write is
idempotent per its natural key (a batch, a batch and a column, a batch and a metric, ...),
so a retried Airflow task overwrites its own rows. The schema is created or upgraded on
first use (:mod:`driftline.monitoring.migrations`).

Query methods return JSON-ready ``dict`` rows (datetimes as timezone-aware ``datetime``);
``last=N`` keeps the N most recent batches, always returned oldest first.

>>> store = MonitoringStore("sqlite://")
>>> store.record_validation("b1", {"passed": True, "n_rows": 500}, dag_id="d", run_id="r1")
'validated'
>>> store.record_drift("b1", {"is_drift": True, "kinds": ["covariate"], "severity": "severe",
...     "max_effect": 0.4, "columns": [{"column": "x", "effect_size": 0.4, "p_value": 1e-9,
...     "p_value_corrected": 2e-9, "drifted": True}]})
1
>>> store.record_decision("b1", "full_retrain", reasons=["x drifted"], severity="severe")
>>> store.record_performance("b1", "3", {"accuracy": 0.81, "f1": 0.78})
>>> [(b["batch_id"], b["status"], b["rows"]) for b in store.batches()]
[('b1', 'validated', 500)]
>>> store.decisions()[0]["action"], store.drift(column="x")[0]["effect_size"]
('full_retrain', 0.4)
>>> store.record_estimated_performance("b2", "3", [{"metric": "accuracy", "value": 0.74,
...     "low": 0.70, "high": 0.78, "n": 400, "method": "cbpe", "reference_value": 0.85}])
1
>>> store.estimated_performance()[0]["realized"] is None    # no labels yet
True
>>> store.record_performance("b2", "3", {"accuracy": 0.72})  # they arrive
>>> [(r["value"], r["realized"]) for r in store.estimated_performance()]
[(0.74, 0.72)]
"""

from __future__ import annotations

from typing import Any

from driftline.errors import ConfigError, fail
from driftline.monitoring.engine import ENV_URL, default_url
from driftline.monitoring.ledger import AlertLedger
from driftline.monitoring.migrations import LATEST_VERSION
from driftline.monitoring.reads import StoreReads
from driftline.monitoring.writes import StoreWrites


class MonitoringStore(StoreWrites, StoreReads, AlertLedger):
    """Read and write the monitoring database.

    The methods come from one module each: the engine and schema
    (:mod:`~driftline.monitoring.engine`), the ``record_*`` writes
    (:mod:`~driftline.monitoring.writes`), the queries (:mod:`~driftline.monitoring.reads`)
    and the alert ledger (:mod:`~driftline.monitoring.ledger`).

    Parameters
    ----------
    url : str
        SQLAlchemy URL, e.g. ``sqlite:////abs/path/monitoring.db`` or
        ``postgresql+psycopg://user@host:5432/db``. ``sqlite://`` is an in-memory database.
    """


_STORES: dict[str, MonitoringStore] = {}


def record(method: str, *args: Any, url: str | None = None, **kwargs: Any) -> Any:
    """Call ``MonitoringStore.<method>(*args, **kwargs)`` on the store at ``url`` (default
    :func:`default_url`), kept open per process: one call per pipeline event.

    >>> record("record_batch", "b1", "validated", url="sqlite://")
    >>> record("batch", "b1", url="sqlite://")["status"]
    'validated'
    """
    target = getattr(MonitoringStore, method, None)
    if method.startswith("_") or not callable(target):
        raise ConfigError(
            fail(f"{method!r} is not a MonitoringStore method", "use e.g. record_drift")
        )
    url = url or default_url()
    if url not in _STORES:
        _STORES[url] = MonitoringStore(url)
    return getattr(_STORES[url], method)(*args, **kwargs)


__all__ = ["ENV_URL", "LATEST_VERSION", "MonitoringStore", "default_url", "record"]
