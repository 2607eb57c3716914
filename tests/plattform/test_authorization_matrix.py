"""Authorisation matrix: every route × anonymous / member of A / member of B / coordinator / admin.

Each cell names the expected answer: a status code, "login" (redirect to the login form) or "done"
(a redirect after a successful POST). Every page a role may open is also searched for B's private
data (officer contacts before any partnership, requests B received, B's suggestions): only B sees it.
Editing ids in the URL must give 403/404, never someone else's data.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from plattform.extensions import db
from plattform.kontakte.services import send_request
from tests.factories import KommuneFactory, MembershipFactory, UserFactory
from tests.plattform.kontakte.helpers import seed_suggestions

ROLES = ("anonym", "mitglied_a", "mitglied_b", "koordination", "admin")
B_EMAIL, B_PHONE = "geheim.b@aldenhoven.example", "02464 99 88 77"
C_TO_B_MESSAGE = "Vertraulich: Nideggen fragt Aldenhoven nach dem Haushaltsentwurf"
B_SUGGESTION = "Nur für Aldenhoven: Nideggen passt wegen des Haushalts"
B_SECRETS = (B_EMAIL, B_PHONE, C_TO_B_MESSAGE, B_SUGGESTION)


@dataclass
class Matrix:
    ids: dict
    users: dict


@pytest.fixture
def matrix(app):
    kreis = KommuneFactory(ags="05999", ebene="kreis", kind="kreis", name="Kreis Muster", population=None)
    a = KommuneFactory(name="Anfangsdorf", kreis=kreis, ags="05999001", lat=50.80, lon=6.50)
    b = KommuneFactory(name="Beispielstadt", kreis=kreis, ags="05999002", lat=50.85, lon=6.45)
    c = KommuneFactory(name="Cdorf", kreis=kreis, ags="05999003", lat=50.70, lon=6.40)
    KommuneFactory(name="Dorfen", kreis=kreis, ags="05999004", lat=50.75, lon=6.42)
    member_a = UserFactory(name="Anja A", email="anja@anfangsdorf.example", telefon="0111 1")
    member_b = UserFactory(name="Bodo B", email=B_EMAIL, telefon=B_PHONE)
    member_c = UserFactory(name="Carla C", email="carla@cdorf.example")
    coordinator = UserFactory(name="Kurt Koordinator", email="kurt@kreis-muster.example")
    admin = UserFactory(name="Adele Admin", email="adele@kommunalmatch.example", is_admin=True)
    MembershipFactory(user=member_a, kommune=a)
    MembershipFactory(user=member_b, kommune=b)
    MembershipFactory(user=member_c, kommune=c)
    MembershipFactory(user=coordinator, kommune=kreis, role="koordination")
    db.session.flush()
    req_ab = send_request(member_a, a.id, b.id, "Anfangsdorf fragt Beispielstadt")
    req_cb = send_request(member_c, c.id, b.id, C_TO_B_MESSAGE)
    db.session.commit()
    seed_suggestions(b, [{"partner": c, "explanation_de": B_SUGGESTION, "distance_km": 18.0}])
    ids = {
        "a_id": a.id,
        "b_id": b.id,
        "c_id": c.id,
        "a_ags": a.ags,
        "b_ags": b.ags,
        "req_ab": req_ab.id,
        "req_cb": req_cb.id,
    }
    users = {
        "anonym": None,
        "mitglied_a": member_a,
        "mitglied_b": member_b,
        "koordination": coordinator,
        "admin": admin,
    }
    return Matrix(ids, users)


# (method, url, form data, expected per role in ROLES order)
CASES = [
    ("GET", "/", None, (200, 200, 200, 200, 200)),
    ("GET", "/health", None, (200, 200, 200, 200, 200)),
    ("GET", "/datenschutz", None, (200, 200, 200, 200, 200)),
    ("GET", "/impressum", None, (200, 200, 200, 200, 200)),
    ("GET", "/konto/anmelden", None, (200, 302, 302, 302, 302)),
    ("GET", "/kommunen/", None, (200, 200, 200, 200, 200)),
    ("GET", "/kommunen/{a_ags}", None, (200, 200, 200, 200, 200)),
    ("GET", "/kommunen/{b_ags}", None, (200, 200, 200, 200, 200)),
    ("GET", "/kommunen/00000000", None, (404, 404, 404, 404, 404)),
    ("GET", "/suche/", None, (200, 200, 200, 200, 200)),
    ("GET", "/suche/?max_km=50&kreis=05999", None, (200, 200, 200, 200, 200)),
    ("GET", "/kontakte/", None, ("login", 200, 200, 200, 403)),
    ("GET", "/kontakte/?kommune={a_id}", None, ("login", 200, 403, 403, 403)),
    ("GET", "/kontakte/?kommune={b_id}", None, ("login", 403, 200, 403, 403)),
    ("GET", "/kontakte/anfrage/neu/{b_ags}", None, ("login", 200, 200, 200, 403)),
    ("GET", "/kontakte/anfrage/neu/00000000", None, ("login", 404, 404, 404, 403)),
    (
        "POST",
        "/kontakte/anfrage/neu/{d_ags}",
        {"absender": "{b_id}", "nachricht": "Ich bin B"},
        ("login", 403, "done", 403, 403),
    ),
    (
        "POST",
        "/kontakte/anfrage/neu/{d_ags}",
        {"absender": "{a_id}", "nachricht": "Ich bin A"},
        ("login", "done", 403, 403, 403),
    ),
    ("GET", "/kontakte/anfrage/{req_ab}", None, ("login", 200, 200, 404, 404)),
    ("GET", "/kontakte/anfrage/{req_cb}", None, ("login", 404, 200, 404, 404)),
    ("GET", "/kontakte/anfrage/999999", None, ("login", 404, 404, 404, 404)),
    ("POST", "/kontakte/anfrage/{req_ab}/annehmen", None, ("login", 403, "done", 404, 404)),
    ("POST", "/kontakte/anfrage/{req_ab}/ablehnen", None, ("login", 403, "done", 404, 404)),
    ("POST", "/kontakte/anfrage/{req_ab}/zurueckziehen", None, ("login", "done", 403, 404, 404)),
    ("POST", "/kontakte/anfrage/{req_cb}/annehmen", None, ("login", 404, "done", 404, 404)),
    ("POST", "/kontakte/anfrage/{req_cb}/ablehnen", None, ("login", 404, "done", 404, 404)),
    ("POST", "/kontakte/anfrage/{req_cb}/zurueckziehen", None, ("login", 404, 403, 404, 404)),
    ("GET", "/vorschlaege/", None, ("login", 200, 200, 200, 403)),
    ("GET", "/vorschlaege/?kommune={a_id}", None, ("login", 200, 403, 403, 403)),
    ("GET", "/vorschlaege/?kommune={b_id}", None, ("login", 403, 200, 403, 403)),
    ("POST", "/vorschlaege/{b_id}/nicht-interessiert/{c_id}", None, ("login", 403, "done", 403, 403)),
    ("POST", "/vorschlaege/{a_id}/nicht-interessiert/{c_id}", None, ("login", "done", 403, 403, 403)),
    ("POST", "/vorschlaege/{a_id}/nicht-interessiert/999999", None, ("login", 404, 403, 403, 403)),
]

CASES.append(
    ("POST", "/konto/abmelden", None, ("login", "done", "done", "done", "done"))
)  # last: ends the session

# Blueprints whose every route must appear in CASES (accounts, profile, … add their own rows at merge).
COVERED_BLUEPRINTS = ("kommunen", "kontakte", "vorschlaege", "suche")


def _fill(template: str, ids: dict) -> str:
    return template.format(**ids, d_ags="05999004")


def _outcome(response) -> object:
    """The answer in the matrix' terms: "login", "done" or the status code."""
    location = response.headers.get("Location", "")
    if response.status_code == 302 and "/konto/anmelden" in location:
        return "login"
    if response.status_code == 302 and response.request.method == "POST":
        return "done"
    return response.status_code


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_expected(client, login, matrix, role):
    """One session per role walks all cases in order (reads first, then changes, logout last)."""
    user = matrix.users[role]
    if user is not None:
        login(user)
    mismatches, leaks = [], []
    for method, url, data, expected in CASES:
        path = _fill(url, matrix.ids)
        form = {k: _fill(v, matrix.ids) for k, v in (data or {}).items()}
        response = client.get(path) if method == "GET" else client.post(path, data=form)
        got, want = _outcome(response), expected[ROLES.index(role)]
        if got != want:
            mismatches.append(f"{method} {path}: erwartet {want}, erhalten {got}")
        if role != "mitglied_b" and response.status_code == 200:
            leaks += [f"{path}: {secret}" for secret in B_SECRETS if secret in response.text]
    assert mismatches == []
    assert leaks == [], f"{role} sieht private Daten von B"


def test_matrix_covers_every_route_of_the_covered_blueprints(app):
    covered = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in COVERED_BLUEPRINTS
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    adapter = app.url_map.bind("localhost")
    sample = {
        "a_id": 1,
        "b_id": 2,
        "c_id": 3,
        "req_ab": 4,
        "req_cb": 5,
        "a_ags": "05999001",
        "b_ags": "05999002",
    }
    tested = set()
    for method, url, _data, _expected in CASES:
        rule, _args = adapter.match(_fill(url, sample).split("?")[0], method=method, return_rule=True)
        tested.add((method, rule.rule))
    assert covered - tested == set()


def test_posts_without_csrf_token_are_refused(client, login, matrix, app):
    login(matrix.users["mitglied_b"])
    app.config["WTF_CSRF_ENABLED"] = True
    for path in (
        f"/kontakte/anfrage/{matrix.ids['req_ab']}/annehmen",
        f"/vorschlaege/{matrix.ids['b_id']}/nicht-interessiert/{matrix.ids['c_id']}",
        f"/kontakte/anfrage/neu/{matrix.ids['a_ags']}",
    ):
        assert client.post(path, data={"absender": matrix.ids["b_id"], "nachricht": "x"}).status_code == 400
