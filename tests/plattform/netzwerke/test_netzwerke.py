"""Networks: invitations by AGS and e-mail, acceptance, removal, profile import, coordination rights."""

from __future__ import annotations

import json

import pytest

from plattform.accounts.permissions import can_edit_profile, coordinated_kommune_ids
from plattform.extensions import db
from plattform.netzwerke.models import Netzwerk, NetzwerkEinladung, NetzwerkMitglied
from plattform.netzwerke.services import (
    NetzwerkError,
    accept_invitation,
    add_member,
    coordinated_member_ids,
    create_netzwerk,
    invite,
    network_memberships,
)
from plattform.profile.services import get_profile
from tests.factories import KommuneFactory, MembershipFactory, UserFactory


@pytest.fixture
def net(app):
    """A free network with a coordinator and one member."""
    coordinator = UserFactory(name="Koordinatorin")
    member = KommuneFactory(name="Erstort")
    netzwerk = create_netzwerk("Testnetz", "frei", coordinators=[coordinator])
    add_member(netzwerk, member)
    db.session.commit()
    return netzwerk, coordinator, member


def _counts():
    db.session.expire_all()
    return (
        db.session.query(NetzwerkMitglied).count(),
        db.session.query(NetzwerkEinladung).count(),
    )


def test_inviting_an_unknown_ags_is_refused_by_service_and_page_and_nothing_changes(client, app, login, net):
    netzwerk, coordinator, _ = net
    before = _counts()
    with pytest.raises(NetzwerkError, match=r"Die AGS 09999999 ist nicht im Gemeindeverzeichnis\."):
        invite(netzwerk, ags="09999999", invited_by=coordinator)
    db.session.rollback()
    login(coordinator)
    response = client.post(f"/netzwerke/{netzwerk.id}/einladen", data={"einladen-ags": "09999999"})
    assert response.status_code == 422
    assert 'id="einladen-ags-fehler" role="alert"' in response.text
    assert "Die AGS 09999999 ist nicht im Gemeindeverzeichnis." in response.text
    assert _counts() == before


def test_inviting_the_same_kommune_twice_or_a_member_is_refused(client, app, login, net):
    netzwerk, coordinator, member = net
    other = KommuneFactory(name="Zweitort")
    db.session.commit()
    login(coordinator)
    first = client.post(f"/netzwerke/{netzwerk.id}/einladen", data={"einladen-ags": other.ags})
    assert first.status_code == 303
    after_first = _counts()
    assert after_first[1] == 1  # an invitation, not yet a member
    again = client.post(f"/netzwerke/{netzwerk.id}/einladen", data={"einladen-ags": other.ags})
    assert again.status_code == 422 and "Zweitort ist bereits eingeladen." in again.text
    member_again = client.post(f"/netzwerke/{netzwerk.id}/einladen", data={"einladen-ags": member.ags})
    assert (
        member_again.status_code == 422
        and "Erstort ist bereits Mitglied dieses Netzwerks." in member_again.text
    )
    assert _counts() == after_first


