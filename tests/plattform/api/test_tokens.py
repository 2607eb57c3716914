"""Personal API tokens: created with the secret shown once, stored only as a hash, scoped, revocable,
expiring, last use recorded; the pages under the account; cookies never authenticate the API."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta

import sqlalchemy as sa

from plattform.api.models import ApiToken
from plattform.api.services import LAST_USED_RESOLUTION, as_utc, create_token, find_token, note_use
from plattform.core.clock import utcnow
from plattform.core.models import AuditEvent
from plattform.extensions import db
from tests.factories import UserFactory
from tests.plattform.api.conftest import bearer, token_for

SECRET_RE = re.compile(r"km_[A-Za-z0-9_-]{43}")


def test_create_token_returns_the_secret_once_and_stores_only_its_sha256(app):
    user = UserFactory()
    token, secret = create_token(user, "Fachverfahren", "lesen")
    db.session.commit()
    assert SECRET_RE.fullmatch(secret)
    row = db.session.get(ApiToken, token.id)
    assert row.token_hash == hashlib.sha256(secret.removeprefix("km_").encode()).hexdigest()
    stored = json.dumps([str(v) for v in db.session.execute(sa.select(ApiToken.__table__)).one()])
    assert secret.removeprefix("km_") not in stored
    assert find_token(secret).id == token.id
    # Two tokens never share a secret.
    _other, secret2 = create_token(user, "Zweites", "lesen")
    assert secret2 != secret


def test_unknown_malformed_revoked_expired_and_inactive_tokens_are_refused(app):
    user = UserFactory()
    secret = token_for(user)
    assert find_token(secret) is not None
    assert find_token(secret + "x") is None
    assert find_token(secret.removeprefix("km_")) is None
    assert find_token("km_kurz") is None

    expired, expired_secret = create_token(user, "alt", "lesen", 30)
    expired.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert find_token(expired_secret) is None

    user.active = False
    db.session.commit()
    assert find_token(secret) is None


def test_api_accepts_a_token_and_answers_401_problem_without_or_with_a_bad_one(client, world):
    secret = token_for(world.officer_a)
    ok = client.get("/api/v1/ich", headers=bearer(secret))
    assert ok.status_code == 200
    assert ok.json["user"]["name"] == "Anna Kreuzer"
    assert ok.json["token"]["scope"] == "lesen"
    assert ok.json["kommunen"] == [{"ags": "05358028", "name": "Kreuzau"}]
    for headers in ({}, bearer("km_falsch-falsch-falsch-falsch"), {"Authorization": f"Token {secret}"}):
        response = client.get("/api/v1/ich", headers=headers)
        assert response.status_code == 401
        assert response.content_type == "application/problem+json"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    # A bad token is refused even where no token is needed: credentials are never silently ignored.
    assert client.get("/api/v1/kommunen", headers=bearer("km_falsch-falsch-falsch-falsch")).status_code == 401


def test_revoked_token_is_refused_at_once(client, world):
    secret = token_for(world.officer_a)
    assert client.get("/api/v1/ich", headers=bearer(secret)).status_code == 200
    token = db.session.scalar(sa.select(ApiToken))
    token.revoked_at = utcnow()
    db.session.commit()
    response = client.get("/api/v1/ich", headers=bearer(secret))
    assert response.status_code == 401
    assert response.json["detail"] == "Das Token ist unbekannt, abgelaufen oder widerrufen."


def test_read_token_cannot_write_and_write_token_can(client, world):
    read, write = token_for(world.officer_a, "lesen"), token_for(world.officer_a, "schreiben")
    body = {"ziele": ["effizienz"], "staerken": {"e-akte": 3}}
    refused = client.put("/api/v1/kommunen/05358028/profil", json=body, headers=bearer(read))
    assert refused.status_code == 403
    assert refused.content_type == "application/problem+json"
    assert "„lesen“" in refused.json["detail"]
    assert client.put("/api/v1/kommunen/05358028/profil", json=body, headers=bearer(write)).status_code == 200


def test_last_used_at_is_recorded_at_most_once_a_minute(client, world):
    secret = token_for(world.officer_a)
    token = db.session.scalar(sa.select(ApiToken))
    assert token.last_used_at is None
    before = utcnow()
    client.get("/api/v1/ich", headers=bearer(secret))
    db.session.expire_all()
    first = as_utc(db.session.get(ApiToken, token.id).last_used_at)
    assert first is not None and first >= before - timedelta(seconds=1)
    # Within the resolution no further write; after it, the time moves on.
    assert note_use(db.session.get(ApiToken, token.id), now=first + timedelta(seconds=5)) is False
    later = first + LAST_USED_RESOLUTION + timedelta(seconds=1)
    assert note_use(db.session.get(ApiToken, token.id), now=later) is True


def test_session_cookie_does_not_authenticate_the_api(client, login, world):
    login(world.officer_a)
    assert client.get("/konto/").status_code == 200
    assert client.get("/api/v1/ich").status_code == 401
    assert client.get("/api/v1/kommunen/05358028/vorschlaege").status_code == 401
    # Changing methods without a token are refused before any view runs (no CSRF token needed to refuse).
    response = client.post(
        "/api/v1/kontaktanfragen", json={"from_kommune": "05358028", "to_kommune": "05358004"}
    )
    assert response.status_code == 401


# --- pages under the account ------------------------------------------------------------------


def test_token_pages_need_a_login(client):
    assert client.get("/konto/api-tokens/").status_code == 302
    assert "/konto/anmelden" in client.get("/konto/api-tokens/neu").headers["Location"]


def test_create_page_shows_the_secret_once_and_audits_it(client, login, world):
    login(world.officer_a)
    form = client.get("/konto/api-tokens/neu")
    assert form.status_code == 200
    response = client.post(
        "/konto/api-tokens/neu", data={"name": "Kreisportal", "scope": "schreiben", "ablauf": "90"}
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    (secret,) = set(SECRET_RE.findall(response.text))
    token = db.session.scalar(sa.select(ApiToken))
    assert token.name == "Kreisportal" and token.scope == "schreiben" and token.user_id == world.officer_a.id
    assert abs(as_utc(token.expires_at) - (utcnow() + timedelta(days=90))) < timedelta(minutes=1)
    # The list shows the token but never the secret again.
    listing = client.get("/konto/api-tokens/")
    assert "Kreisportal" in listing.text and "noch nie" in listing.text
    assert secret not in listing.text and "km_" not in listing.text
    # The secret works; afterwards the list shows the last use.
    assert client.get("/api/v1/ich", headers=bearer(secret)).status_code == 200
    assert "noch nie" not in client.get("/konto/api-tokens/").text
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "api_token.created"))
    assert event.actor_user_id == world.officer_a.id
    assert event.details["name"] == "Kreisportal" and event.details["scope"] == "schreiben"
    assert secret.removeprefix("km_") not in json.dumps(event.details)


def test_create_validates_name_and_scope(client, login, world):
    login(world.officer_a)
    response = client.post("/konto/api-tokens/neu", data={"name": "  ", "scope": "lesen", "ablauf": "30"})
    assert response.status_code == 422
    assert "Bitte geben Sie dem Token einen Namen." in response.text
    response = client.post("/konto/api-tokens/neu", data={"name": "x", "scope": "alles", "ablauf": "30"})
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0


def test_create_needs_a_recent_password(client, login, world):
    login(world.officer_a)
    with client.session_transaction() as session:
        session["_fresh_at"] = 0  # the password was typed long ago
    response = client.post("/konto/api-tokens/neu", data={"name": "x", "scope": "lesen", "ablauf": "30"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/konto/erneut-anmelden?next=/konto/api-tokens/neu"
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0
    assert client.get("/konto/api-tokens/neu").status_code == 302


def test_revoke_own_token_only(client, login, world):
    own = token_for(world.officer_a, name="Meins")
    foreign = token_for(world.officer_b, name="Fremd")
    own_id, foreign_id = (
        db.session.scalar(sa.select(ApiToken.id).where(ApiToken.name == n)) for n in ("Meins", "Fremd")
    )
    login(world.officer_a)
    assert client.post(f"/konto/api-tokens/{foreign_id}/widerrufen").status_code == 404
    assert client.post("/konto/api-tokens/999999/widerrufen").status_code == 404
    response = client.post(f"/konto/api-tokens/{own_id}/widerrufen")
    assert response.status_code == 303
    assert client.get("/api/v1/ich", headers=bearer(own)).status_code == 401
    assert client.get("/api/v1/ich", headers=bearer(foreign)).status_code == 200
    assert "widerrufen" in client.get("/konto/api-tokens/").text
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "api_token.revoked"))
    assert event.actor_user_id == world.officer_a.id and event.details["token_id"] == own_id


def test_revoke_needs_the_csrf_token(app, client, login, world):
    token_for(world.officer_a)
    token_id = db.session.scalar(sa.select(ApiToken.id))
    login(world.officer_a)
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(f"/konto/api-tokens/{token_id}/widerrufen").status_code == 400
    assert db.session.get(ApiToken, token_id).revoked_at is None


def test_personal_data_export_lists_tokens_without_hash(client, login, world):
    secret = token_for(world.officer_a, name="Exportiert")
    login(world.officer_a)
    data = client.get("/konto/daten.json").json
    assert [t["name"] for t in data["api_tokens"]] == ["Exportiert"]
    text = json.dumps(data)
    assert "token_hash" not in text and secret.removeprefix("km_") not in text
    assert hashlib.sha256(secret.removeprefix("km_").encode()).hexdigest() not in text


def test_deleting_the_account_deletes_its_tokens(client, login, world):
    from tests.factories import PASSWORD

    secret = token_for(world.officer_a)
    login(world.officer_a)
    assert client.post("/konto/loeschen", data={"password": PASSWORD, "confirm": "y"}).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0
    assert client.get("/api/v1/ich", headers=bearer(secret)).status_code == 401
