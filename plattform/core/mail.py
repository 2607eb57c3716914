"""Sending e-mail: SMTP when MAIL_SERVER is set, else an outbox folder (the embedded default).

Domains build an EmailMessage with `build_message` and hand it to `send_message`; nothing else
talks to SMTP. Every mail ends with the same sign-off (templates/mail/_signoff.*, `signoff_text`).
Errors propagate so that Celery tasks can retry with backoff.
"""

from __future__ import annotations

import smtplib
import uuid
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app, render_template

from plattform.core.text import one_line


def signoff_text() -> str:
    """The one sign-off of every mail, as plain text in the current language. Templates include
    templates/mail/_signoff.txt (or _signoff.html) themselves; mails built in code end with this."""
    return render_template("mail/_signoff.txt")


def signoff_html() -> str:
    """The sign-off as one HTML paragraph (templates/mail/_signoff.html)."""
    return render_template("mail/_signoff.html")


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


class MailNotDelivered(smtplib.SMTPException):
    """The server certainly did not accept the message: another attempt cannot make a duplicate.

    Raised when the connection failed, closed before the greeting, never answered, or the server
    answered with an error code before or after the message. `permanent` for 5xx answers.
    """

    def __init__(self, cause: BaseException):
        super().__init__(f"nicht zugestellt: {cause!r}")
        self.cause = cause
        code = getattr(cause, "smtp_code", None)
        refused = isinstance(cause, smtplib.SMTPRecipientsRefused)
        self.permanent = (isinstance(code, int) and code >= 500) or refused


class MailDeliveryUncertain(smtplib.SMTPException):
    """The message was transmitted but the server's answer never came: it may have been accepted."""

    def __init__(self, cause: BaseException):
        super().__init__(f"Zustellung ungewiss: {cause!r}")
        self.cause = cause


class _PhaseSMTP(smtplib.SMTP):
    """smtplib's client that notes when the server said 354 to DATA: from then on a lost connection
    means the message may have been accepted; before it, the message was certainly not."""

    message_transmitted = False
    _last_command = ""

    def putcmd(self, cmd, args=""):
        self._last_command = cmd.lower()
        super().putcmd(cmd, args)

    def getreply(self):
        code, text = super().getreply()
        if self._last_command == "data" and code == 354:
            self.message_transmitted = True
        return code, text


def send_message(msg: EmailMessage) -> None:
    """Deliver one message by SMTP, or write it to the outbox when no server is configured.

    Raises MailNotDelivered when the server certainly did not take the message (safe to retry) and
    MailDeliveryUncertain when the connection was lost after the message was sent (do not resend
    what must not arrive twice). Both are smtplib.SMTPException, hence OSError.
    """
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        outbox = Path(config["MAIL_OUTBOX_DIR"])
        outbox.mkdir(parents=True, exist_ok=True)
        (outbox / f"{uuid.uuid4().hex}.eml").write_bytes(bytes(msg))
        return
    smtp = _PhaseSMTP(timeout=float(config.get("MAIL_TIMEOUT", 30)))
    try:
        smtp.connect(config["MAIL_SERVER"], config["MAIL_PORT"])  # reads the greeting
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(msg)
    except smtplib.SMTPResponseException as exc:
        # The server answered with an error code (also after the message): it did not take it.
        raise MailNotDelivered(exc) from exc
    except (smtplib.SMTPException, OSError) as exc:
        # Closed before the greeting, no answer, refused: certainly not delivered, unless the
        # message had been transmitted and only the final answer is missing.
        if smtp.message_transmitted:
            raise MailDeliveryUncertain(exc) from exc
        raise MailNotDelivered(exc) from exc
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
