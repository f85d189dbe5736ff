"""The values alert rules produce and notifiers send: :class:`Alert` and its severities.

Its own module so that the rules (:mod:`driftline.monitoring.alerts`) and the channels
(:mod:`driftline.monitoring.notifiers`) both import it without importing each other.

>>> alert = Alert("failed_run", "b1", "critical", "run failed", {"airflow": "http://af/r"})
>>> alert.dedup_key
'failed_run:b1'
>>> print(alert.text())
[Driftline] CRITICAL failed_run: batch b1
run failed
airflow: http://af/r
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

AlertSeverity = Literal["info", "warning", "critical"]
SEVERITY_ORDER: tuple[AlertSeverity, ...] = ("info", "warning", "critical")


@dataclass(frozen=True)
class Alert:
    """One alert about one batch."""

    rule: str
    batch_id: str
    severity: AlertSeverity
    message: str
    links: Mapping[str, str] = field(default_factory=dict)

    @property
    def dedup_key(self) -> str:
        """At most one alert per (rule, batch)."""
        return f"{self.rule}:{self.batch_id}"

    def text(self) -> str:
        """Plain text for chat and e-mail: a title line, the message, one line per link."""
        lines = [
            f"[Driftline] {self.severity.upper()} {self.rule}: batch {self.batch_id}",
            self.message,
        ]
        lines += [f"{name.replace('_', ' ')}: {url}" for name, url in self.links.items()]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (with ``dedup_key``)."""
        return {**asdict(self), "links": dict(self.links), "dedup_key": self.dedup_key}
