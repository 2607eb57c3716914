"""The form fuzzer: every web route with long, Unicode, NUL, negative, huge and missing values, as an
anonymous visitor and logged in (officer, administrator), never answers 500.

The web counterpart of the API's schemathesis run (tests/plattform/api/test_fuzz.py). Field names come
from the route's own page (every input, select and textarea it renders) plus the names the views read
directly; path parameters are filled with rows that exist. The app runs with TESTING, so an exception
surfaces with its traceback instead of being turned into the 500 page.
"""

from __future__ import annotations

import re

import pytest

from plattform.extensions import db
from tests.factories import PASSWORD

VALUES = {
    "long": "Ä" * 5_000,
    "unicode-digits": "²١٢３",
    "nul": "a\x00b",
    "control-and-formula": "=HYPERLINK(1)\x1b\r\nBcc: a@b.de",
    "negative": "-1",
    "huge": "9" * 40,
}
# Names the views read from the request directly (not as form fields of the page).
EXTRA_FIELDS = (
    "q",
    "ags",
    "ziel",
    "ziel_1",
    "ziel_7",
    "ziel_100000000",
    "page",
    "seite",
    "thema",
    "aktion",
    "entscheidung",
    "next",
    "lang",
    "projekte-0-thema",
    "projekte-²-thema",
    "kommune_id",
    "format",
)
SKIP_ENDPOINTS = {"static", "accounts.logout", "core.health"}
NAME_RE = re.compile(r'<(?:input|select|textarea)[^>]*\sname="([^"]+)"')


def _path_values(world) -> dict:
    from plattform.netzwerke.models import Netzwerk
    from plattform.projekte.models import SharedProject

    netzwerk = db.session.query(Netzwerk).first()
    project = db.session.query(SharedProject).first()
    return {
        "ags": world.a.ags,
        "token": "ungueltig",
        "fmt": "csv",
        "netzwerk_id": netzwerk.id if netzwerk else 1,
        "project_id": project.id if project else 1,
        "projekt_id": project.id if project else 1,
        "kommune_id": world.a.id,
        "user_id": world.officer_a.id,
    }


def _routes(app, world) -> list[tuple[str, str]]:
    values = _path_values(world)
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS or rule.rule.startswith("/api"):
            continue
        args = {name: values.get(name, 1) for name in rule.arguments}
        try:
            url = app.url_map.bind("localhost").build(rule.endpoint, args)
        except Exception:  # a converter that refuses the stand-in value: not reachable this way
            continue
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            routes.append((method, url))
    return sorted(set(routes))


def _field_names(client, url: str) -> list[str]:
    page = client.get(url)
    names = NAME_RE.findall(page.text) if page.status_code == 200 else []
    return sorted({n for n in names if n != "csrf_token"} | set(EXTRA_FIELDS))


@pytest.fixture
def fuzz_world(app, demo_region):
    from plattform.netzwerke.services import add_member, create_netzwerk
    from plattform.projekte.services import propose_project
    from tests.plattform.kontakte.helpers import make_world

    world = make_world()
    netzwerk = create_netzwerk("Fuzz-Netz", "frei", coordinators=[world.coordinator])
    add_member(netzwerk, world.a)
    propose_project(world.a, "e-akte", "E-Akte gemeinsam", "Wir führen die E-Akte ein.")
    db.session.commit()
    return world


# The coordinator's pages are the administrator's too (the matrix tests tell them apart).
@pytest.mark.parametrize("who", ["anonym", "officer_a", "admin"])
def test_no_form_route_answers_500_whatever_it_is_sent(app, client, fuzz_world, who):
    if who != "anonym":
        user = getattr(fuzz_world, who)
        assert (
            client.post("/konto/anmelden", data={"email": user.email, "password": PASSWORD}).status_code
            == 302
        )
    routes = _routes(app, fuzz_world)
    assert len(routes) > 60  # the fuzzer reaches the whole web surface
    failures = []
    for method, url in routes:
        names = _field_names(client, url) if method == "POST" else list(EXTRA_FIELDS)
        payloads = {"missing": {}, **{kind: dict.fromkeys(names, value) for kind, value in VALUES.items()}}
        for kind, data in payloads.items():
            response = client.get(url, query_string=data) if method == "GET" else client.post(url, data=data)
            if response.status_code >= 500:
                failures.append(f"{method} {url} [{kind}] -> {response.status_code}")
        if who != "anonym" and client.get("/konto/").status_code != 200:
            # A route ended the session (e.g. a password form): log in again for the rest.
            client.post("/konto/anmelden", data={"email": user.email, "password": PASSWORD})
    assert failures == []
