"""The trap of issue 14: the Kreis row of a kreisfreie Stadt (08212 Karlsruhe, Stadtkreis, beside
08212000 Karlsruhe) never gets suggestions, so it can be chosen neither for a membership nor for the
type test; each place says so in German and points to the city's own row."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from plattform.accounts.models import KommuneMembership
from plattform.accounts.services import AccountError, request_membership
from plattform.extensions import db
from plattform.kommunen.models import Kommune
from plattform.kommunen.services import city_row_of, get_by_ags, is_matchable, matchable_filter
from tests.factories import UserFactory

KARLSRUHE_KREIS = "08212"
KARLSRUHE = "08212000"
KREIS_DUEREN = "05358"


def test_matchable_rows_are_exactly_those_of_the_matching_filter(full_directory):
    """is_matchable (one row) and matchable_filter (SQL) agree over the whole directory."""
    rows = db.session.scalars(sa.select(Kommune).where(Kommune.active.is_(True))).all()
    in_sql = set(db.session.scalars(sa.select(Kommune.ags).where(matchable_filter())))
    assert {k.ags for k in rows if is_matchable(k)} == in_sql
    not_matchable = [k for k in rows if not is_matchable(k)]
    assert len(not_matchable) == 107  # 98 kreisfreie Städte and 9 Stadtkreise at Kreis level
    for kreis in not_matchable:
        city = city_row_of(kreis)
        assert city is not None and city.ebene == "gemeinde" and city.ags.startswith(kreis.ags), kreis


@pytest.fixture
def full_directory(app, full_directory_path):
    from plattform.kommunen.services import import_gv_file

    return import_gv_file(full_directory_path)


def test_city_row_of_karlsruhe(demo_region):
    assert city_row_of(get_by_ags(KARLSRUHE_KREIS)).ags == KARLSRUHE
    assert city_row_of(get_by_ags(KARLSRUHE)) is None
    assert city_row_of(get_by_ags(KREIS_DUEREN)) is None


def test_membership_of_the_kreis_row_is_refused_in_the_service(demo_region):
    user = UserFactory()
    db.session.commit()
    with pytest.raises(AccountError, match=r"Kreisebene der kreisfreien Stadt.*08212000"):
        request_membership(user, get_by_ags(KARLSRUHE_KREIS).id)
    with pytest.raises(AccountError):
        request_membership(user, get_by_ags(KARLSRUHE_KREIS).id, role="koordination")
    assert request_membership(user, get_by_ags(KARLSRUHE).id).status == "beantragt"


def test_the_request_page_offers_the_city_instead(client, login, demo_region):
    user = UserFactory()
    db.session.commit()
    login(user)
    found = client.get("/konto/kommune-beantragen?q=Karlsruhe").text
    assert f'/konto/kommune-beantragen?ags={KARLSRUHE_KREIS}"' not in found
    assert "Kreisebene, nicht wählbar" in found and f'/konto/kommune-beantragen?ags={KARLSRUHE}"' in found
    page = client.get(f"/konto/kommune-beantragen?ags={KARLSRUHE_KREIS}")
    assert page.status_code == 200
    assert 'name="message"' not in page.text and "Anfrage senden" not in page.text
    assert "Kreisebene der kreisfreien Stadt" in page.text
    assert f'href="/konto/kommune-beantragen?ags={KARLSRUHE}"' in page.text


def test_a_posted_request_for_the_kreis_row_is_not_stored(client, login, demo_region):
    user = UserFactory()
    db.session.commit()
    login(user)
    response = client.post(f"/konto/kommune-beantragen/{KARLSRUHE_KREIS}", data={"role": "mitglied"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(KommuneMembership.id))) == 0
    followed = client.get(response.headers["Location"]).text
    assert "Kreisebene der kreisfreien Stadt" in followed


def test_the_kreis_row_page_points_to_the_city(client, demo_region):
    page = client.get(f"/kommunen/{KARLSRUHE_KREIS}").text
    assert 'id="kreisebene"' in page and f'href="/kommunen/{KARLSRUHE}"' in page
    assert 'id="kreisebene"' not in client.get(f"/kommunen/{KARLSRUHE}").text
    assert 'id="kreisebene"' not in client.get(f"/kommunen/{KREIS_DUEREN}").text
