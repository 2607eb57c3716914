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
