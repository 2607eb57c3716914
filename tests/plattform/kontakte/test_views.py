"""Contact pages: request form, lists, answering, contact details, partnerships on both Kommune pages."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from plattform.extensions import db
from plattform.kontakte.models import ContactRequest, Partnership
from plattform.kontakte.services import send_request
from tests.plattform.kontakte.helpers import ALDENHOVEN, KREUZAU, make_world


@pytest.fixture
def world(demo_region):
    return make_world()


def _send(client, login, world, message="Wir möchten von Ihren Digitallotsen lernen."):
    login(world.officer_a)
    return client.post(
        f"/kontakte/anfrage/neu/{ALDENHOVEN}", data={"absender": world.a.id, "nachricht": message}
    )


def _only_request() -> ContactRequest:
    return db.session.scalars(sa.select(ContactRequest)).one()


def test_full_flow_contacts_hidden_before_and_shown_after_acceptance(client, app, login, world, smtp_server):
    response = _send(client, login, world)
    assert response.status_code == 302
    req = _only_request()
    assert (req.from_kommune_id, req.to_kommune_id, req.status) == (world.a.id, world.b.id, "offen")
    assert [m["To"] for m in smtp_server.messages] == ["bernd.aldenhoff@aldenhoven.de"]

    outgoing = client.get("/kontakte/").text
    assert "Aldenhoven" in outgoing and "Zurückziehen" in outgoing
    before = client.get(f"/kontakte/anfrage/{req.id}").text
    assert "bernd.aldenhoff@aldenhoven.de" not in before and "02464 5860" not in before
    assert "erst" in before or "sobald" in before

    client.post("/konto/abmelden")
    login(world.officer_b)
    incoming = client.get("/kontakte/").text
    assert "Kreuzau" in incoming and "Wir möchten von Ihren Digitallotsen lernen." in incoming
    assert "anna.kreuzer@kreuzau.de" not in incoming
    assert client.post(f"/kontakte/anfrage/{req.id}/annehmen").status_code == 302
    db.session.expire_all()
    assert _only_request().status == "angenommen"
    after_b = client.get(f"/kontakte/anfrage/{req.id}").text
    assert "anna.kreuzer@kreuzau.de" in after_b and "02422 507-100" in after_b
    assert "Digitalisierungsbeauftragte" in after_b
    assert smtp_server.messages[-1]["To"] == "anna.kreuzer@kreuzau.de"

    client.post("/konto/abmelden")
    login(world.officer_a)
    after_a = client.get(f"/kontakte/anfrage/{req.id}").text
    assert "bernd.aldenhoff@aldenhoven.de" in after_a and "CDO" in after_a
    assert "paul.wartend@aldenhoven.de" not in after_a  # not approved, never a contact


def test_partnership_is_shown_on_both_kommune_pages_contacts_only_to_partners(client, login, world):
    req = send_request(world.officer_a, world.a.id, world.b.id, "Hallo")
    db.session.commit()
    login(world.officer_b)
    client.post(f"/kontakte/anfrage/{req.id}/annehmen")
    client.post("/konto/abmelden")

    page_a, page_b = client.get(f"/kommunen/{KREUZAU}").text, client.get(f"/kommunen/{ALDENHOVEN}").text
    assert "Lernpartnerschaften" in page_a and f'href="/kommunen/{ALDENHOVEN}"' in page_a
    assert "Lernpartnerschaften" in page_b and f'href="/kommunen/{KREUZAU}"' in page_b
    assert "bernd.aldenhoff@aldenhoven.de" not in page_b  # the public sees names only

    login(world.officer_a)
    assert "bernd.aldenhoff@aldenhoven.de" in client.get(f"/kommunen/{ALDENHOVEN}").text
    client.post("/konto/abmelden")
    login(world.officer_c)
    assert "bernd.aldenhoff@aldenhoven.de" not in client.get(f"/kommunen/{ALDENHOVEN}").text


def test_empty_message_shows_the_error_next_to_the_field(client, login, world):
    response = _send(client, login, world, message="")
    assert response.status_code == 422
    assert 'role="alert"' in response.text and "Bitte schreiben Sie eine kurze Nachricht." in response.text
    assert 'aria-invalid="true"' in response.text
    assert db.session.scalar(sa.select(sa.func.count(ContactRequest.id))) == 0


def test_request_to_own_kommune_is_refused_with_a_message(client, login, world):
    login(world.officer_a)
    response = client.post(
        f"/kontakte/anfrage/neu/{KREUZAU}", data={"absender": world.a.id, "nachricht": "Hi"}
    )
    assert response.status_code == 422 and "nicht selbst" in response.text


def test_duplicate_request_is_refused(client, login, world):
    assert _send(client, login, world).status_code == 302
    response = client.post(
        f"/kontakte/anfrage/neu/{ALDENHOVEN}", data={"absender": world.a.id, "nachricht": "Nochmal"}
    )
    assert response.status_code == 422 and "bereits eine offene Anfrage" in response.text


def test_sending_in_the_name_of_a_foreign_kommune_is_forbidden(client, login, world):
    login(world.officer_a)
    response = client.post(
        f"/kontakte/anfrage/neu/{ALDENHOVEN}", data={"absender": world.c.id, "nachricht": "Ich bin Nideggen"}
    )
    assert response.status_code in (403, 422)
    assert db.session.scalar(sa.select(sa.func.count(ContactRequest.id))) == 0


def test_decline_is_recorded_and_the_sender_is_told(client, login, world, smtp_server):
    req = send_request(world.officer_a, world.a.id, world.b.id, "Hallo")
    db.session.commit()
    login(world.officer_b)
    client.post(f"/kontakte/anfrage/{req.id}/ablehnen")
    db.session.expire_all()
    assert _only_request().status == "abgelehnt"
    assert "abgelehnt" in smtp_server.messages[-1]["Subject"]
    assert db.session.scalar(sa.select(sa.func.count(Partnership.id))) == 0


def test_withdraw_only_by_the_sender(client, login, world):
    req = send_request(world.officer_a, world.a.id, world.b.id, "Hallo")
    db.session.commit()
    login(world.officer_b)
    assert client.post(f"/kontakte/anfrage/{req.id}/zurueckziehen").status_code == 403
    client.post("/konto/abmelden")
    login(world.officer_a)
    assert client.post(f"/kontakte/anfrage/{req.id}/annehmen").status_code == 403  # not one's own to accept
    assert client.post(f"/kontakte/anfrage/{req.id}/zurueckziehen").status_code == 302
    db.session.expire_all()
    assert _only_request().status == "zurueckgezogen"


def test_member_of_c_cannot_read_or_answer_a_b_requests_by_editing_ids(client, login, world):
    req = send_request(world.officer_a, world.a.id, world.b.id, "Vertraulich: unser Budget")
    db.session.commit()
    login(world.officer_c)
    assert client.get(f"/kontakte/anfrage/{req.id}").status_code == 404
    for action in ("annehmen", "ablehnen", "zurueckziehen"):
        assert client.post(f"/kontakte/anfrage/{req.id}/{action}").status_code == 404
    assert client.get(f"/kontakte/?kommune={world.b.id}").status_code == 403
    assert "Vertraulich" not in client.get("/kontakte/").text
    db.session.expire_all()
    assert _only_request().status == "offen"


def test_anonymous_is_sent_to_login_and_account_without_membership_is_forbidden(client, login, world):
    assert client.get("/kontakte/").status_code == 302
    assert client.get(f"/kontakte/anfrage/neu/{ALDENHOVEN}").status_code == 302
    login(world.nobody)
    assert client.get("/kontakte/").status_code == 403
    assert client.get(f"/kontakte/anfrage/neu/{ALDENHOVEN}").status_code == 403


def test_form_preselects_the_sender_and_unknown_target_is_404(client, login, world):
    login(world.officer_a)
    page = client.get(f"/kontakte/anfrage/neu/{ALDENHOVEN}?von={world.a.id}")
    assert page.status_code == 200 and "Anfrage an Aldenhoven" in page.text
    assert client.get("/kontakte/anfrage/neu/99999999").status_code == 404


def _request_page_as_recipient(client, login, world) -> str:
    req = send_request(world.officer_a, world.a.id, world.b.id, "Wir möchten von Ihren Digitallotsen lernen.")
    db.session.commit()
    login(world.officer_b)
    return client.get(f"/kontakte/anfrage/{req.id}").text


def test_request_page_shows_the_recipient_why_the_pair_fits_from_its_own_side(client, login, world):
    """Aldenhoven's own stored suggestion of Kreuzau: what Aldenhoven learns comes first."""
    from tests.plattform.kontakte.helpers import seed_suggestions

    seed_suggestions(
        world.b,
        [
            {
                "partner": world.a,
                "teaches_me": ["e-akte"],
                "learns_from_me": ["digitallotsen"],
                "distance_km": 18.0,
            }
        ],
    )
    page = _request_page_as_recipient(client, login, world)
    section = page[page.index('id="warum-passt"') :]
    assert "Warum Kreuzau zu Aldenhoven passt" in section
    assert (
        "Aldenhoven kann von Kreuzau im Thema „DMS/E-Akte“ lernen; im Gegenzug kann Kreuzau von Aldenhoven "
        "im Thema „Digitallotsen“ lernen; 18 km entfernt." in section
    )
    assert "Passt sehr gut" in section and "Alle Gründe" in section
    # the sender's name links to its Kommune page
    assert f'Von: <a class="kern-link" href="/kommunen/{KREUZAU}">Kreuzau</a>' in page


