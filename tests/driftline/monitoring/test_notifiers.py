"""Notifiers: the JSON-lines sink, a webhook against a local HTTP server, e-mail against a
minimal local SMTP server."""

from __future__ import annotations

import json
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from driftline.errors import ConfigError
from driftline.monitoring import (
    Alert,
    EmailNotifier,
    JsonLinesNotifier,
    WebhookNotifier,
    notifiers_from_env,
)

ALERT = Alert(
    "drift_detected",
    "week-07",
    "warning",
    "covariate drift in price",
    {"airflow_run": "http://af/r"},
)


@pytest.fixture
def http_server():
    received: list[dict] = []
    status = {"code": 200}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"body": json.loads(body), "type": self.headers["Content-Type"]})
            self.send_response(status["code"])
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received, status
    server.shutdown()
    server.server_close()


def test_jsonl_appends_one_line_per_alert(tmp_path):
    path = tmp_path / "sub" / "alerts.jsonl"
    sink = JsonLinesNotifier(path)
    assert sink.send(ALERT).ok and sink.send(ALERT).ok
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    assert len(lines) == 2
    assert lines[0]["alert"]["dedup_key"] == "drift_detected:week-07"
    assert lines[0]["text"] == ALERT.text()


def test_webhook_posts_slack_compatible_json(http_server):
    url, received, _ = http_server
    d = WebhookNotifier(url).send(ALERT)
    assert d.ok and d.detail == "HTTP 200"
    [msg] = received
    assert msg["type"] == "application/json"
    assert msg["body"] == {"text": ALERT.text()}
    WebhookNotifier(url, include_alert=True).send(ALERT)
    assert received[1]["body"]["alert"]["rule"] == "drift_detected"


def test_webhook_http_error_is_a_failed_delivery(http_server):
    url, _, status = http_server
    status["code"] = 500
    d = WebhookNotifier(url).send(ALERT)
    assert not d.ok and "500" in d.detail


def test_webhook_unreachable_or_bad_url_is_a_failed_delivery():
    assert not WebhookNotifier("http://127.0.0.1:9/hook", timeout=2).send(ALERT).ok
    assert "http(s)" in WebhookNotifier("file:///etc/passwd").send(ALERT).detail


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) to accept one message."""

    def handle(self):
        def say(line: str) -> None:
            self.wfile.write((line + "\r\n").encode())

        say("220 test ESMTP")
        data, in_data = [], False
        for raw in self.rfile:
            line = raw.decode().rstrip("\r\n")
            if in_data:
                if line == ".":
                    in_data = False
                    self.server.messages.append({"lines": data, **self.server.envelope})
                    say("250 OK")
                else:
                    data.append(line)
                continue
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                say("250 test")
            elif verb == "MAIL":
                self.server.envelope = {"from": line, "rcpt": []}
                say("250 OK")
            elif verb == "RCPT":
                self.server.envelope["rcpt"].append(line)
                say("250 OK")
            elif verb == "DATA":
                in_data = True
                say("354 go on")
            elif verb == "QUIT":
                say("221 bye")
                return
            else:
                say("250 OK")


def test_email_is_sent_through_smtp():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.messages = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        n = EmailNotifier(
            "ops@example.org, ml@example.org", port=server.server_address[1], timeout=5
        )
        d = n.send(ALERT)
    finally:
        server.shutdown()
        server.server_close()
    assert d.ok, d.detail
    [msg] = server.messages
    assert len(msg["rcpt"]) == 2
    body = "\n".join(msg["lines"])
    assert "Subject: [Driftline] WARNING drift_detected: batch week-07" in body
    assert "covariate drift in price" in body


def test_email_without_recipient_or_server_fails_cleanly():
    assert "recipient" in EmailNotifier([" "]).send(ALERT).detail
    assert not EmailNotifier(["a@b"], port=9, timeout=2).send(ALERT).ok


def test_notifiers_from_env(tmp_path):
    base = {"DRIFTLINE_STATE_DIR": str(tmp_path)}
    [sink] = notifiers_from_env(base)
    assert isinstance(sink, JsonLinesNotifier) and sink.path == tmp_path / "alerts.jsonl"
    all_three = notifiers_from_env(
        {
            **base,
            "DRIFTLINE_ALERT_WEBHOOK_URL": "http://h/x",
            "DRIFTLINE_ALERT_EMAIL_TO": "a@b",
            "DRIFTLINE_SMTP_PORT": "2525",
        }
    )
    assert [n.channel for n in all_three] == ["jsonl", "webhook", "email"]
    assert all_three[2].port == 2525
    with pytest.raises(ConfigError):
        notifiers_from_env(
            {**base, "DRIFTLINE_ALERT_EMAIL_TO": "a@b", "DRIFTLINE_SMTP_PORT": "smtp"}
        )