def test_invited_kommunes_officer_accepts_on_the_invitation_page(client, app, login, net):
    netzwerk, coordinator, _ = net
    other = KommuneFactory(name="Zweitort")
    officer = MembershipFactory(kommune=other).user
    einladung, member = invite(netzwerk, ags=other.ags, invited_by=coordinator)
    db.session.commit()
    assert member is None
    login(officer)
    kommune_page = client.get(f"/kommunen/{other.ags}").text
    assert f"/netzwerke/einladung/{einladung.token}" in kommune_page
    response = client.post(
        f"/netzwerke/einladung/{einladung.token}", data={"kommune_id": other.id, "antwort": "annehmen"}
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert other.id in {m.kommune_id for m in db.session.get(Netzwerk, netzwerk.id).mitglieder}
    assert "Testnetz" in client.get(f"/kommunen/{other.ags}").text


def test_an_officer_of_another_kommune_cannot_accept(client, app, login, net):
    netzwerk, coordinator, _ = net
    invited, stranger_kommune = KommuneFactory(), KommuneFactory()
    stranger = MembershipFactory(kommune=stranger_kommune).user
    einladung, _ = invite(netzwerk, ags=invited.ags, invited_by=coordinator)
    db.session.commit()
    login(stranger)
    response = client.post(
        f"/netzwerke/einladung/{einladung.token}",
        data={"kommune_id": stranger_kommune.id, "antwort": "annehmen"},
    )
    assert response.status_code == 403
    with pytest.raises(NetzwerkError, match="gilt für eine andere Kommune"):
        accept_invitation(einladung, stranger_kommune, stranger)


def test_invitation_by_email_sends_a_link_over_smtp(client, app, login, net, smtp_server):
    netzwerk, coordinator, _ = net
    other = KommuneFactory(name="Mailort")
    db.session.commit()
    login(coordinator)
    response = client.post(
        f"/netzwerke/{netzwerk.id}/einladen",
        data={"einladen-ags": other.ags, "einladen-email": "cdo@mailort.de"},
    )
    assert response.status_code == 303
    einladung = db.session.query(NetzwerkEinladung).one()
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "cdo@mailort.de"
    body = message.get_payload(decode=True).decode("utf-8")
    assert f"http://localhost/netzwerke/einladung/{einladung.token}" in body
    assert "Testnetz" in body and "Mailort" in body


def test_admin_adds_directly_and_kreis_coordinator_adds_own_gemeinden_directly(app):
    kreis = KommuneFactory(ags="05358", ebene="kreis", kind="kreis", name="Düren")
    inside, outside = KommuneFactory(kreis_id=kreis.id), KommuneFactory()
    kreis_coordinator = MembershipFactory(kommune=kreis, role="koordination").user
    netzwerk = create_netzwerk("Kreisnetz", "kreis", kreis=kreis, coordinators=[kreis_coordinator])
    einladung, member = invite(netzwerk, ags=inside.ags, invited_by=kreis_coordinator)
    assert einladung is None and member.kommune_id == inside.id
    einladung, member = invite(netzwerk, ags=outside.ags, invited_by=kreis_coordinator)
    assert member is None and einladung.kommune_id == outside.id
    with pytest.raises(NetzwerkError, match="Für Düren gibt es bereits"):
        create_netzwerk("Zweites Kreisnetz", "kreis", kreis=kreis)


def test_kreis_coordinator_creates_the_network_of_its_kreis_with_its_gemeinden(client, app, login):
    kreis = KommuneFactory(ags="05358", ebene="kreis", kind="kreis", name="Düren")
    gemeinden = [KommuneFactory(kreis_id=kreis.id) for _ in range(3)]
    other_kreis = KommuneFactory(ags="05334", ebene="kreis", kind="kreis", name="Aachen")
    user = MembershipFactory(kommune=kreis, role="koordination").user
    db.session.commit()
    login(user)
    assert client.get("/netzwerke/neu").status_code == 200
    refused = client.post(
        "/netzwerke/neu", data={"name": "Fremdkreis", "art": "kreis", "kreis_ags": other_kreis.ags}
    )
    assert refused.status_code == 422 and "Sie koordinieren diesen Kreis nicht." in refused.text
    ok = client.post(
        "/netzwerke/neu",
        data={"name": "Kreis Düren digital", "art": "kreis", "kreis_ags": "05358", "gemeinden": "y"},
    )
    assert ok.status_code == 303
    netzwerk = db.session.query(Netzwerk).one()
    assert {m.kommune_id for m in netzwerk.mitglieder} == {g.id for g in gemeinden}
    assert [c.user_id for c in netzwerk.koordination] == [user.id]


def test_a_plain_member_cannot_create_networks(client, app, login):
    user = MembershipFactory().user
    db.session.commit()
    login(user)
    assert client.get("/netzwerke/neu").status_code == 403


def test_coordination_provider_gives_coordinators_their_members_and_memberships_are_exposed(app, net):
    netzwerk, coordinator, member = net
    assert member.id in coordinated_kommune_ids(coordinator)
    assert can_edit_profile(coordinator, member.id)
    assert not can_edit_profile(coordinator, KommuneFactory().id)
    assert network_memberships() == [(member.id, netzwerk.id)]


def test_removing_a_member(client, app, login, net):
    netzwerk, coordinator, member = net
    login(coordinator)
    response = client.post(f"/netzwerke/{netzwerk.id}/mitglieder/{member.id}/entfernen")
    assert response.status_code == 303
    assert _counts()[0] == 0
    # Our provider directly: tests/plattform/accounts registers a provider of its own that stays.
    assert member.id not in coordinated_member_ids(coordinator)


def test_import_profiles_only_for_members_all_or_nothing(client, app, login, net, tmp_path):
    netzwerk, coordinator, member = net
    outsider = KommuneFactory(name="Außenort")
    db.session.commit()
    login(coordinator)
    bad = tmp_path / "profile.json"
    bad.write_text(
        json.dumps(
            [{"ags": member.ags, "staerken": {"e-akte": 3}}, {"ags": outsider.ags, "bedarfe": {"e-akte": 1}}]
        ),
        encoding="utf-8",
    )
    with bad.open("rb") as fh:
        response = client.post(
            f"/netzwerke/{netzwerk.id}/import",
            data={"import-datei": (fh, "profile.json")},
            content_type="multipart/form-data",
        )
    assert response.status_code == 422
    assert "Außenort" in response.text and "ist nicht Mitglied dieses Netzwerks" in response.text
    db.session.expire_all()
    assert get_profile(member.id) is None and get_profile(outsider.id) is None

    good = tmp_path / "gut.json"
    good.write_text(json.dumps([{"ags": member.ags, "staerken": {"e-akte": 3}}]), encoding="utf-8")
    with good.open("rb") as fh:
        response = client.post(
            f"/netzwerke/{netzwerk.id}/import",
            data={"import-datei": (fh, "gut.json")},
            content_type="multipart/form-data",
        )
    assert response.status_code == 303
    db.session.expire_all()
    assert get_profile(member.id).staerken == {"e-akte": 3}


def test_import_of_a_malformed_file_names_line_and_field(client, app, login, net, tmp_path):
    netzwerk, coordinator, member = net
    login(coordinator)
    bad = tmp_path / "kaputt.json"
    bad.write_text(json.dumps([{"ags": member.ags, "staerken": {"e-akte": 7}}]), encoding="utf-8")
    with bad.open("rb") as fh:
        response = client.post(
            f"/netzwerke/{netzwerk.id}/import",
            data={"import-datei": (fh, "kaputt.json")},
            content_type="multipart/form-data",
        )
    assert response.status_code == 422
    assert "kaputt.json" in response.text and "staerken" in response.text
    assert "Es wurde nichts importiert." in response.text
    db.session.expire_all()
    assert get_profile(member.id) is None
