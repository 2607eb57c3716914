"""The audit log: written with the action, read by administrators page by page, filtered by action."""

from __future__ import annotations

import sqlalchemy as sa

from plattform.core import audit
from plattform.core.models import AuditEvent
from plattform.extensions import db
from tests.factories import UserFactory


def test_record_stores_actor_target_details_and_ip(client, app, login):
    admin = UserFactory(is_admin=True)
    target = UserFactory()
    db.session.commit()
    login(admin)
    client.post(f"/verwaltung/{target.id}/admin", data={"aktion": "erteilen"})
    event = db.session.scalar(sa.select(AuditEvent))
    assert (event.action, event.actor_user_id, event.target_type, event.target_id, event.ip) == (
        "admin.granted",
        admin.id,
        "user_account",
        str(target.id),
        "127.0.0.1",
    )


def test_an_event_is_only_written_with_the_action(app):
    user = UserFactory()
    db.session.commit()
    audit.record("account.exported", target=user, actor=user)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 0


def test_admin_reads_the_log_paged_and_filtered(client, app, login):
    admin = UserFactory(is_admin=True, name="Ada Admin")
    db.session.commit()
    for i in range(60):
        audit.record("account.exported", target=("user_account", i), actor=admin)
    audit.record("admin.granted", target=("user_account", 999), actor=admin, details={"grund": "Vertretung"})
    audit.register_action("test.token_created", "API-Token erstellt")
    audit.record("test.token_created", actor=None)
    db.session.commit()
    login(admin)

    first = client.get("/verwaltung/protokoll")
    assert first.status_code == 200
    assert "62 Einträge" in first.text and "Seite 1 von 2" in first.text
    table = first.text.split("<table")[1]
    assert table.index("API-Token erstellt") < table.index("Administrationsrecht erteilt")  # newest first
    assert "Ada Admin" in first.text and "grund: Vertretung" in first.text and "System" in first.text
    second = client.get("/verwaltung/protokoll?page=2")
    assert "Seite 2 von 2" in second.text and second.text.count("Eigene Daten heruntergeladen") >= 12

    only = client.get("/verwaltung/protokoll?aktion=admin.granted")
    assert "1 Eintrag" in only.text and "Vertretung" in only.text
    assert '<option value="admin.granted" selected>' in only.text


def test_deleted_actors_stay_in_the_log(client, app, login):
    admin = UserFactory(is_admin=True)
    db.session.commit()
    audit.record("account.deleted", target=("user_account", 4242), actor=4242)
    db.session.commit()
    login(admin)
    assert "Konto 4242 (gelöscht)" in client.get("/verwaltung/protokoll").text
