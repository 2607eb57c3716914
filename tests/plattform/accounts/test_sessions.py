"""Server-side sessions (issue 16, finding 2, finding 3 and the stolen-cookie limitation): a session
identifier is random and never reused, logout ends it everywhere its cookies are, a password change or
reset ends every session, an administrator can end them, and a reset revokes the API tokens."""

from __future__ import annotations

import sqlalchemy as sa

from plattform.accounts.models import User, UserSession
from plattform.core.models import AuditEvent
from plattform.extensions import db
from tests.factories import PASSWORD, UserFactory
from tests.plattform.accounts.mailbox import link_path, messages_to

NEW = "Ganz-neues-Passwort-2026"
COOKIES = ("session", "remember_token")


def _login(client, user, remember: bool = False):
    data = {"email": user.email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/konto/anmelden", data=data)
    assert response.status_code == 302, response.text


def _stolen(app, client):
    """A second browser holding copies of the first one's cookies (what a thief would have)."""
    thief = app.test_client()
    for name in COOKIES:
        cookie = client.get_cookie(name)
        if cookie is not None:
            thief.set_cookie(name, cookie.value)
    return thief


def _logged_in_as(client) -> str | None:
    """Whose account page the browser sees, or None when it is sent to the login."""
    response = client.get("/konto/")
    if response.status_code != 200:
        return None
    return next((u.email for u in db.session.scalars(sa.select(User)) if u.email in response.text), None)


def test_a_deleted_accounts_cookies_never_open_the_next_account(app, client):
    """SQLite reused the highest id, and the identifier was id + version: the cookies (remember-me
    too) of a deleted account opened the account registered next."""
    first = UserFactory(email="erste@kreuzau.de")
    db.session.commit()
    _login(client, first, remember=True)
    first_id = first.id
    thief = _stolen(app, client)
    db.session.delete(first)
    db.session.commit()

    second = UserFactory(email="zweite@kreuzau.de")
    db.session.commit()
    assert second.id != first_id  # AUTOINCREMENT: a deleted id is never given again
    assert _logged_in_as(thief) is None
    thief.delete_cookie("session")  # the remember-me cookie alone must not restore a session either
    assert _logged_in_as(thief) is None


def test_the_session_identifier_is_random_not_the_account_id(app, client):
    user = UserFactory()
    db.session.commit()
    _login(client, user)
    with client.session_transaction() as session:
        identifier = session["_user_id"]
    assert str(user.id) not in identifier.split(":")
    assert len(identifier) >= 40
    (row,) = db.session.scalars(sa.select(UserSession)).all()
    assert row.user_id == user.id and identifier not in row.token_hash  # only its hash is stored


def test_logout_ends_the_session_for_every_copy_of_its_cookies(app, client):
    user = UserFactory(email="da@kreuzau.de")
    db.session.commit()
    _login(client, user, remember=True)
    thief = _stolen(app, client)
    assert _logged_in_as(thief) == "da@kreuzau.de"
    assert client.post("/konto/abmelden").status_code == 302
    assert _logged_in_as(thief) is None  # the stolen cookie worked after logout before
    assert db.session.scalar(sa.select(sa.func.count(UserSession.id))) == 0


def test_logout_in_one_browser_keeps_the_other_logged_in(app, client):
    user = UserFactory(email="da@kreuzau.de")
    db.session.commit()
    laptop = app.test_client()
    _login(laptop, user)
    _login(client, user)
    client.post("/konto/abmelden")
    assert _logged_in_as(laptop) == "da@kreuzau.de"


def test_password_change_ends_every_other_session_and_keeps_this_one(app, client):
    user = UserFactory(email="da@kreuzau.de")
    db.session.commit()
    laptop = app.test_client()
    _login(laptop, user, remember=True)
    _login(client, user)
    response = client.post(
        "/konto/passwort", data={"current_password": PASSWORD, "password": NEW, "password_confirm": NEW}
    )
    assert response.status_code == 302
    assert _logged_in_as(client) == "da@kreuzau.de"
    assert _logged_in_as(laptop) is None


def test_an_administrator_ends_all_sessions_of_an_account(app, client):
    user = UserFactory(email="verloren@kreuzau.de")
    admin = UserFactory(email="admin@kreuzau.de", is_admin=True)
    db.session.commit()
    laptop = app.test_client()
    _login(laptop, user, remember=True)
    _login(client, admin)
    response = client.post(f"/verwaltung/{user.id}/sitzungen-beenden")
    assert response.status_code == 302
    assert _logged_in_as(laptop) is None
    assert _logged_in_as(client) == "admin@kreuzau.de"
    assert "account.sessions_revoked" in db.session.scalars(sa.select(AuditEvent.action)).all()
    # Only administrators may.
    assert laptop.post(f"/verwaltung/{admin.id}/sitzungen-beenden").status_code in (302, 403)
    _login(laptop, user)
    assert laptop.post(f"/verwaltung/{admin.id}/sitzungen-beenden").status_code == 403
    assert _logged_in_as(client) == "admin@kreuzau.de"


def test_a_password_reset_revokes_the_api_tokens(app, client, smtp_server, demo_region):
    from matching.vocabulary import TOPIC_SLUGS
    from tests.plattform.api.conftest import bearer, token_for
    from tests.plattform.kontakte.helpers import make_world

    world = make_world()
    officer = world.officer_a
    secret = token_for(officer, "schreiben")
    profile = {"ags": world.a.ags, "staerken": {TOPIC_SLUGS[0]: 2}}
    assert (
        client.put(f"/api/v1/kommunen/{world.a.ags}/profil", json=profile, headers=bearer(secret)).status_code
        == 200
    )

    client.post("/konto/passwort-vergessen", data={"email": officer.email})
    (mail,) = messages_to(smtp_server, officer.email)
    path = link_path(mail, "/konto/passwort-neu/")
    assert client.post(path, data={"password": NEW, "password_confirm": NEW}).status_code == 302

    again = client.put(f"/api/v1/kommunen/{world.a.ags}/profil", json=profile, headers=bearer(secret))
    assert again.status_code == 401  # the old write token still changed the profile before