def test_request_page_swaps_the_senders_suggestion_to_the_recipients_side(client, login, world):
    """Only Kreuzau's list holds the pair: its facts are turned round for Aldenhoven."""
    from tests.plattform.kontakte.helpers import seed_suggestions

    seed_suggestions(
        world.a,
        [
            {
                "partner": world.b,
                "teaches_me": ["digitallotsen"],
                "learns_from_me": ["e-akte"],
                "distance_km": 18.0,
            }
        ],
    )
    section = _request_page_as_recipient(client, login, world).split('id="warum-passt"')[1]
    assert (
        "Aldenhoven kann von Kreuzau im Thema „DMS/E-Akte“ lernen; im Gegenzug kann Kreuzau von Aldenhoven "
        "im Thema „Digitallotsen“ lernen; 18 km entfernt." in section
    )
    assert "Aldenhoven lernt von Kreuzau" in section


def test_request_page_computes_the_facts_when_no_list_holds_the_pair(client, login, world):
    from matching.profiles import ProfileData
    from plattform.profile.services import save_profile

    save_profile(
        world.a, ProfileData(ags=KREUZAU, staerken={"e-akte": 3}, bedarfe={"digitallotsen": 2}), notify=False
    )
    save_profile(
        world.b,
        ProfileData(ags=ALDENHOVEN, staerken={"digitallotsen": 2}, bedarfe={"e-akte": 3}),
        notify=False,
    )
    db.session.commit()
    section = _request_page_as_recipient(client, login, world).split('id="warum-passt"')[1]
    assert (
        "Aldenhoven kann von Kreuzau im Thema „DMS/E-Akte“ lernen; im Gegenzug kann Kreuzau von Aldenhoven"
        in section
    )
    assert "„DMS/E-Akte“ (Kreuzau: Expertise)" in section
    assert " km entfernt" in section


