"""Requesting to speak for a Kommune, approval by coordinators and administrators, e-mails, nav."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from plattform.accounts.models import KommuneMembership
from plattform.accounts.permissions import can_act_for, has_approved_role, may_decide
from plattform.core.models import AuditEvent
from plattform.extensions import db
from tests.factories import KommuneFactory, MembershipFactory, UserFactory
from tests.plattform.accounts.mailbox import bodies, link_path, messages_to, parse


@pytest.fixture
def kreis_setup(app):
    """Kreis K with Gemeinde A, Gemeinde B elsewhere; a coordinator of K and an administrator."""
    kreis = KommuneFactory(ags="05358", ebene="kreis", kind="kreis", name="Kreis Testland")
    a = KommuneFactory(ags="05358028", name="Kreuzau", kreis_id=kreis.id)
    b = KommuneFactory(ags="05162004", name="Anderswo")
    coordinator = UserFactory(email="koordination@kreis.de", name="Koordinatorin")
    MembershipFactory(user=coordinator, kommune=kreis, role="koordination")
    admin = UserFactory(email="admin@plattform.de", name="Admin", is_admin=True)
    db.session.commit()
    return {"kreis": kreis, "a": a, "b": b, "coordinator": coordinator, "admin": admin}


def membership_of(user, kommune):
    db.session.expire_all()
    return db.session.scalar(
        sa.select(KommuneMembership).where(
            KommuneMembership.user_id == user.id, KommuneMembership.kommune_id == kommune.id
        )
    )


def test_search_then_request_then_coordinator_approves(app, client, login, kreis_setup, smtp_server):
    s = kreis_setup
    officer = UserFactory(email="cdo@kreuzau.de", name="Carla")
    db.session.commit()
    login(officer)
    found = client.get("/konto/kommune-beantragen?q=kreuz")
    assert found.status_code == 200 and "Kreuzau" in found.text
    assert "/konto/kommune-beantragen?ags=05358028" in found.text
    by_ags = client.get("/konto/kommune-beantragen?q=05358028")
    assert "Kreuzau" in by_ags.text
    form = client.get("/konto/kommune-beantragen?ags=05358028")
    assert form.status_code == 200 and 'name="message"' in form.text
    assert 'value="koordination"' not in form.text  # coordination only at a Kreis

    sent = client.post(
        "/konto/kommune-beantragen/05358028", data={"role": "mitglied", "message": "Ich bin die CDO."}
    )
    assert sent.status_code == 302
    membership = membership_of(officer, s["a"])
    assert membership.status == "beantragt" and membership.message == "Ich bin die CDO."
    assert not can_act_for(officer, s["a"].id) and not has_approved_role(officer)
    assert "beantragt – wartet auf Freigabe" in client.get("/konto/").text

    # The Kreis coordinator (not the administrator) hears of it, with a link to the approval page.
    (notice,) = messages_to(smtp_server, "koordination@kreis.de")
    assert "Carla" in bodies(notice)[0] and "Ich bin die CDO." in bodies(notice)[0]
    assert link_path(notice, "/freigaben/") == "/freigaben/"
    assert messages_to(smtp_server, "admin@plattform.de") == []

    coordinator = app.test_client()
    coordinator.post(
        "/konto/anmelden", data={"email": "koordination@kreis.de", "password": "Sicheres-Passwort-2026"}
    )
    page = coordinator.get("/freigaben/")
    assert page.status_code == 200 and "Carla" in page.text and "Ich bin die CDO." in page.text
    decided = coordinator.post(f"/freigaben/{membership.id}", data={"entscheidung": "bestaetigen"})
    assert decided.status_code == 302
    assert membership_of(officer, s["a"]).status == "bestaetigt"
    assert can_act_for(officer, s["a"].id)
    assert "Keine offenen Anfragen" in coordinator.get("/freigaben/").text

    (decision,) = messages_to(smtp_server, "cdo@kreuzau.de")
    assert "wurde bestätigt" in bodies(decision)[0]
    assert ">bestätigt<" in client.get("/konto/").text
    events = list(db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)))
    assert [e.action for e in events] == ["membership.requested", "membership.approved"]
    assert events[1].actor_user_id == s["coordinator"].id
    assert events[1].target_type == "user_account" and events[1].target_id == str(officer.id)
    assert events[1].details["ags"] == "05358028"


def test_declined_request_is_told_and_may_be_asked_again(app, client, login, kreis_setup, smtp_server):
    s = kreis_setup
    officer = UserFactory(email="cdo@kreuzau.de")
    membership = MembershipFactory(user=officer, kommune=s["a"], status="beantragt")
    db.session.commit()
    login(s["admin"])
    client.post(f"/freigaben/{membership.id}", data={"entscheidung": "ablehnen"})
    assert membership_of(officer, s["a"]).status == "abgelehnt"
    (mail,) = messages_to(smtp_server, "cdo@kreuzau.de")
    assert "wurde abgelehnt" in bodies(mail)[0]
    # Deciding again changes nothing.
    again = client.post(
        f"/freigaben/{membership.id}", data={"entscheidung": "bestaetigen"}, follow_redirects=True
    )
    assert "bereits entschieden" in again.text
    assert membership_of(officer, s["a"]).status == "abgelehnt"
    client.post("/konto/abmelden")
    login(officer)
    client.post("/konto/kommune-beantragen/05358028", data={"role": "mitglied"})
    assert membership_of(officer, s["a"]).status == "beantragt"


def test_a_second_request_for_the_same_kommune_is_refused(client, login, kreis_setup):
    officer = UserFactory()
    MembershipFactory(user=officer, kommune=kreis_setup["a"], status="beantragt")
    db.session.commit()
    login(officer)
    response = client.post(
        "/konto/kommune-beantragen/05358028", data={"role": "mitglied"}, follow_redirects=True
    )
    assert "besteht bereits eine Anfrage" in response.text
    assert (
        db.session.scalar(
            sa.select(sa.func.count(KommuneMembership.id)).where(KommuneMembership.user_id == officer.id)
        )
        == 1
    )


def test_coordination_is_requested_only_at_a_kreis_and_approved_only_by_admins(
    app, client, login, kreis_setup, smtp_server
):
    s = kreis_setup
    person = UserFactory(email="neu@kreis.de")
    db.session.commit()
    login(person)
    refused = client.post("/konto/kommune-beantragen/05358028", data={"role": "koordination"})
    assert refused.status_code == 422  # not a choice for a Gemeinde
    assert membership_of(person, s["a"]) is None
    assert 'value="koordination"' in client.get("/konto/kommune-beantragen?ags=05358").text
    client.post("/konto/kommune-beantragen/05358", data={"role": "koordination"})
    request = membership_of(person, s["kreis"])
    assert request.role == "koordination" and request.status == "beantragt"
    # Administrators hear of coordination requests; the existing coordinator cannot decide them.
    assert [m["To"] for m in smtp_server.messages] == ["admin@plattform.de"]
    assert not may_decide(s["coordinator"], request)
    assert may_decide(s["admin"], request)


def test_nobody_but_an_admin_decides_their_own_request(client, login, kreis_setup):
    s = kreis_setup
    own = MembershipFactory(user=s["coordinator"], kommune=s["a"], status="beantragt")
    db.session.commit()
    login(s["coordinator"])
    assert "Keine offenen Anfragen" in client.get("/freigaben/").text
    assert client.post(f"/freigaben/{own.id}", data={"entscheidung": "bestaetigen"}).status_code == 404
    assert membership_of(s["coordinator"], s["a"]).status == "beantragt"


def test_unknown_kommune_is_not_found(client, login, kreis_setup):
    user = UserFactory()
    db.session.commit()
    login(user)
    assert client.get("/konto/kommune-beantragen?ags=99999999").status_code == 404
    assert client.post("/konto/kommune-beantragen/99999999", data={"role": "mitglied"}).status_code == 404


def test_navigation_shows_entries_by_role(app, login, kreis_setup):
    s = kreis_setup
    officer = UserFactory()
    db.session.commit()
    anonymous = app.test_client().get("/").text
    assert (
        "Mein Konto" not in anonymous and "Freigaben" not in anonymous and "Administration" not in anonymous
    )

    def nav_of(user):
        c = app.test_client()
        c.post("/konto/anmelden", data={"email": user.email, "password": "Sicheres-Passwort-2026"})
        html = c.get("/").text
        # The header: main navigation with its menus and the account menu under the user's name.
        return html.split("data-km-header")[1].split("</header>")[0]

    officer_nav = nav_of(officer)
    assert (
        "Mein Konto" in officer_nav and "Freigaben" not in officer_nav and "Administration" not in officer_nav
    )
    coordinator_nav = nav_of(s["coordinator"])
    assert "Freigaben" in coordinator_nav and "Administration" not in coordinator_nav
    admin_nav = nav_of(s["admin"])
    assert "Freigaben" in admin_nav and "Administration" in admin_nav


def test_admin_grants_and_revokes_administration_but_not_the_last(app, client, login, kreis_setup):
    s = kreis_setup
    officer = UserFactory(name="Otto")
    db.session.commit()
    login(s["admin"])
    page = client.get("/verwaltung/?q=otto")
    assert page.status_code == 200 and "Otto" in page.text and "Koordinatorin" not in page.text
    client.post(f"/verwaltung/{officer.id}/admin", data={"aktion": "erteilen"})
    db.session.expire_all()
    assert db.session.get(type(officer), officer.id).is_admin
    client.post(f"/verwaltung/{officer.id}/admin", data={"aktion": "entziehen"})
    db.session.expire_all()
    assert not db.session.get(type(officer), officer.id).is_admin
    last = client.post(
        f"/verwaltung/{s['admin'].id}/admin", data={"aktion": "entziehen"}, follow_redirects=True
    )
    assert "letzte Administrationskonto" in last.text
    db.session.expire_all()
    assert db.session.get(type(officer), s["admin"].id).is_admin
    actions = list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions == ["admin.granted", "admin.revoked"]


def test_member_pages_wait_for_an_approved_membership(app, login, kreis_setup):
    from plattform.accounts.permissions import membership_required

    @membership_required
    def member_page():
        return "Mitgliederbereich"

    app.add_url_rule("/test-mitglieder", "test_mitglieder", member_page)
    waiting = UserFactory(email="wartet@kreuzau.de")
    MembershipFactory(user=waiting, kommune=kreis_setup["a"], status="beantragt")
    member = UserFactory(email="mitglied@kreuzau.de")
    MembershipFactory(user=member, kommune=kreis_setup["a"])
    db.session.commit()

    def get_as(user):
        c = app.test_client()
        if user is not None:
            c.post("/konto/anmelden", data={"email": user.email, "password": "Sicheres-Passwort-2026"})
        return c.get("/test-mitglieder")

    assert get_as(None).headers["Location"].startswith("/konto/anmelden")
    pending = get_as(waiting)
    assert pending.status_code == 302 and pending.headers["Location"] == "/konto/"
    assert get_as(member).text == "Mitgliederbereich"
    assert get_as(kreis_setup["coordinator"]).text == "Mitgliederbereich"
    assert get_as(kreis_setup["admin"]).text == "Mitgliederbereich"


def test_a_line_break_in_a_stored_name_does_not_drop_the_approvers_notice(
    client, login, kreis_setup, smtp_server
):
    """Issue 16, finding 13: the subject names the person; a break in it made the mail policy refuse
    the header and the notice was lost without a word. Headers are one line now."""
    officer = UserFactory(email="zeile@kreuzau.de", name="Carla\r\nBcc: fremd@example.org")
    db.session.commit()
    login(officer)
    response = client.post(f"/konto/kommune-beantragen/{kreis_setup['a'].ags}", data={"role": "mitglied"})
    assert response.status_code == 302
    (notice,) = messages_to(smtp_server, "koordination@kreis.de")
    headers = parse(notice)
    assert headers["Subject"] == "Neue Anfrage: Carla Bcc: fremd@example.org möchte für Kreuzau sprechen"
    assert headers["Bcc"] is None
    assert all(m["To"] != "fremd@example.org" for m in smtp_server.messages)
