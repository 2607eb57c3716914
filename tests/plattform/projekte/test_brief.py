"""The Kooperationssteckbrief: print page and PDF from one template, German and English, 404 for
readers outside the project, a German error page when the PDF cannot be rendered."""

from __future__ import annotations

import io

import pypdf
import pytest

from plattform.extensions import db
from plattform.kontakte.models import Partnership
from plattform.projekte.models import ProjectDuplication
from plattform.projekte.services import join_project, propose_project
from tests.factories import KommuneFactory, MembershipFactory, UserFactory
from tests.plattform.projekte.scenarios import HUND, kommune_at


@pytest.fixture
def brief_world(app):
    kreis = KommuneFactory(ags="05358", ebene="kreis", kind="kreis", name="Düren", population=None)
    kreuzau = kommune_at("05358028", "Kreuzau", 0, 0, kreis=kreis, staerken={HUND: 3}, bedarfe={"e-akte": 2})
    nideggen = kommune_at("05358044", "Nideggen", 8, 0, kreis=kreis, bedarfe={HUND: 2})
    kommune_at("05358008", "Düren, Stadt", 5, 5, kreis=kreis, projekte={HUND: "abgeschlossen"})
    outsider_kommune = KommuneFactory(ags="08311000", name="Freiburg im Breisgau")
    lead = UserFactory(name="Lea Lead", email="lea@kreuzau.example", telefon="02422 123")
    member = UserFactory(name="Nina Nideggen", email="nina@nideggen.example")
    outsider = UserFactory(name="Fritz Fremd")
    MembershipFactory(user=lead, kommune=kreuzau)
    MembershipFactory(user=member, kommune=nideggen)
    MembershipFactory(user=outsider, kommune=outsider_kommune)
    project = propose_project(kreuzau, HUND, "Hundesteuer gemeinsam", "Ein Formular für alle.")
    join_project(project, nideggen.id)
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
    partnership = Partnership(kommune_a_id=kreuzau.id, kommune_b_id=nideggen.id)
    db.session.add(partnership)
    db.session.commit()
    return {
        "project": project,
        "partnership": partnership,
        "lead": lead,
        "member": member,
        "outsider": outsider,
    }


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def test_print_page_shows_participants_topics_lead_reuse_duplication_and_legal_forms(
    brief_world, client, login
):
    login(brief_world["member"])
    project = brief_world["project"]
    page = client.get(f"/projekte/{project.id}/steckbrief")
    assert page.status_code == 200
    html = page.text
    assert "Kooperationssteckbrief" in html and "Hundesteuer gemeinsam" in html
    for fact in ("Kreuzau", "05358028", "Nideggen", "05358044", "12.000", "Federführung:"):
        assert fact in html, fact
    assert "Düren, Stadt" in html  # the reuse source: a finished dog-tax project 7 km away
    assert "9 Kommunen im Kreis Düren arbeiten getrennt an" in html
    for form in ("Öffentlich-rechtliche Vereinbarung", "Zweckverband", "Anstalt des öffentlichen Rechts"):
        assert form in html
    assert "keine Rechtsberatung" in html
    # Nideggen's officer is Kreuzau's partner: Kreuzau's contact shows; so does Nideggen's own.
    assert "lea@kreuzau.example" in html and "nina@nideggen.example" in html


def test_pdf_text_names_partners_topics_and_lead_in_german_and_english(brief_world, client, login):
    login(brief_world["lead"])
    project = brief_world["project"]
    response = client.get(f"/projekte/{project.id}/steckbrief.pdf")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    text = pdf_text(response.data)
    for fact in (
        "Kooperationssteckbrief",
        "Kreuzau",
        "Nideggen",
        "Hundesteuer",
        "Federführung",
        "Zweckverband",
    ):
        assert fact in text, (fact, text)
    english = client.get(f"/projekte/{project.id}/steckbrief.pdf?lang=en")
    text_en = pdf_text(english.data)
    assert "Cooperation brief" in text_en and "Kreuzau" in text_en and "Lead:" in text_en


def test_partnership_brief_as_page_and_pdf(brief_world, client, login):
    login(brief_world["lead"])
    pid = brief_world["partnership"].id
    page = client.get(f"/projekte/partnerschaft/{pid}/steckbrief")
    assert page.status_code == 200 and "Lernpartnerschaft" in page.text and "Kreuzau – Nideggen" in page.text
    text = pdf_text(client.get(f"/projekte/partnerschaft/{pid}/steckbrief.pdf").data)
    assert "Kreuzau" in text and "Nideggen" in text and "Hundesteuer" in text


def test_outsiders_get_404_and_a_failing_pdf_a_german_error_page(brief_world, client, login, monkeypatch):
    project, pid = brief_world["project"], brief_world["partnership"].id
    login(brief_world["outsider"])
    for path in (
        f"/projekte/{project.id}/steckbrief",
        f"/projekte/{project.id}/steckbrief.pdf",
        f"/projekte/partnerschaft/{pid}/steckbrief",
        "/projekte/999999/steckbrief",
    ):
        assert client.get(path).status_code == 404, path
    client.post("/konto/abmelden")
    login(brief_world["lead"])

    # Fault injection: WeasyPrint's rendering fails as it does without Pango (OSError from cffi).
    import weasyprint

    def no_pango(self, *args, **kwargs):
        raise OSError("cannot load library 'libpango-1.0-0'")

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", no_pango)
    response = client.get(f"/projekte/{project.id}/steckbrief.pdf")
    assert response.status_code == 503
    assert "Das PDF konnte gerade nicht erstellt werden" in response.text
    assert f"/projekte/{project.id}/steckbrief" in response.text
