"""The type test saves only on an explicit choice, and asks before replacing a Kommune's type (issue 14
item 5); the Kreis row of a kreisfreie Stadt cannot be chosen (item 9)."""

from __future__ import annotations

import re

import pytest

from plattform.extensions import db
from plattform.kommunen.services import get_by_ags
from plattform.profile.services import apply_type_test, get_profile
from tests.factories import MembershipFactory
from tests.plattform.profile.html import field_error, selected, text

KREUZAU = "05358028"
ALDENHOVEN = "05358004"
KREIS_DUEREN = "05358"
KARLSRUHE_KREIS = "08212"
KARLSRUHE = "08212000"
OPTIMIERER = {"ziel_1": "effizienz", "ziel_2": "leistungsangebot"}
SERVICE = {"ziel_1": "buergernaehe", "ziel_2": "attraktivitaet", "ziel_3": "effizienz"}


def _member(login, *ags_list: str, role: str = "mitglied"):
    memberships = [MembershipFactory(kommune=get_by_ags(ags_list[0]), role=role)]
    for ags in ags_list[1:]:
        memberships.append(MembershipFactory(kommune=get_by_ags(ags), user=memberships[0].user, role=role))
    db.session.commit()
    return login(memberships[0].user)


def test_nothing_is_preselected_even_with_one_kommune_or_an_ags_link(client, demo_region, login):
    _member(login, KREUZAU)
    assert selected(client.get("/profil/typtest").text, "kommune") == []
    assert selected(client.get(f"/profil/typtest?ags={KREUZAU}").text, "kommune") == []
    _member(login, ALDENHOVEN, KREUZAU)
    assert selected(client.get(f"/profil/typtest?ags={ALDENHOVEN}").text, "kommune") == []


def test_without_a_choice_only_the_result_is_shown(client, demo_region, login):
    _member(login, KREUZAU)
    response = client.post("/profil/typtest", data=OPTIMIERER)
    assert response.status_code == 302 and "ags=" not in response.headers["Location"]
    assert get_profile(get_by_ags(KREUZAU).id) is None


@pytest.mark.parametrize(
    "earlier_goals",
    [None, ["effizienz", "leistungsangebot"]],
    ids=["the-first-type", "the-same-goals-again"],
)
def test_a_type_that_replaces_nothing_is_saved_without_asking(client, demo_region, login, earlier_goals):
    _member(login, KREUZAU)
    if earlier_goals:
        apply_type_test(get_by_ags(KREUZAU), earlier_goals)
        db.session.commit()
    response = client.post("/profil/typtest", data={**OPTIMIERER, "kommune": KREUZAU})
    assert response.status_code == 302
    db.session.expire_all()
    assert get_profile(get_by_ags(KREUZAU).id).typ == "optimierer"


def test_replacing_an_existing_type_asks_first_showing_old_and_new(client, demo_region, login):
    _member(login, KREUZAU)
    apply_type_test(get_by_ags(KREUZAU), ["effizienz", "leistungsangebot"])
    db.session.commit()
    response = client.post("/profil/typtest", data={**SERVICE, "kommune": KREUZAU})
    assert response.status_code == 200
    page = text(response.text)
    assert "Typ ersetzen?" in page
    assert re.search(r"Bisher Die Optimierer – Ziele: 1\. Effizienz", page)
    assert re.search(r"Neu Die Serviceorientierten – Ziele: 1\. Bürgernahe", page)
    assert "Nicht ersetzen, nur Ergebnis ansehen" in page
    db.session.expire_all()
    assert get_profile(get_by_ags(KREUZAU).id).typ == "optimierer"  # nothing replaced yet

    confirmed = client.post("/profil/typtest", data={**SERVICE, "kommune": KREUZAU, "ersetzen": "1"})
    assert confirmed.status_code == 302 and f"ags={KREUZAU}" in confirmed.headers["Location"]
    db.session.expire_all()
    assert get_profile(get_by_ags(KREUZAU).id).typ == "serviceorientierte"


def test_the_kreis_row_of_a_kreisfreie_stadt_is_not_offered_nor_accepted(client, demo_region, login):
    _member(login, KARLSRUHE_KREIS, role="koordination")
    form = client.get(f"/profil/typtest?ags={KARLSRUHE_KREIS}").text
    assert f'value="{KARLSRUHE_KREIS}"' not in form
    response = client.post("/profil/typtest", data={**OPTIMIERER, "kommune": KARLSRUHE_KREIS})
    assert response.status_code == 422
    error = field_error(response.text, "kommune")
    assert "Kreisebene der kreisfreien Stadt" in error and KARLSRUHE in error
    assert get_profile(get_by_ags(KARLSRUHE_KREIS).id) is None
