"""Every accounts route × anonymous / member of A / member of B / coordinator of A's Kreis / admin.

A member of one Kommune never decides, reads or changes another's requests by editing ids; the
expected answer per role is written out, and each mutating case checks the state afterwards.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from plattform.accounts.models import KommuneMembership, User
from plattform.extensions import db
from tests.factories import PASSWORD, KommuneFactory, MembershipFactory, UserFactory

ROLES = ("anonymous", "member_a", "member_b", "coordinator", "admin")
LOGIN = "login"  # 302 to the login page


@pytest.fixture
def world(app):
    """Two Kommunen in different Kreise, their members, a coordinator of A's Kreis, an admin, and
    one open request at each Kommune by an applicant."""
    kreis = KommuneFactory(ags="05358", ebene="kreis", kind="kreis", name="Kreis A")
    a = KommuneFactory(ags="05358028", name="Gemeinde A", kreis_id=kreis.id)
    b = KommuneFactory(ags="05162004", name="Gemeinde B")
    users = {
        "member_a": UserFactory(email="a@a.de"),
        "member_b": UserFactory(email="b@b.de"),
        "coordinator": UserFactory(email="k@kreis.de"),
        "admin": UserFactory(email="admin@x.de", is_admin=True),
    }
    MembershipFactory(user=users["member_a"], kommune=a)
    MembershipFactory(user=users["member_b"], kommune=b)
    MembershipFactory(user=users["coordinator"], kommune=kreis, role="koordination")
    applicant = UserFactory(email="applicant@x.de")
    request_a = MembershipFactory(user=applicant, kommune=a, status="beantragt")
    applicant_b = UserFactory(email="applicant-b@x.de")
    request_b = MembershipFactory(user=applicant_b, kommune=b, status="beantragt")
    db.session.commit()
    return {"users": users, "request_a": request_a.id, "request_b": request_b.id, "applicant": applicant.id}


def client_as(app, world, role):
    client = app.test_client()
    if role != "anonymous":
        user = world["users"][role]
        response = client.post("/konto/anmelden", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302
    return client


def check(response, expected):
    if expected == LOGIN:
        assert response.status_code == 302, response.status_code
        assert response.headers["Location"].startswith("/konto/anmelden"), response.headers["Location"]
    else:
        assert response.status_code == expected, response.status_code


PAGES = {
    # path: {role: expected}
    "/konto/": {"anonymous": LOGIN, "member_a": 200, "member_b": 200, "coordinator": 200, "admin": 200},
    "/konto/kommune-beantragen?q=Gemeinde": dict.fromkeys(ROLES[1:], 200) | {"anonymous": LOGIN},
    "/konto/kommune-beantragen?ags=05358028": dict.fromkeys(ROLES[1:], 200) | {"anonymous": LOGIN},
    "/konto/passwort": dict.fromkeys(ROLES[1:], 200) | {"anonymous": LOGIN},
    "/konto/email": dict.fromkeys(ROLES[1:], 200) | {"anonymous": LOGIN},
    "/konto/loeschen": dict.fromkeys(ROLES[1:], 200) | {"anonymous": LOGIN},
    "/konto/daten.json": dict.fromkeys(ROLES[1:], 200) | {"anonymous": LOGIN},
    "/konto/erneut-anmelden": dict.fromkeys(ROLES[1:], 200) | {"anonymous": LOGIN},
    "/freigaben/": {"anonymous": LOGIN, "member_a": 403, "member_b": 403, "coordinator": 200, "admin": 200},
    "/verwaltung/": {"anonymous": LOGIN, "member_a": 403, "member_b": 403, "coordinator": 403, "admin": 200},
    "/verwaltung/protokoll": {
        "anonymous": LOGIN,
        "member_a": 403,
        "member_b": 403,
        "coordinator": 403,
        "admin": 200,
    },
    # Public account pages
    "/konto/anmelden": dict.fromkeys(ROLES, 200) | dict.fromkeys(ROLES[1:], 302),
    "/konto/registrieren": {"anonymous": 200} | dict.fromkeys(ROLES[1:], 302),
    "/konto/registriert": dict.fromkeys(ROLES, 200),
    "/konto/passwort-vergessen": dict.fromkeys(ROLES, 200),
}


def outcome(response):
    if response.status_code == 302 and response.headers["Location"].startswith("/konto/anmelden"):
        return LOGIN
    return response.status_code


@pytest.mark.parametrize("role", ROLES)
def test_pages(app, world, role):
    client = client_as(app, world, role)
    got = {path: outcome(client.get(path)) for path in PAGES}
    expected = {path: PAGES[path][role] for path in PAGES}
    assert got == expected


def status_of(membership_id):
    db.session.expire_all()
    return db.session.get(KommuneMembership, membership_id).status


@pytest.mark.parametrize(
    ("role", "expected", "after"),
    [
        ("anonymous", LOGIN, "beantragt"),
        ("member_a", 404, "beantragt"),
        ("member_b", 404, "beantragt"),
        ("coordinator", 302, "bestaetigt"),
        ("admin", 302, "bestaetigt"),
    ],
)
def test_deciding_a_request_at_a(app, world, role, expected, after):
    response = client_as(app, world, role).post(
        f"/freigaben/{world['request_a']}", data={"entscheidung": "bestaetigen"}
    )
    check(response, expected)
    assert status_of(world["request_a"]) == after


@pytest.mark.parametrize(
    ("role", "expected", "after"),
    [
        ("anonymous", LOGIN, "beantragt"),
        ("member_a", 404, "beantragt"),
        ("member_b", 404, "beantragt"),  # a member of B is no approver of B either
        ("coordinator", 404, "beantragt"),  # B lies outside the coordinator's Kreis
        ("admin", 302, "abgelehnt"),
    ],
)
def test_deciding_a_request_at_b(app, world, role, expected, after):
    response = client_as(app, world, role).post(
        f"/freigaben/{world['request_b']}", data={"entscheidung": "ablehnen"}
    )
    check(response, expected)
    assert status_of(world["request_b"]) == after


@pytest.mark.parametrize("role", ROLES)
def test_deciding_a_request_that_does_not_exist(app, world, role):
    expected = {"anonymous": LOGIN}.get(role, 404)
    check(
        client_as(app, world, role).post("/freigaben/999999", data={"entscheidung": "bestaetigen"}), expected
    )


@pytest.mark.parametrize(
    ("role", "expected", "is_admin_after"),
    [
        ("anonymous", LOGIN, False),
        ("member_a", 403, False),
        ("member_b", 403, False),
        ("coordinator", 403, False),
        ("admin", 302, True),
    ],
)
def test_granting_administration(app, world, role, expected, is_admin_after):
    target = world["users"]["member_b"].id
    check(
        client_as(app, world, role).post(f"/verwaltung/{target}/admin", data={"aktion": "erteilen"}), expected
    )
    db.session.expire_all()
    assert db.session.get(User, target).is_admin is is_admin_after


@pytest.mark.parametrize(
    ("role", "expected", "sessions_after"),
    [
        ("anonymous", LOGIN, 1),
        ("member_a", 403, 1),
        ("member_b", 403, 1),
        ("coordinator", 403, 1),
        ("admin", 302, 0),
    ],
)
def test_ending_someone_elses_sessions(app, world, role, expected, sessions_after):
    from plattform.accounts.sessions import session_count

    target = world["users"]["member_b"]
    if role != "member_b":
        client_as(app, world, "member_b")  # the session to be ended
    check(client_as(app, world, role).post(f"/verwaltung/{target.id}/sitzungen-beenden"), expected)
    db.session.expire_all()
    assert session_count(db.session.get(User, target.id)) == sessions_after


@pytest.mark.parametrize("role", ROLES[1:])
def test_approval_list_shows_only_requests_the_user_may_decide(app, world, role):
    response = client_as(app, world, role).get("/freigaben/")
    if role in ("member_a", "member_b"):
        assert response.status_code == 403
        return
    assert ("applicant@x.de" in response.text) is True
    assert ("applicant-b@x.de" in response.text) is (role == "admin")


@pytest.mark.parametrize("role", ROLES[1:])
def test_data_export_holds_only_the_users_own_data(app, world, role):
    response = client_as(app, world, role).get("/konto/daten.json")
    data = json.loads(response.data)
    own = world["users"][role].email
    assert data["konto"]["email"] == own
    text = response.data.decode()
    others = [u.email for r, u in world["users"].items() if r != role]
    assert not any(email in text for email in others)
    assert "applicant" not in text


@pytest.mark.parametrize("role", ROLES[1:])
def test_requesting_membership_acts_only_for_oneself(app, world, role):
    client = client_as(app, world, role)
    client.post(
        "/konto/kommune-beantragen/05162004", data={"role": "mitglied", "user_id": world["applicant"]}
    )
    applicant_rows = db.session.scalar(
        sa.select(sa.func.count(KommuneMembership.id)).where(KommuneMembership.user_id == world["applicant"])
    )
    assert applicant_rows == 1  # only the original request at A; the extra field is ignored
