"""Freshness (issue 14 item 4): "Stand: …" under the list, and after a profile edit a visible
"wird neu berechnet" until the worker has answered; explanations older than the edit are not shown."""

from __future__ import annotations

import pytest

from matching.profiles import ProfileData
from plattform.extensions import db
from plattform.profile.services import save_profile
from plattform.vorschlaege.services import (
    current_suggestions,
    list_freshness,
    recompute_full,
    recompute_kommunen,
)
from tests.plattform.kontakte.helpers import ALDENHOVEN, KREUZAU, make_world

OLD_REASON = "Kreuzau kann von Aldenhoven im Thema „Digitallotsen“ lernen"
NOT_CURRENT = "Die Begründung wird nach der letzten Profiländerung neu berechnet."


def _kreuzau(needs: dict) -> ProfileData:
    return ProfileData(ags=KREUZAU, staerken={"e-akte": 3}, bedarfe=needs, offen_fuer=("lernpartnerschaft",))


@pytest.fixture
def world(demo_region):
    world = make_world()
    save_profile(world.a, _kreuzau({"digitallotsen": 3}), notify=False)
    save_profile(
        world.b,
        ProfileData(ags=ALDENHOVEN, staerken={"digitallotsen": 3, "open-data": 2}, bedarfe={"e-akte": 3}),
        notify=False,
    )
    db.session.commit()
    recompute_full()
    assert world.b.id in [s.partner_id for s in current_suggestions(world.a.id)]
    return world


@pytest.fixture
def worker_stopped(app, monkeypatch):
    """Tasks are queued on the in-memory broker and nobody runs them (the worker is down)."""
    monkeypatch.setattr(app.extensions["celery"].conf, "task_always_eager", False)


def test_the_dashboard_says_when_its_list_was_computed(client, login, world):
    login(world.officer_a)
    text = client.get("/vorschlaege/").text
    assert 'class="kern-body kern-body--small km-stand">Stand: ' in text
    assert "wird neu berechnet" not in text and OLD_REASON in text


def test_after_a_profile_edit_with_the_worker_stopped_the_old_reasons_are_not_shown(
    client, login, world, worker_stopped
):
    # Kreuzau no longer needs Digitallotsen; nobody recomputes
    save_profile(world.a, _kreuzau({"open-data": 2}), user_id=world.officer_a.id)
    db.session.commit()
    assert list_freshness(world.a.id).pending
    login(world.officer_a)
    text = client.get("/vorschlaege/").text
    assert "wird neu berechnet" in text and "Stand: " in text
    assert "Die Vorschläge werden neu berechnet" in text
    assert OLD_REASON not in text and "Alle Gründe" not in text  # the removed need is not named
    assert NOT_CURRENT in text

    # the worker answers: the list is current again, with the new reason
    recompute_kommunen([world.a.id])
    text = client.get("/vorschlaege/").text
    assert "wird neu berechnet" not in text and NOT_CURRENT not in text
    assert OLD_REASON not in text
    assert "Kreuzau kann von Aldenhoven im Thema „Open Data“ lernen" in text


def test_a_partners_edit_marks_only_its_card_until_recomputed(client, login, world, worker_stopped):
    save_profile(world.b, ProfileData(ags=ALDENHOVEN, staerken={"open-data": 2}, bedarfe={"e-akte": 3}))
    db.session.commit()
    fresh = list_freshness(world.a.id, [world.b.id])
    assert not fresh.pending and fresh.stale_partners == {world.b.id}
    login(world.officer_a)
    text = client.get("/vorschlaege/").text
    assert "wird neu berechnet" not in text
    card = text[text.index(f'id="vorschlag-{world.b.id}"') :]
    card = card[: card.index("</li>")]
    assert NOT_CURRENT in card and "Digitallotsen" not in card
    recompute_kommunen([world.b.id])
    assert list_freshness(world.a.id, [world.b.id]).stale_partners == set()


def test_the_digest_preview_says_stand_and_pending(client, login, world, worker_stopped):
    login(world.officer_a)
    text = client.get("/digest/vorschau").text
    assert "Stand: " in text and "wird neu berechnet" not in text
    save_profile(world.a, _kreuzau({"open-data": 2}))
    db.session.commit()
    assert "wird neu berechnet" in client.get("/digest/vorschau").text


def test_the_kommune_page_and_the_request_page_do_not_show_a_stale_reason(
    client, login, world, worker_stopped
):
    from plattform.kontakte.services import send_request

    save_profile(world.a, _kreuzau({"open-data": 2}))
    req = send_request(world.officer_a, world.a.id, world.b.id, "Hallo")
    db.session.commit()
    login(world.officer_a)
    page = client.get(f"/kommunen/{ALDENHOVEN}").text
    assert "Für Kreuzau (Platz 1):" in page and NOT_CURRENT in page and OLD_REASON not in page
    # the request page computes the pair anew from both profiles instead of the old stored facts
    section = client.get(f"/kontakte/anfrage/{req.id}").text.split('id="warum-passt"')[1]
    assert OLD_REASON not in section
    assert "Kreuzau kann von Aldenhoven im Thema „Open Data“ lernen" in section


def test_the_dashboard_asks_the_server_until_the_recompute_is_done(client, login, world, worker_stopped):
    login(world.officer_a)
    assert client.get("/vorschlaege/stand").json == {
        "pending": False,
        "stand": list_freshness(world.a.id).at.isoformat(),
    }
    assert "neu-berechnet.js" not in client.get("/vorschlaege/").text  # nothing to wait for

    save_profile(world.a, _kreuzau({"open-data": 2}), user_id=world.officer_a.id)
    db.session.commit()
    text = client.get("/vorschlaege/").text
    assert f'data-stand-url="/vorschlaege/stand?kommune={world.a.id}"' in text and "neu-berechnet.js" in text
    assert ">Seite neu laden</a>" in text  # without script: reload by hand
    assert client.get(f"/vorschlaege/stand?kommune={world.a.id}").json["pending"] is True

    recompute_kommunen([world.a.id])
    assert client.get(f"/vorschlaege/stand?kommune={world.a.id}").json["pending"] is False


def test_the_recompute_state_of_another_kommune_is_not_told(client, login, world):
    login(world.officer_a)
    assert client.get(f"/vorschlaege/stand?kommune={world.b.id}").status_code == 403
    client.post("/konto/abmelden")
    assert client.get("/vorschlaege/stand").status_code == 302  # to the login
