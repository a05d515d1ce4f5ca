"""Alerts to people: always logged, e-mailed over SMTP and/or posted to a webhook when configured.

Configuration (environment): ``SATUDATA_SMTP_HOST`` (+ ``SATUDATA_SMTP_PORT`` default 25,
``SATUDATA_SMTP_USER``/``SATUDATA_SMTP_PASSWORD``, ``SATUDATA_SMTP_STARTTLS=true``,
``SATUDATA_SMTP_FROM``) with ``SATUDATA_ALERT_EMAIL_TO`` (comma-separated), and
``SATUDATA_ALERT_WEBHOOK`` (receives a JSON POST ``{"judul", "isi", "sumber"}``). Delivery failures
are logged, never raised: an alert must not turn one failure into two.
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import urllib.request
from email.message import EmailMessage

log = logging.getLogger("satudata.notify")


def notify(subject: str, body: str, environ: dict[str, str] | None = None) -> list[str]:
    """Send an alert through every configured channel; returns the channels that accepted it."""
    env = os.environ if environ is None else environ
    log.warning("%s\n%s", subject, body)
    sent = ["log"]
    host, recipients = env.get("SATUDATA_SMTP_HOST"), env.get("SATUDATA_ALERT_EMAIL_TO")
    if host and recipients:
        msg = EmailMessage()
        msg["Subject"] = subject
        msg["From"] = env.get("SATUDATA_SMTP_FROM", "satudata@localhost")
        msg["To"] = recipients
        msg.set_content(body)
        try:
            with smtplib.SMTP(host, int(env.get("SATUDATA_SMTP_PORT", "25")), timeout=15) as smtp:
                if env.get("SATUDATA_SMTP_STARTTLS", "").lower() in ("1", "true", "yes"):
                    smtp.starttls()
                if env.get("SATUDATA_SMTP_USER"):
                    smtp.login(env["SATUDATA_SMTP_USER"], env.get("SATUDATA_SMTP_PASSWORD", ""))
                smtp.send_message(msg)
            sent.append("email")
        except (OSError, smtplib.SMTPException) as exc:
            log.error("gagal mengirim e-mail peringatan ke %s: %s", host, exc)
    webhook = env.get("SATUDATA_ALERT_WEBHOOK")
    if webhook:
        data = json.dumps({"judul": subject, "isi": body, "sumber": "satudata-baubau"}).encode()
        request = urllib.request.Request(webhook, data=data, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=15):
                pass
            sent.append("webhook")
        except OSError as exc:
            log.error("gagal mengirim webhook peringatan ke %s: %s", webhook, exc)
    return sent
