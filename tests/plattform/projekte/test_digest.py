"""The projects' and networks' digest sections, through real SMTP: what is new, once, in the reader's
language, with links; the lead and invited officers get notices; a broken section is left out."""

from __future__ import annotations

import re

import sqlalchemy as sa

from plattform.digest.registry import register_digest_section
from plattform.digest.services import deliver_digest
from plattform.extensions import db
from plattform.netzwerke.services import add_member, create_netzwerk, invite
from plattform.projekte.models import ProjectDuplication
from plattform.projekte.proposals import recompute
from plattform.projekte.services import close_project, join_project, leave_project
from tests.factories import KommuneFactory
from tests.plattform.digest.conftest import officer, parsed
from tests.plattform.projekte.scenarios import HUND, open_project_scenario

BASE = "https://kommunalmatch.example.de"


def texts(smtp_server, address):
    """Plain and HTML bodies of the messages to one address, in order."""
    out = []
    for m in smtp_server.messages:
        msg = parsed(m)
        if msg["To"].addresses[0].addr_spec == address:
            body = msg.get_body(("plain",))
            html = msg.get_body(("html",))
            out.append((msg["Subject"], body.get_content(), html.get_content() if html else ""))
    return out


def test_project_section_announces_proposals_and_changes_once(app, smtp_server):
    app.config["BASE_URL"] = BASE
    project, aheim, bedorf, cestadt, _dorf, _edorf = open_project_scenario()
    lead_officer = officer(aheim, name="Lea Lead")
    cestadt_officer = officer(cestadt, name="Carl Cestadt")
    db.session.commit()
    recompute()
    smtp_server.messages.clear()  # the join notice of the scenario is not under test here

    assert deliver_digest(cestadt_officer.id, "2026-W48") == "gesendet"
    ((subject, text, html),) = texts(smtp_server, cestadt_officer.email)
    assert "Gemeinsame Projekte" in text
    assert "Cestadt kann dem Projekt „Hundesteuer gemeinsam“" in text and "Federführung: Aheim" in text
    assert f"{BASE}/projekte/{project.id}" in text
    assert "neuer Projektvorschlag" in subject
    assert "Gemeinsame Projekte</h2>" in html
    assert all(h.startswith(BASE + "/") for h in re.findall(r'href="([^"]+)"', html))

    # The lead hears of Bedorf's join (from the scenario) in its first digest, Aheim's own start not.
    assert deliver_digest(lead_officer.id, "2026-W48") == "gesendet"
    ((_s, lead_text, _h),) = texts(smtp_server, lead_officer.email)
    assert "Bedorf ist dem Projekt „Hundesteuer gemeinsam“ beigetreten." in lead_text
    assert "Aheim ist dem Projekt" not in lead_text

    # Cestadt joins: the lead is told at once (notice) and in the next digest; nothing said twice.
    smtp_server.messages.clear()
    join_project(project, cestadt.id)
    db.session.commit()
    (notice,) = texts(smtp_server, lead_officer.email)
    assert notice[0] == "Cestadt ist „Hundesteuer gemeinsam“ beigetreten"
    assert f"{BASE}/projekte/{project.id}" in notice[1]
    leave_project(project, bedorf.id)
    close_project(project, "Satzung und Formular für alle veröffentlicht.", nachnutzung=True)
    db.session.commit()
    smtp_server.messages.clear()
    assert deliver_digest(lead_officer.id, "2026-W49") == "gesendet"
    ((_s, second, _h),) = texts(smtp_server, lead_officer.email)
    assert "Cestadt ist dem Projekt „Hundesteuer gemeinsam“ beigetreten." in second
    assert "Bedorf hat das Projekt „Hundesteuer gemeinsam“ verlassen." in second
    assert "ist abgeschlossen; das Ergebnis ist veröffentlicht." in second
    assert "Bedorf ist dem Projekt" not in second  # told last week
    # Cestadt: its own join is no news, the closing is; the proposal (gone now) is not repeated.
    assert deliver_digest(cestadt_officer.id, "2026-W49") == "gesendet"
    ((_s, third, _h),) = texts(smtp_server, cestadt_officer.email)
    assert "ist abgeschlossen" in third and "Cestadt ist dem Projekt" not in third
    assert "kann dem Projekt" not in third
    # Nothing new any more: no third e-mail.
    assert deliver_digest(lead_officer.id, "2026-W50") == "leer"


