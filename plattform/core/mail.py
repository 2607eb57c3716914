"""Sending e-mail: SMTP when MAIL_SERVER is set, else an outbox folder (the embedded default).

Domains build an EmailMessage with `build_message` and hand it to `send_message`; nothing else
talks to SMTP. Errors propagate so that Celery tasks can retry with backoff.
"""

from __future__ import annotations

import smtplib
import uuid
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app

from plattform.core.text import one_line


def build_message(
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """A UTF-8 message with a plain-text part and, if given, an HTML alternative."""
    # The default policy folds at 78 characters and would turn a long header without spaces (an
    # unsubscribe URL) into an RFC 2047 encoded-word that mail clients do not decode; RFC 5322
    # allows lines of 998 characters.
    msg = EmailMessage(policy=policy.default.clone(max_line_length=998))
    msg["From"] = current_app.config["MAIL_SENDER"]
    msg["To"] = one_line(to)
    # Subjects carry names people typed: a line break there made the policy refuse the header and the
    # mail was lost (header injection itself was already blocked). One line, always.
    msg["Subject"] = one_line(subject)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain="kommunalmatch.local")
    for name, value in (headers or {}).items():
        msg[name] = one_line(value)
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg


def send_message(msg: EmailMessage) -> None:
    """Deliver one message by SMTP, or write it to the outbox when no server is configured."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        outbox = Path(config["MAIL_OUTBOX_DIR"])
        outbox.mkdir(parents=True, exist_ok=True)
        (outbox / f"{uuid.uuid4().hex}.eml").write_bytes(bytes(msg))
        return
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(msg)
