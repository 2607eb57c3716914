"""With the Celery broker unreachable, inviting still stores and mails; the recompute button explains."""

from __future__ import annotations

import pytest

from plattform.extensions import db
from plattform.netzwerke.models import NetzwerkEinladung
from plattform.netzwerke.services import add_member, create_netzwerk
from tests import services
from tests.factories import KommuneFactory, UserFactory


@pytest.fixture
def app_config(app_config):
    """A Redis broker on a port where nothing listens; publishing gives up at once."""
    return services.with_unreachable_broker(app_config)


@pytest.fixture
def net(app):
    """A free network with a coordinator and one member."""
    coordinator = UserFactory(name="Koordinatorin")
    netzwerk = create_netzwerk("Testnetz", "frei", coordinators=[coordinator])
    add_member(netzwerk, KommuneFactory(name="Erstort"))
    db.session.commit()
    return netzwerk, coordinator


def test_invitation_is_stored_and_mailed_directly_when_the_broker_is_down(client, login, net, smtp_server):
    netzwerk, coordinator = net
    other = KommuneFactory(name="Mailort")
    db.session.commit()
    login(coordinator)
    response = client.post(
        f"/netzwerke/{netzwerk.id}/einladen",
        data={"einladen-ags": other.ags, "einladen-email": "cdo@mailort.de"},
    )
    assert response.status_code == 303
    einladung = db.session.query(NetzwerkEinladung).one()
    assert einladung.email == "cdo@mailort.de" and einladung.status == "offen"
    (message,) = smtp_server.messages
    assert message["To"] == "cdo@mailort.de"
    assert f"/netzwerke/einladung/{einladung.token}" in message.get_payload(decode=True).decode("utf-8")


def test_recompute_button_explains_instead_of_failing_when_the_broker_is_down(client, login, net):
    netzwerk, coordinator = net
    login(coordinator)
    response = client.post(f"/netzwerke/{netzwerk.id}/vorschlaege-berechnen")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/netzwerke/{netzwerk.id}/themen")
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert "konnte gerade nicht gestartet werden" in page.text
    assert "werden neu berechnet" not in page.text
