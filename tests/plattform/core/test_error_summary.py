"""GOV.UK's error pattern on the forms: a summary at the top linking to each field, "Fehler: " in the title.

The focus on the summary after the reload is tested in Chromium (tests/browser/test_shell_browser.py).
"""

from __future__ import annotations

import re

from plattform.extensions import db
from tests.factories import PASSWORD
from tests.plattform.kontakte.helpers import ALDENHOVEN, make_world


def _title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip()


def _summary(html: str) -> str:
    """The error summary's markup ('' when the page has none)."""
    match = re.search(r'<section class="kern-alert kern-alert--danger km-error-summary".*?</ul>', html, re.S)
    return match.group(0) if match else ""


def test_registration_with_errors_has_a_summary_linking_to_each_field(client):
    response = client.post("/konto/registrieren", data={"email": "kein-at", "password": "kurz"})
    assert response.status_code == 422
    assert _title(response.text).startswith("Fehler: Registrieren")
    summary = _summary(response.text)
    for field in ("name", "email", "password", "privacy"):
        assert f'href="#{field}"' in summary, field
        assert f'id="{field}"' in response.text  # the link's target exists
    assert "Bitte stimmen Sie den Datenschutzhinweisen zu." in summary
    assert "data-km-error-summary" in summary and 'tabindex="-1"' in summary
    # The summary stands before the page's heading, at the top of the main area.
    assert response.text.index("km-error-summary") < response.text.index("<h1")


def test_the_same_form_without_errors_has_neither_summary_nor_prefix(client):
    response = client.get("/konto/registrieren")
    assert response.status_code == 200
    assert _title(response.text).startswith("Registrieren")
    assert "km-error-summary" not in response.text
    assert "data-km-errors" not in response.text


def test_login_with_empty_fields_and_with_a_wrong_password(client, demo_region):
    empty = client.post("/konto/anmelden", data={"email": "", "password": ""})
    assert empty.status_code == 422
    assert _title(empty.text).startswith("Fehler: Anmelden")
    assert 'href="#email"' in _summary(empty.text) and 'href="#password"' in _summary(empty.text)
    wrong = client.post("/konto/anmelden", data={"email": "niemand@example.de", "password": "falsch-falsch"})
    assert wrong.status_code == 422
    # No field is wrong on its own: the message names the pair, the title still says there is an error.
    assert _title(wrong.text).startswith("Fehler: Anmelden")
    assert "E-Mail-Adresse oder Passwort ist falsch." in wrong.text
    assert "data-km-errors" in wrong.text


def test_profile_editor_keeps_its_own_summary_and_gets_the_prefix(client, login, demo_region):
    world = make_world()
    login(world.officer_b)
    response = client.post(f"/profil/{ALDENHOVEN}/bearbeiten", data={"reichweite_km": "viel"})
    assert response.status_code == 422
    assert _title(response.text).startswith("Fehler: ")
    assert "km-error-summary" not in response.text  # its own list, not a second one
    assert 'href="#reichweite_km"' in response.text
    assert "data-km-errors" in response.text


def test_contact_request_without_message(client, login, demo_region):
    world = make_world()
    login(world.officer_a)
    response = client.post(
        f"/kontakte/anfrage/neu/{ALDENHOVEN}", data={"absender": str(world.a.id), "nachricht": ""}
    )
    assert response.status_code == 422
    assert _title(response.text).startswith("Fehler: ")
    summary = _summary(response.text)
    assert 'href="#nachricht"' in summary
    assert "Bitte schreiben Sie eine kurze Nachricht." in summary


def test_password_change_with_wrong_current_password(client, login, demo_region):
    world = make_world()
    login(world.officer_a)
    response = client.post(
        "/konto/passwort",
        data={"current_password": "falsch", "password": PASSWORD + "x", "password_confirm": PASSWORD + "x"},
    )
    assert response.status_code == 422
    assert _title(response.text).startswith("Fehler: ")
    assert 'href="#current_password"' in _summary(response.text)
    db.session.rollback()
