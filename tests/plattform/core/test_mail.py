"""Mail: the embedded default writes to the outbox; with a server configured, SMTP is spoken."""

from __future__ import annotations

import email
from email import policy

from plattform.core.mail import build_message, send_message


def test_without_smtp_server_messages_land_in_the_outbox(app, tmp_path):
    app.config["MAIL_OUTBOX_DIR"] = str(tmp_path / "outbox")
    send_message(build_message("a@b.de", "Grüße aus Kreuzau", "Hallo Düren", "<p>Hallo Düren</p>"))
    (path,) = (tmp_path / "outbox").glob("*.eml")
    msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert msg["Subject"] == "Grüße aus Kreuzau"
    assert msg.get_body(("plain",)).get_content().strip() == "Hallo Düren"
    assert "<p>Hallo Düren</p>" in msg.get_body(("html",)).get_content()


def test_smtp_server_receives_the_message(smtp_server):
    send_message(build_message("officer@kreuzau.de", "Test", "Inhalt"))
    assert len(smtp_server.messages) == 1
    assert smtp_server.messages[0]["To"] == "officer@kreuzau.de"


# --- "not delivered" and "maybe delivered" (issue 16, finding 6) ----------------------------------

import pytest  # noqa: E402

from tests.services import FaultySmtpServer  # noqa: E402


@pytest.mark.parametrize("mode", ["close", "silent"])
def test_a_server_that_closes_before_its_greeting_or_never_answers_did_not_take_the_message(app, mode):
    from plattform.core.mail import MailNotDelivered

    with FaultySmtpServer(mode) as server:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_TIMEOUT=1)
        with pytest.raises(MailNotDelivered) as caught:
            send_message(build_message("officer@kreuzau.de", "Test", "Inhalt"))
    assert not caught.value.permanent


def test_a_connection_lost_after_the_message_is_maybe_delivered(app):
    from plattform.core.mail import MailDeliveryUncertain

    with FaultySmtpServer("lost-after-data") as server:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_TIMEOUT=2)
        with pytest.raises(MailDeliveryUncertain):
            send_message(build_message("officer@kreuzau.de", "Test", "Inhalt"))
    assert len(server.received) == 1 and b"Inhalt" in server.received[0]


def test_refused_connections_and_error_answers_did_not_take_the_message(app, smtp_server):
    from plattform.core.mail import MailNotDelivered
    from tests.services import free_port

    app.config.update(MAIL_PORT=free_port())  # nothing listens
    with pytest.raises(MailNotDelivered):
        send_message(build_message("officer@kreuzau.de", "Test", "Inhalt"))
    app.config.update(MAIL_PORT=smtp_server.port)
    smtp_server.fail_next, smtp_server.fail_code = 1, "554 Transaction failed"
    with pytest.raises(MailNotDelivered) as caught:
        send_message(build_message("officer@kreuzau.de", "Test", "Inhalt"))
    assert caught.value.permanent


def test_header_values_are_one_line(app):
    msg = build_message("a@b.de", "Anfrage von Anna\r\nBcc: x@example.org", "Text", headers={"X-A": "1\n2"})
    assert msg["Subject"] == "Anfrage von Anna Bcc: x@example.org"
    assert msg["Bcc"] is None and msg["X-A"] == "1 2"
