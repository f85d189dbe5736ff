"""The alert ledger: which alert was sent, once, to which channels.

:meth:`AlertLedger.claim_alert` inserts an alert row unless its deduplication key exists,
so two processes evaluating the same batch send it once; after a failed delivery
:meth:`~AlertLedger.release_alert` lets a retry send it again; :meth:`~AlertLedger.mark_alert_sent`
records the channels. :meth:`~AlertLedger.alerts` reads the ledger.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, select, update

from driftline.monitoring import schema as s
from driftline.monitoring.engine import StoreEngine
from driftline.monitoring.values import check_id, json_safe, plain_row, utc_now
from driftline.monitoring.writes import upsert


class AlertLedger(StoreEngine):
    """The alert rows of :class:`~driftline.monitoring.MonitoringStore`."""

    def claim_alert(
        self,
        dedup_key: str,
        *,
        rule: str,
        batch_id: str,
        severity: str,
        message: str,
        links: Mapping[str, str],
    ) -> bool:
        """Insert an alert row unless ``dedup_key`` exists; True when this call inserted it."""
        with self.engine.begin() as conn:
            inserted = upsert(
                conn,
                s.alert,
                {
                    "dedup_key": check_id("alert dedup key", dedup_key, 600),
                    "rule": rule,
                    "batch_id": batch_id,
                    "severity": severity,
                    "message": message,
                    "links": json_safe(dict(links)),
                    "created_at": utc_now(),
                    "channels": [],
                },
                ("dedup_key",),
                update_cols=(),
            )
        return inserted == 1

    def release_alert(self, dedup_key: str) -> None:
        """Forget a claimed alert (its delivery failed; a retry may send it again)."""
        with self.engine.begin() as conn:
            conn.execute(delete(s.alert).where(s.alert.c.dedup_key == dedup_key))

    def mark_alert_sent(self, dedup_key: str, channels: Sequence[str]) -> None:
        """Record the channels an alert was delivered to."""
        with self.engine.begin() as conn:
            conn.execute(
                update(s.alert)
                .where(s.alert.c.dedup_key == dedup_key)
                .values(channels=list(channels))
            )

    def alerts(self, last: int | None = None, batch_id: str | None = None) -> list[dict[str, Any]]:
        """Alerts sent, newest first."""
        q = select(s.alert)
        if batch_id is not None:
            q = q.where(s.alert.c.batch_id == batch_id)
        q = q.order_by(s.alert.c.created_at.desc(), s.alert.c.id.desc())
        if last is not None:
            q = q.limit(int(last))
        with self.engine.connect() as conn:
            return [
                {k: v for k, v in plain_row(r).items() if k != "id"}
                for r in conn.execute(q).mappings()
            ]