def test_new_proposal_names_lead_and_reuse_source_in_english_for_an_english_reader(app, smtp_server):
    from tests.plattform.projekte.scenarios import kommune_at

    a = kommune_at("05358011", "Adorf", 0, 0, bedarfe={HUND: 2})
    kommune_at("05358012", "Bestadt", 8, 0, bedarfe={HUND: 2})
    kommune_at("05358013", "Cedorf", 4, 6, bedarfe={HUND: 2})
    kommune_at("05358014", "Fertigstadt", 10, 8, staerken={HUND: 3}, projekte={HUND: "abgeschlossen"})
    reader = officer(a, name="Ann English", locale="en")
    db.session.commit()
    recompute()
    assert deliver_digest(reader.id, "2026-W48") == "gesendet"
    ((subject, text, html),) = texts(smtp_server, reader.email)
    assert "Joint projects" in text and "Gemeinsame Projekte" not in text
    assert "lead:" in text
    assert "Fertigstadt" in text  # the reuse source
    assert '<html lang="en">' in html
    assert subject == "Kommunalmatch: 1 new project proposal for Adorf (week 48)"


def test_network_section_invitations_members_and_duplication_for_coordinators(app, smtp_server):
    kreis = KommuneFactory(ags="05358", ebene="kreis", kind="kreis", name="Düren")
    kreuzau = KommuneFactory(ags="05358028", name="Kreuzau", kreis_id=kreis.id)
    nideggen = KommuneFactory(ags="05358044", name="Nideggen", kreis_id=kreis.id)
    coordinator = officer(kreis, name="Kora Koordination")
    kreuzau_officer = officer(kreuzau, name="Kai Kreuzau")
    netzwerk = create_netzwerk("kdvz", "zweckverband", coordinators=[coordinator])
    add_member(netzwerk, nideggen)
    einladung, _member = invite(netzwerk, ags=kreuzau.ags, invited_by=coordinator)
    db.session.add(
        ProjectDuplication(
            ebene="kreis",
            group_key="05358",
            group_name="Kreis Düren",
            thema=HUND,
            count=9,
            ags=[],
            text_de="…",
        )
    )
    db.session.commit()
    # The invitation reached Kreuzau's officer as a notice (through the worker / eager in tests).
    ((notice_subject, notice_text, _h),) = texts(smtp_server, kreuzau_officer.email)
    assert notice_subject == "Einladung in das Netzwerk „kdvz“"
    assert f"/netzwerke/einladung/{einladung.token}" in notice_text
    smtp_server.messages.clear()

    assert deliver_digest(kreuzau_officer.id, "2026-W48") == "gesendet"
    ((_s, text, _h),) = texts(smtp_server, kreuzau_officer.email)
    assert "Kreuzau ist in das Netzwerk „kdvz“ eingeladen." in text
    assert deliver_digest(coordinator.id, "2026-W48") == "gesendet"
    ((_s, ctext, _h),) = texts(smtp_server, coordinator.email)
    assert "Nideggen ist dem Netzwerk „kdvz“ beigetreten." in ctext
    assert "Doppelarbeit in Kreis Düren: 9 Kommunen arbeiten getrennt an" in ctext
    # Next week: the open invitation is only a reminder (no e-mail), the rest is not repeated.
    assert deliver_digest(kreuzau_officer.id, "2026-W49") == "leer"
    assert deliver_digest(coordinator.id, "2026-W49") == "leer"


def test_a_failing_section_is_logged_and_left_out_the_rest_is_sent(app, smtp_server, caplog):
    _project, aheim, *_rest = open_project_scenario()
    reader = officer(aheim, name="Lea Lead")
    db.session.commit()
    smtp_server.messages.clear()  # the join notice

    def broken(user, since, until):
        raise RuntimeError("kaputt")

    register_digest_section("kaputt", 5, broken)
    try:
        assert deliver_digest(reader.id, "2026-W48") == "gesendet"
    finally:
        from plattform.digest import registry

        registry._SECTIONS.pop("kaputt")
    ((_s, text, _h),) = texts(smtp_server, reader.email)
    assert "Bedorf ist dem Projekt" in text
    assert "Abschnitt kaputt der Wochen-E-Mail" in caplog.text
    assert db.session.scalar(sa.text("select count(*) from digest_delivery where status = 'sent'")) == 1
