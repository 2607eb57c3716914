"""German source texts, English catalogue: complete, consistent with the code, and actually served."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from plattform.extensions import db
from tests.factories import KommuneFactory, MembershipFactory, UserFactory

ROOT = Path(__file__).resolve().parents[3]
CATALOGUE = ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"
# The Makefile's `messages` target: pybabel extract -F babel.cfg -k lazy_gettext -k _l
EXTRA_KEYWORDS = {"lazy_gettext": None, "_l": None}
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?([sdifr%])")


def _catalogue():
    with CATALOGUE.open("rb") as fh:
        return read_po(fh)


def _messages(catalog):
    return [m for m in catalog if m.id]


def _strings(message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def _ids(message) -> tuple[str, ...]:
    return message.id if isinstance(message.id, tuple) else (message.id,)


def _extracted_msgids() -> set[str | tuple[str, ...]]:
    """Every msgid the current code yields, extracted the way `make messages` does it."""
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found: set = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords={**DEFAULT_KEYWORDS, **EXTRA_KEYWORDS}
    ):
        if isinstance(message, tuple):
            found.add(message if len(message) > 1 and message[1] else message[0])
        else:
            found.add(message)
    found.discard("")
    return found


def _placeholders(text: str) -> list[tuple[str | None, str]]:
    return sorted((name, kind) for name, kind in PLACEHOLDER.findall(text))


# --- the catalogue ----------------------------------------------------------------------------------


def test_every_catalogue_entry_is_translated_and_not_fuzzy():
    catalog = _catalogue()
    messages = _messages(catalog)
    assert len(messages) > 800
    untranslated = [m.id for m in messages if not all(s.strip() for s in _strings(m))]
    fuzzy = [m.id for m in messages if m.fuzzy]
    assert untranslated == []
    assert fuzzy == []
    assert not catalog.obsolete, "stale #~ entries: run pybabel update and drop them"


def test_plural_entries_have_both_english_forms():
    plurals = [m for m in _messages(_catalogue()) if m.pluralizable]
    assert plurals
    for message in plurals:
        assert len(message.string) == 2, message.id
        assert message.string[0] != message.string[1] or message.id[0] == message.id[1], message.id


def test_catalogue_covers_every_msgid_the_code_yields():
    in_code = _extracted_msgids()
    in_catalogue = {m.id for m in _messages(_catalogue())}
    missing = sorted(str(m) for m in in_code - in_catalogue)
    assert missing == [], "new German texts without translation: run the `messages` commands and translate"
    stale = sorted(str(m) for m in in_catalogue - in_code)
    assert stale == [], "catalogue entries no code uses any more"


def test_extraction_sees_navigation_labels_txt_mails_and_marked_dict_labels():
    in_code = _extracted_msgids()
    # register_nav's label, a plain-text mail template, N_-marked labels rendered with _(label)
    for msgid in ("Gemeinsame Projekte", "Zu Ihrem Konto", "Landkreis", "Offen für weitere Kommunen"):
        assert msgid in in_code


def test_placeholders_match_between_msgid_and_msgstr():
    mismatched = []
    for message in _messages(_catalogue()):
        wanted = _placeholders(_ids(message)[-1])
        for text in _strings(message):
            if _placeholders(text) != wanted:
                mismatched.append((message.id, text))
        if message.pluralizable and _placeholders(message.id[0]) != _placeholders(message.string[0]):
            mismatched.append((message.id[0], message.string[0]))
    assert mismatched == []


def test_english_keeps_proper_names_and_the_study_title():
    by_id = {m.id: m.string for m in _messages(_catalogue())}
    home = by_id[
        "Zwölf Städte bauen dasselbe Online-Formular für die Hundesteuer, jede für sich. Eine kleine "
        "Gemeinde möchte den Glasfaserausbau lernen, während die Nachbarstadt ihn schon hinter sich hat. "
        "Die Studie „Digital vorangehen“ von KGSt und ÖFIT zeigt: Es gibt vier Typen von Kommunen, jede "
        "stark, wo die anderen schwach sind – weit kommen sie nur, wenn sie voneinander lernen."
    ]
    assert "Digital vorangehen" in home and "KGSt" in home and "ÖFIT" in home
    assert by_id["Landkreis"] == "Rural district"
    assert by_id["Typtest"] == "Type test"
    assert by_id["Nachnutzung"] == "Reuse"


# --- pages in both languages ------------------------------------------------------------------------


def _h1(html: str) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    assert match, "page without h1"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


PAGES = [
    ("/", "Kommunen lernen voneinander – und digitalisieren gemeinsam",
     "Municipalities learn from each other – and digitalise together"),
    ("/kommunen/", "Verzeichnis der Kommunen", "Directory of municipalities"),
    ("/konto/anmelden", "Anmelden", "Log in"),
    ("/profil/typtest", "Typtest: Welcher Kommunentyp sind Sie?",
     "Type test: which type of municipality are you?"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "german", "english"), PAGES)
def test_pages_are_german_by_default_and_english_with_lang_en(client, demo_region, path, german, english):
    page = client.get(path)
    assert page.status_code == 200
    assert '<html lang="de">' in page.text
    assert _h1(page.text) == german

    page = client.get(path, query_string={"lang": "en"})
    assert page.status_code == 200
    assert '<html lang="en">' in page.text
    assert _h1(page.text) == english
    assert 'aria-label="Main navigation"' in page.text


def test_kommune_page_in_english(client, demo_region):
    german = client.get("/kommunen/05358028").text
    assert '<html lang="de">' in german
    assert ">Fakten</h2>" in german and "Gemeinde" in german

    english = client.get("/kommunen/05358028?lang=en").text
    assert '<html lang="en">' in english
    assert _h1(english) == "Kreuzau"  # proper names stay
    assert ">Facts</h2>" in english
    assert "Municipality in" in english and "Inhabitants" in english
    assert "intermediate density" in english
    assert ">Fakten</h2>" not in english


def test_language_choice_is_remembered_and_can_be_switched_back(client):
    client.get("/?lang=en")
    assert '<html lang="en">' in client.get("/kommunen/").text
    client.get("/?lang=de")
    assert _h1(client.get("/kommunen/").text) == "Verzeichnis der Kommunen"


def test_unknown_language_falls_back_to_german(client):
    page = client.get("/?lang=fr")
    assert '<html lang="de">' in page.text


def test_login_message_is_flashed_in_the_visitors_language(client):
    response = client.get("/konto/?lang=en", follow_redirects=True)
    assert "Please log in to see this page." in response.text
    assert "Bitte melden Sie sich an" not in response.text


# --- the account's language -------------------------------------------------------------------------


def test_logged_in_user_with_english_account_gets_english(app, client, login):
    user = UserFactory(locale="en")
    db.session.commit()
    login(user)
    page = client.get("/konto/")
    assert '<html lang="en">' in page.text
    assert "My account" in page.text
    assert _h1(client.get("/kommunen/").text) == "Directory of municipalities"


def test_account_language_applies_to_a_session_without_a_language(app, client, login):
    """A session restored without the login form (e.g. remember-me) still follows the account."""
    user = UserFactory(locale="en")
    db.session.commit()
    login(user)
    with client.session_transaction() as session:
        session.pop("lang", None)
    assert '<html lang="en">' in client.get("/kommunen/").text


def test_logged_in_user_with_german_account_gets_german_and_may_switch(app, client, login):
    user = UserFactory(locale="de")
    db.session.commit()
    login(user)
    assert '<html lang="de">' in client.get("/konto/").text
    assert '<html lang="en">' in client.get("/konto/?lang=en").text


# --- service errors and labels follow the request's language ----------------------------------------


def test_service_error_is_shown_in_english(app, client, login):
    own = KommuneFactory()
    user = UserFactory(locale="en")
    MembershipFactory(user=user, kommune=own)
    db.session.commit()
    login(user)
    response = client.post(
        f"/kontakte/anfrage/neu/{own.ags}", data={"absender": own.id, "nachricht": "Hallo"}
    )
    assert response.status_code == 422
    assert "A municipality cannot send a request to itself." in response.text
    assert "Eine Kommune kann sich nicht selbst anfragen." not in response.text
