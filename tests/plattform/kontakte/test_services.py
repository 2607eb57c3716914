"""Contact request rules, partnerships, contact details and e-mail notices (real DB, real SMTP server)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from plattform.extensions import db
from plattform.kontakte.models import ContactRequest, Partnership
from plattform.kontakte.services import (
    ContactError,
    answer_request,
    contact_people,
    declined_pairs,
    may_see_contacts,
    notify,
    partners_of,
    send_request,
    withdraw_request,
)
from tests.plattform.kontakte.helpers import make_world


@pytest.fixture
def world(demo_region):
    return make_world()


def test_request_is_stored_open_with_message(world):
    req = send_request(world.officer_a, world.a.id, world.b.id, "  Wir führen die E-Akte ein.  ")
    db.session.commit()
    assert (req.status, req.message, req.from_user_id) == (
        "offen",
        "Wir führen die E-Akte ein.",
        world.officer_a.id,
    )


def test_no_request_to_itself(world):
    with pytest.raises(ContactError, match="nicht selbst"):
        send_request(world.officer_a, world.a.id, world.a.id, "Hallo")


def test_no_duplicate_open_request_in_either_direction(world):
    send_request(world.officer_a, world.a.id, world.b.id, "Hallo")
    with pytest.raises(ContactError, match="bereits eine offene Anfrage"):
        send_request(world.officer_a, world.a.id, world.b.id, "Nochmal")
    with pytest.raises(ContactError, match="beantworten"):
        send_request(world.officer_b, world.b.id, world.a.id, "Umgekehrt")
    assert db.session.scalar(sa.select(sa.func.count(ContactRequest.id))) == 1


def test_message_longer_than_1000_characters_is_rejected(world):
    with pytest.raises(ContactError, match="1000"):
        send_request(world.officer_a, world.a.id, world.b.id, "x" * 1001)
    assert send_request(world.officer_a, world.a.id, world.b.id, "x" * 1000).id


def test_accepting_creates_one_ordered_partnership_visible_from_both_sides(world):
    req = send_request(world.officer_b, world.b.id, world.a.id, "Hallo Kreuzau")
    partnership = answer_request(req, world.officer_a, accept=True)
    db.session.commit()
    assert partnership.kommune_a_id < partnership.kommune_b_id
    assert {partnership.kommune_a_id, partnership.kommune_b_id} == {world.a.id, world.b.id}
    assert req.status == "angenommen" and req.answered_by_id == world.officer_a.id
    assert [k.ags for k in partners_of(world.a.id)] == [world.b.ags]
    assert [k.ags for k in partners_of(world.b.id)] == [world.a.ags]
    assert partners_of(world.c.id) == []


def test_no_request_to_an_existing_partner(world):
    answer_request(send_request(world.officer_a, world.a.id, world.b.id, "Hallo"), world.officer_b, True)
    with pytest.raises(ContactError, match="bereits Lernpartner"):
        send_request(world.officer_a, world.a.id, world.b.id, "Nochmal")
    with pytest.raises(ContactError, match="bereits Lernpartner"):
        send_request(world.officer_b, world.b.id, world.a.id, "Andersherum")


def test_an_answered_request_cannot_be_answered_again(world):
    req = send_request(world.officer_a, world.a.id, world.b.id, "Hallo")
    answer_request(req, world.officer_b, accept=False)
    with pytest.raises(ContactError, match="nicht mehr offen"):
        answer_request(req, world.officer_b, accept=True)
    assert db.session.scalar(sa.select(sa.func.count(Partnership.id))) == 0


def test_declined_pair_is_recorded_and_not_asked_again(world):
    req = send_request(world.officer_a, world.a.id, world.b.id, "Hallo")
    answer_request(req, world.officer_b, accept=False)
    db.session.commit()
    assert declined_pairs() == {tuple(sorted((world.a.id, world.b.id)))}
    with pytest.raises(ContactError, match="abgelehnt"):
        send_request(world.officer_a, world.a.id, world.b.id, "Bitte doch")


def test_withdrawn_request_frees_the_pair_and_cannot_be_withdrawn_twice(world):
    req = send_request(world.officer_a, world.a.id, world.b.id, "Hallo")
    withdraw_request(req, world.officer_a)
    assert req.status == "zurueckgezogen"
    with pytest.raises(ContactError, match="Nur offene"):
        withdraw_request(req, world.officer_a)
    assert send_request(world.officer_a, world.a.id, world.b.id, "Zweiter Versuch").status == "offen"


def test_contact_details_only_for_partners_and_only_approved_officers(world):
    assert [p.email for p in contact_people(world.b.id)] == ["bernd.aldenhoff@aldenhoven.de"]
    assert not may_see_contacts(world.officer_a, world.b.id)
    req = send_request(world.officer_a, world.a.id, world.b.id, "Hallo")
    db.session.commit()
    assert not may_see_contacts(world.officer_a, world.b.id)  # asking is not enough
    answer_request(req, world.officer_b, accept=True)
    db.session.commit()
    assert may_see_contacts(world.officer_a, world.b.id)
    assert may_see_contacts(world.officer_b, world.a.id)
    assert not may_see_contacts(world.officer_c, world.b.id)
    assert not may_see_contacts(world.coordinator, world.b.id)
    assert not may_see_contacts(None, world.b.id)


def test_notice_of_a_new_request_reaches_the_approved_officers_in_german_plain_and_html(world, smtp_server):
    req = send_request(world.officer_a, world.a.id, world.b.id, "Wir möchten von Ihrem Mängelmelder lernen.")
    db.session.commit()
    assert notify(req.id, "gesendet") == 1
    (msg,) = smtp_server.messages
    assert msg["To"] == "bernd.aldenhoff@aldenhoven.de"  # not the pending member
    assert "Kontaktanfrage von Kreuzau" in msg["Subject"]
    plain, html = (part.get_payload(decode=True).decode() for part in msg.get_payload())
    assert "Wir möchten von Ihrem Mängelmelder lernen." in plain
    assert f"/kontakte/anfrage/{req.id}" in plain
    assert "<blockquote" in html and "Mängelmelder" in html
    assert "anna.kreuzer@kreuzau.de" not in plain + html  # contact details only after acceptance


def test_notice_of_acceptance_goes_to_the_asking_side(world, smtp_server):
    req = send_request(world.officer_a, world.a.id, world.b.id, "Hallo")
    answer_request(req, world.officer_b, accept=True)
    db.session.commit()
    notify(req.id, "beantwortet")
    (msg,) = smtp_server.messages
    assert msg["To"] == "anna.kreuzer@kreuzau.de"
    assert "Aldenhoven hat Ihre Kontaktanfrage angenommen" in msg["Subject"]
