"""Ids in web addresses beyond PostgreSQL's integer range name nothing: 404, never a database error."""

from __future__ import annotations

import pytest

from plattform.extensions import db
from plattform.netzwerke.services import create_netzwerk
from tests.factories import MembershipFactory

# {k}: a Kommune the administrator acts for, {n}: a network; {huge}: the id under test.
ROUTES = [
    ("GET", "/projekte/{huge}"),
    ("POST", "/projekte/{huge}/beitreten"),
    ("POST", "/projekte/vorschlaege/{huge}/anlegen"),
    ("GET", "/netzwerke/{huge}"),
    ("GET", "/netzwerke/{huge}/themen"),
    ("POST", "/netzwerke/{n}/mitglieder/{huge}/entfernen"),
    ("POST", "/netzwerke/{n}/einladungen/{huge}/zurueckziehen"),
    ("GET", "/kontakte/anfrage/{huge}"),
    ("POST", "/kontakte/anfrage/{huge}/annehmen"),
    ("POST", "/vorschlaege/{k}/nicht-interessiert/{huge}"),
    ("POST", "/vorschlaege/{huge}/nicht-interessiert/{k}"),
    ("POST", "/freigaben/{huge}"),
    ("POST", "/verwaltung/{huge}/admin"),
    ("POST", "/konto/api-tokens/{huge}/widerrufen"),
]


@pytest.fixture
def admin(app, login):
    """A logged-in administrator who also acts for a Kommune and coordinates a network."""
    membership = MembershipFactory(user__is_admin=True)
    netzwerk = create_netzwerk("Testnetz", "frei", coordinators=[membership.user])
    db.session.commit()
    login(membership.user)
    return {"k": membership.kommune_id, "n": netzwerk.id}


@pytest.mark.parametrize("huge", [2**31, 2**63], ids=["2hoch31", "2hoch63"])
@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_ids_beyond_the_integer_column_answer_404(client, admin, method, path, huge):
    response = client.open(path.format(huge=huge, **admin), method=method)
    assert response.status_code == 404


def test_ids_within_the_range_still_reach_the_view(client, admin):
    # The largest id PostgreSQL's integer holds is matched and looked up (and not found).
    assert client.get(f"/projekte/{2**31 - 1}").status_code == 404
    assert client.get(f"/netzwerke/{admin['n']}").status_code == 200
