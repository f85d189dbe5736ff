"""Where alerts go: a local JSON-lines file, a chat webhook, e-mail.

Every notifier is a small :class:`Notifier`: the public :meth:`Notifier.send` never raises
for a delivery problem, it returns a frozen :class:`Delivery` saying whether it worked; the
hook :meth:`Notifier._deliver` does the sending. :func:`notifiers_from_env` builds the
configured set; the local file ``<state_dir>/alerts.jsonl`` is always on, so the demo shows
what would have been sent.

=================================  ===============================================  ==================
Environment variable               Meaning                                          Default
=================================  ===============================================  ==================
``DRIFTLINE_ALERT_WEBHOOK_URL``    POST ``{"text": ...}`` there (Slack-compatible)  (off)
``DRIFTLINE_ALERT_EMAIL_TO``       comma-separated recipients                       (off)
``DRIFTLINE_ALERT_EMAIL_FROM``     sender address                                   ``driftline@localhost``
``DRIFTLINE_SMTP_HOST``            SMTP server                                      ``127.0.0.1``
``DRIFTLINE_SMTP_PORT``            SMTP port                                        ``25``
``DRIFTLINE_SMTP_USER``            SMTP login (with ``DRIFTLINE_SMTP_PASSWORD``)    (none)
``DRIFTLINE_SMTP_STARTTLS``        ``true`` to upgrade the connection               ``false``
=================================  ===============================================  ==================

>>> import json, tempfile, pathlib
>>> from driftline.monitoring.alert_types import Alert
>>> path = pathlib.Path(tempfile.mkdtemp()) / "alerts.jsonl"
>>> JsonLinesNotifier(path).send(Alert("failed_run", "b1", "critical", "run failed")).ok
True
>>> json.loads(path.read_text())["alert"]["dedup_key"]
'failed_run:b1'
"""

from __future__ import annotations

import json
import os
import smtplib
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import ClassVar

from driftline.errors import ConfigError, ServiceError, fail
from driftline.monitoring.alert_types import Alert


@dataclass(frozen=True)
class Delivery:
    """Outcome of sending one alert through one channel."""

    channel: str
    ok: bool
    detail: str = ""


class Notifier(ABC):
    """Base of every notifier: subclasses set ``channel`` and implement ``_deliver``."""

    channel: ClassVar[str]

    def send(self, alert: Alert) -> Delivery:
        """Deliver ``alert``; a failure is reported in the result, not raised."""
        try:
            detail = self._deliver(alert)
        except (OSError, smtplib.SMTPException, ServiceError, ValueError) as exc:
            return Delivery(self.channel, False, f"{type(exc).__name__}: {exc}")
        return Delivery(self.channel, True, detail)

    @abstractmethod
    def _deliver(self, alert: Alert) -> str:
        """Send; return a short description of what was done; raise on failure."""


class JsonLinesNotifier(Notifier):
    """Append each alert as one JSON line to a local file ("what would have been sent").

    Parameters
    ----------
    path : path
        The ``.jsonl`` file (created with its folder).
    """

    channel = "jsonl"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def _deliver(self, alert: Alert) -> str:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = {
            "sent_at": datetime.now(UTC).isoformat(),
            "text": alert.text(),
            "alert": alert.to_dict(),
        }
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(line) + "\n")
        return str(self.path)


class WebhookNotifier(Notifier):
    """POST ``{"text": alert.text()}`` as JSON (Slack, Mattermost, Rocket.Chat, ...).

    Parameters
    ----------
    url : str
        The incoming-webhook URL.
    timeout : float
        Seconds to wait for the server.
    include_alert : bool
        Also send the structured alert under ``"alert"`` (for generic receivers).
    """

    channel = "webhook"

    def __init__(self, url: str, timeout: float = 10.0, include_alert: bool = False) -> None:
        self.url = url
        self.timeout = timeout
        self.include_alert = include_alert

    def _deliver(self, alert: Alert) -> str:
        if not self.url.startswith(("http://", "https://")):
            raise ConfigError(
                fail(f"webhook URL {self.url!r} is not http(s)", "set DRIFTLINE_ALERT_WEBHOOK_URL")
            )
        payload: dict[str, object] = {"text": alert.text()}
        if self.include_alert:
            payload["alert"] = alert.to_dict()
        req = urllib.request.Request(
            self.url,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 - configured URL
                status = resp.status
        except urllib.error.HTTPError as exc:
            raise ServiceError(
                fail(f"webhook answered HTTP {exc.code}", "check the webhook URL")
            ) from exc
        return f"HTTP {status}"


class EmailNotifier(Notifier):
    """Send each alert as a plain-text e-mail through SMTP.

    Parameters
    ----------
    to : str or sequence of str
        Recipients (a string may list several, comma-separated).
    sender : str
        ``From`` address.
    host, port : str, int
        SMTP server.
    username, password : str, optional
        Login, when the server needs one.
    starttls : bool
        Upgrade the connection with STARTTLS before logging in.
    timeout : float
        Seconds to wait for the server.
    """

    channel = "email"

    def __init__(
        self,
        to: str | Sequence[str],
        sender: str = "driftline@localhost",
        host: str = "127.0.0.1",
        port: int = 25,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self.to = to
        self.sender = sender
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.starttls = starttls
        self.timeout = timeout

    def _deliver(self, alert: Alert) -> str:
        to = self.to.split(",") if isinstance(self.to, str) else self.to
        recipients = [a.strip() for a in to if a.strip()]
        if not recipients:
            raise ConfigError(
                fail("e-mail notifier has no recipient", "set DRIFTLINE_ALERT_EMAIL_TO")
            )
        msg = EmailMessage()
        msg["Subject"] = (
            f"[Driftline] {alert.severity.upper()} {alert.rule}: batch {alert.batch_id}"
        )
        msg["From"] = self.sender
        msg["To"] = ", ".join(recipients)
        msg.set_content(alert.text())
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(msg)
        return f"{len(recipients)} recipient(s)"


def notifiers_from_env(env: Mapping[str, str] | None = None) -> list[Notifier]:
    """The local JSON-lines sink plus the webhook and e-mail notifiers that are configured."""
    from driftline.settings import Settings

    env = os.environ if env is None else env
    out: list[Notifier] = [JsonLinesNotifier(Settings.from_env(env).state_dir / "alerts.jsonl")]
    if env.get("DRIFTLINE_ALERT_WEBHOOK_URL"):
        out.append(WebhookNotifier(env["DRIFTLINE_ALERT_WEBHOOK_URL"]))
    if env.get("DRIFTLINE_ALERT_EMAIL_TO"):
        port = env.get("DRIFTLINE_SMTP_PORT") or "25"
        if not port.isdigit():
            raise ConfigError(fail(f"DRIFTLINE_SMTP_PORT={port!r} is not a port", "set a number"))
        out.append(
            EmailNotifier(
                to=env["DRIFTLINE_ALERT_EMAIL_TO"].split(","),
                sender=env.get("DRIFTLINE_ALERT_EMAIL_FROM") or "driftline@localhost",
                host=env.get("DRIFTLINE_SMTP_HOST") or "127.0.0.1",
                port=int(port),
                username=env.get("DRIFTLINE_SMTP_USER") or None,
                password=env.get("DRIFTLINE_SMTP_PASSWORD") or None,
                starttls=(env.get("DRIFTLINE_SMTP_STARTTLS") or "").lower() in ("1", "true", "yes"),
            )
        )
    return out
