"""Password reset, password and e-mail change, fresh login for sensitive actions, language."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import sqlalchemy as sa

from plattform.accounts.models import User
from plattform.accounts.passwords import verify_password
from plattform.core.models import AuditEvent
from plattform.extensions import db
from tests.factories import PASSWORD, UserFactory
from tests.plattform.accounts.mailbox import bodies, link_path, messages_to

NEW = "Ganz-neues-Passwort-2026"


def without_csrf_token(html: str) -> str:
    """The page without its CSRF tokens: they carry a timestamp, so two renders in different seconds
    differ there and nowhere else (the comparison of two answers flaked on that)."""
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', html)


def reload(user):
    db.session.expire_all()
    return db.session.get(User, user.id)


def actions():
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


# --- reset ----------------------------------------------------------------------------------------


def test_reset_answer_is_the_same_whether_or_not_the_address_exists(client, smtp_server):
    user = UserFactory(email="da@kreuzau.de")
    db.session.commit()
    known = client.post("/konto/passwort-vergessen", data={"email": user.email}, follow_redirects=True)
    unknown = client.post(
        "/konto/passwort-vergessen", data={"email": "weg@kreuzau.de"}, follow_redirects=True
    )
    assert known.status_code == unknown.status_code == 200
    assert without_csrf_token(known.text) == without_csrf_token(unknown.text)
    assert [m["To"] for m in smtp_server.messages] == ["da@kreuzau.de"]


def test_reset_link_sets_a_new_password_once_and_ends_every_session(app, client, smtp_server, login):
    user = UserFactory(email="da@kreuzau.de")
    db.session.commit()
    other_device = app.test_client()
    other_device.post("/konto/anmelden", data={"email": user.email, "password": PASSWORD})
    assert other_device.get("/konto/").status_code == 200

    client.post("/konto/passwort-vergessen", data={"email": user.email})
    (mail,) = messages_to(smtp_server, user.email)
    path = link_path(mail, "/konto/passwort-neu/")
    assert "60 Minuten" in bodies(mail)[0]
    assert client.get(path).status_code == 200
    done = client.post(path, data={"password": NEW, "password_confirm": NEW})
    assert done.status_code == 302 and done.headers["Location"] == "/konto/anmelden"
    assert verify_password(reload(user).password_hash, NEW)

    # The link is used up: the password it was tied to is gone.
    again = client.post(
        path, data={"password": "Noch-ein-Passwort-2026", "password_confirm": "Noch-ein-Passwort-2026"}
    )
    assert again.status_code == 400 and "Der Link ist ungültig" in again.text
    assert verify_password(reload(user).password_hash, NEW)
    # The other device was logged out.
    assert other_device.get("/konto/").status_code == 302
    assert "account.password_reset" in actions()


def test_reset_rejects_a_short_password(client, smtp_server):
    user = UserFactory()
    db.session.commit()
    client.post("/konto/passwort-vergessen", data={"email": user.email})
    path = link_path(smtp_server.messages[0], "/konto/passwort-neu/")
    response = client.post(path, data={"password": "kurz", "password_confirm": "kurz"})
    assert response.status_code == 422 and "mindestens 12 Zeichen" in response.text
    assert verify_password(reload(user).password_hash, PASSWORD)


def test_reset_confirms_an_unconfirmed_address(client, smtp_server):
    user = UserFactory(email_confirmed_at=None)
    db.session.commit()
    client.post("/konto/passwort-vergessen", data={"email": user.email})
    path = link_path(smtp_server.messages[0], "/konto/passwort-neu/")
    client.post(path, data={"password": NEW, "password_confirm": NEW})
    assert reload(user).email_confirmed


# --- change password --------------------------------------------------------------------------------


def test_password_change_keeps_this_session_and_ends_the_others(app, client, login, smtp_server):
    user = UserFactory()
    db.session.commit()
    login(user)
    other = app.test_client()
    other.post("/konto/anmelden", data={"email": user.email, "password": PASSWORD})
    assert other.get("/konto/").status_code == 200

    response = client.post(
        "/konto/passwort", data={"current_password": PASSWORD, "password": NEW, "password_confirm": NEW}
    )
    assert response.status_code == 302
    assert client.get("/konto/").status_code == 200
    assert other.get("/konto/").status_code == 302
    assert verify_password(reload(user).password_hash, NEW)
    (notice,) = messages_to(smtp_server, user.email)
    assert "Passwort Ihres Kommunalmatch-Kontos wurde geändert" in bodies(notice)[0]
    assert actions() == ["account.password_changed"]


def test_password_change_needs_the_current_password(client, login, smtp_server):
    user = UserFactory()
    db.session.commit()
    login(user)
    response = client.post(
        "/konto/passwort", data={"current_password": "falsch", "password": NEW, "password_confirm": NEW}
    )
    assert response.status_code == 422 and "Das bisherige Passwort stimmt nicht." in response.text
    assert verify_password(reload(user).password_hash, PASSWORD)
    assert smtp_server.messages == []


# --- change e-mail ----------------------------------------------------------------------------------


def test_email_change_takes_effect_after_the_new_address_confirms(client, login, smtp_server):
    user = UserFactory(email="alt@kreuzau.de")
    db.session.commit()
    login(user)
    response = client.post("/konto/email", data={"new_email": "Neu@Kreuzau.de"})
    assert response.status_code == 302
    assert reload(user).email == "alt@kreuzau.de"  # not yet
    (mail,) = messages_to(smtp_server, "neu@kreuzau.de")
    path = link_path(mail, "/konto/email-bestaetigen/")

    assert client.get(path).status_code == 302
    assert reload(user).email == "neu@kreuzau.de"
    (notice,) = messages_to(smtp_server, "alt@kreuzau.de")
    assert "neu@kreuzau.de" in bodies(notice)[0]
    # Used once: the old address is no longer the account's, so the link is dead.
    assert client.get(path).status_code == 400
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "account.email_changed"))
    assert event.details == {"alt": "alt@kreuzau.de", "neu": "neu@kreuzau.de"}
    # Logging in works with the new address only.
    client.post("/konto/abmelden")
    assert (
        client.post("/konto/anmelden", data={"email": "alt@kreuzau.de", "password": PASSWORD}).status_code
        == 422
    )
    assert (
        client.post("/konto/anmelden", data={"email": "neu@kreuzau.de", "password": PASSWORD}).status_code
        == 302
    )


def test_email_change_to_a_taken_address_answers_the_same_and_sends_nothing(client, login, smtp_server):
    UserFactory(email="vergeben@kreuzau.de")
    user = UserFactory(email="ich@kreuzau.de")
    db.session.commit()
    login(user)
    taken = client.post("/konto/email", data={"new_email": "vergeben@kreuzau.de"}, follow_redirects=True)
    free = client.post("/konto/email", data={"new_email": "frei@kreuzau.de"}, follow_redirects=True)
    assert taken.status_code == free.status_code == 200
    assert "Bestätigungslink an die neue Adresse" in taken.text
    assert without_csrf_token(taken.text) == without_csrf_token(free.text)
    assert [m["To"] for m in smtp_server.messages] == ["frei@kreuzau.de"]


def test_email_change_link_dies_when_the_password_changes(client, login, smtp_server):
    user = UserFactory()
    db.session.commit()
    login(user)
    client.post("/konto/email", data={"new_email": "neu@kreuzau.de"})
    path = link_path(messages_to(smtp_server, "neu@kreuzau.de")[0], "/konto/email-bestaetigen/")
    client.post(
        "/konto/passwort", data={"current_password": PASSWORD, "password": NEW, "password_confirm": NEW}
    )
    assert client.get(path).status_code == 400
    assert reload(user).email != "neu@kreuzau.de"


# --- fresh login ------------------------------------------------------------------------------------


def test_session_restored_from_remember_cookie_must_reauthenticate_for_sensitive_actions(client, app):
    user = UserFactory()
    db.session.commit()
    client.post("/konto/anmelden", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    assert client.get_cookie("remember_token") is not None
    client.delete_cookie("session")  # browser restarted: only the 14-day cookie is left
    assert client.get("/konto/").status_code == 200  # still logged in ...
    assert client.get("/konto/").status_code == 200  # ... and on the next request too
    for path in ("/konto/daten.json", "/konto/email", "/konto/loeschen"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/konto/erneut-anmelden?next="), path
    wrong = client.post("/konto/erneut-anmelden?next=/konto/daten.json", data={"password": "falsch"})
    assert wrong.status_code == 422 and "Das Passwort stimmt nicht." in wrong.text
    ok = client.post("/konto/erneut-anmelden?next=/konto/daten.json", data={"password": PASSWORD})
    assert ok.headers["Location"] == "/konto/daten.json"
    assert client.get("/konto/daten.json").status_code == 200


def test_a_login_older_than_the_fresh_window_must_reauthenticate(client, app, login):
    user = UserFactory()
    db.session.commit()
    login(user)
    assert client.get("/konto/daten.json").status_code == 200
    with client.session_transaction() as session:
        session["_fresh_at"] -= 16 * 60
    assert client.get("/konto/daten.json").status_code == 302


def test_reauth_never_redirects_off_site(client, login):
    user = UserFactory()
    db.session.commit()
    login(user)
    response = client.post("/konto/erneut-anmelden?next=//evil.example/x", data={"password": PASSWORD})
    assert response.headers["Location"] == "/konto/"


def test_remember_cookie_lasts_14_days_and_cookies_are_httponly(client, app):
    user = UserFactory()
    db.session.commit()
    response = client.post(
        "/konto/anmelden", data={"email": user.email, "password": PASSWORD, "remember": "y"}
    )
    cookies = response.headers.getlist("Set-Cookie")
    remember = next(c for c in cookies if c.startswith("remember_token="))
    session_cookie = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in remember and "SameSite=Lax" in remember
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    expires = parsedate_to_datetime(remember.split("Expires=")[1].split(";")[0])
    lifetime = expires - datetime.now(UTC)
    assert timedelta(days=13, hours=23) < lifetime <= timedelta(days=14)


# --- language ---------------------------------------------------------------------------------------


def test_language_choice_is_stored_and_used_when_logged_in(app, client, login):
    user = UserFactory()
    db.session.commit()
    login(user)
    assert client.post("/konto/sprache", data={"locale": "en"}).status_code == 302
    assert reload(user).locale == "en"
    # A new session (another browser) of the same account picks the account's language.
    other = app.test_client()
    other.post("/konto/anmelden", data={"email": user.email, "password": PASSWORD})
    assert '<html lang="en">' in other.get("/konto/").text
    assert '<html lang="de">' in app.test_client().get("/").text
    assert client.post("/konto/sprache", data={"locale": "fr"}).status_code == 302
    assert reload(user).locale == "en"
