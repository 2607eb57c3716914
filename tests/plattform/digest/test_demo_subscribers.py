"""`demo seed` subscribes the demo accounts, so `digest send` right after it writes real e-mails."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

import pytest
import sqlalchemy as sa

from plattform.accounts.models import User
from plattform.digest.demo import DEMO_CONSENT_VERSION
from plattform.digest.models import DigestDelivery, DigestSubscription
from plattform.extensions import db

DEMO_EMAILS = (
    "admin@kommunalmatch.demo",
    "kreuzau@kommunalmatch.demo",
    "aldenhoven@kommunalmatch.demo",
    "kreis-dueren@kommunalmatch.demo",
)


def outbox_messages(app) -> dict[str, email.message.EmailMessage]:
    """The outbox's messages by recipient address."""
    messages = {}
    for path in sorted(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        messages[msg["To"].addresses[0].addr_spec] = msg
    return messages


@pytest.fixture
def seeded(app, runner):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert "Wochen-E-Mail: 4 Demo-Konten abonniert" in result.output, result.output
    return result


def test_demo_seed_subscribes_the_demo_accounts_marked_as_demo(seeded, app, runner):
    rows = db.session.execute(
        sa.select(User.email, DigestSubscription.status, DigestSubscription.consent_text_version).join(
            DigestSubscription, DigestSubscription.user_id == User.id
        )
    ).all()
    assert sorted(rows) == sorted((e, "active", DEMO_CONSENT_VERSION) for e in DEMO_EMAILS)
    # No confirmation mail went out: the outbox is empty until the digest is sent.
    assert outbox_messages(app) == {}

    # Seeding again keeps one subscription per account; an account that unsubscribed stays out.
    officer = db.session.scalar(sa.select(User).where(User.email == "aldenhoven@kommunalmatch.demo"))
    db.session.scalar(
        sa.select(DigestSubscription).where(DigestSubscription.user_id == officer.id)
    ).status = "unsubscribed"
    db.session.commit()
    again = runner.invoke(args=["demo", "seed"])
    assert "Wochen-E-Mail: 3 Demo-Konten abonniert" in again.output
    assert db.session.scalar(sa.select(sa.func.count(DigestSubscription.id))) == 4


def test_digest_send_after_demo_seed_writes_mails_and_a_second_run_sends_nothing(seeded, app, runner, login):
    sent = runner.invoke(args=["digest", "send"])
    assert sent.exit_code == 0, sent.output
    messages = outbox_messages(app)
    officers = (
        "kreuzau@kommunalmatch.demo",
        "aldenhoven@kommunalmatch.demo",
        "kreis-dueren@kommunalmatch.demo",
    )
    for address in officers:
        assert address in messages, sent.output
        msg = messages[address]
        assert msg["Subject"].startswith("Kommunalmatch: ")
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert msg.get_body(("plain",)).get_content().strip()
        assert "<h2" in msg.get_body(("html",)).get_content()
    coordinator = messages["kreis-dueren@kommunalmatch.demo"].get_body(("plain",)).get_content()
    for title in ("Neue Partnervorschläge", "Kontaktanfragen", "Gemeinsame Projekte", "Netzwerke"):
        assert title in coordinator, coordinator

    again = runner.invoke(args=["digest", "send"])
    assert "gesendet" not in again.output.replace("nicht-gesendet", ""), again.output
    assert len(list(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"))) == len(messages)
    assert db.session.scalar(
        sa.select(sa.func.count(DigestDelivery.id)).where(DigestDelivery.status == "sent")
    ) == len(messages)


def test_preview_shows_a_full_digest_for_each_demo_role(seeded, app):
    for address in ("kreuzau@kommunalmatch.demo", "kreis-dueren@kommunalmatch.demo"):
        client = app.test_client()
        response = client.post("/konto/anmelden", data={"email": address, "password": "Demo-Passwort-2026"})
        assert response.status_code == 302, address
        page = client.get("/digest/vorschau").get_data(as_text=True)
        assert "Betreff:" in page, address
        assert "Gemeinsame Projekte" in page, address