def test_a_request_to_the_kreis_names_it_kreis_dueren_not_the_town(client, login, world):
    """The Kreis row is called "Düren" in the directory, like the town: lists, the request page and
    the digest text say "Kreis Düren"."""
    from datetime import timedelta

    from plattform.core.clock import utcnow
    from plattform.kontakte.digest import contact_requests_section

    req = send_request(world.officer_a, world.a.id, world.kreis.id, "Wir möchten vom Kreis lernen.")
    db.session.commit()
    login(world.officer_a)
    outgoing = client.get("/kontakte/").text.split("Anfragen von", 1)[1]
    assert ">Kreis Düren</a>" in outgoing and ">Düren</a>" not in outgoing
    detail = client.get(f"/kontakte/anfrage/{req.id}").text
    assert "Ihre Anfrage an Kreis Düren" in detail
    client.post("/konto/abmelden")
    login(world.coordinator)
    incoming = client.get("/kontakte/").text
    assert "Anfragen an Kreis Düren" in incoming
    now = utcnow()
    section = contact_requests_section(world.coordinator, now - timedelta(days=7), now + timedelta(minutes=1))
    texts = [item.text_de for item in section.items]
    assert any("Kreuzau möchte mit Kreis Düren eine Lernpartnerschaft beginnen" in t for t in texts), texts
