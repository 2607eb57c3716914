"""Search across Kommunen: each filter on its own, distance exactly, paging, and the page itself."""

from __future__ import annotations

import re

import pytest

from matching.profiles import ProfileData
from plattform.extensions import db
from plattform.kommunen.services import get_by_ags
from plattform.profile.services import get_profile, save_profile
from plattform.suche.services import SearchCriteria, bounding_box, haversine_km, search
from tests.plattform.kontakte.helpers import ALDENHOVEN, KREUZAU, NIDEGGEN, make_world

AACHEN = "05334002"


@pytest.fixture
def world(demo_region):
    world = make_world()
    save_profile(
        world.b,
        ProfileData(
            ags=ALDENHOVEN,
            ziele=("effizienz", "rechtliche-vorgaben", "foerdermittel"),
            staerken={"digitallotsen": 3},
        ),
        notify=False,
    )
    save_profile(
        world.c,
        ProfileData(
            ags=NIDEGGEN,
            ziele=("buergernaehe", "zivilgesellschaft", "attraktivitaet"),
            bedarfe={"digitallotsen": 2},
        ),
        notify=False,
    )
    db.session.commit()
    return world


def _all(criteria: SearchCriteria) -> list:
    return search(criteria, per_page=1000).items


def _ags(criteria: SearchCriteria) -> set[str]:
    return {hit.kommune.ags for hit in _all(criteria)}


def test_without_filters_every_matchable_kommune_is_found_in_name_order(world):
    page = search(SearchCriteria(), per_page=1000)
    names = [h.kommune.name_search for h in page.items]
    assert page.total == len(names) > 100 and names == sorted(names)
    assert "08212" not in {h.kommune.ags for h in page.items}  # a Stadtkreis row matches as its Gemeinde


def test_filter_by_land(world):
    found = _ags(SearchCriteria(land="08"))
    assert found and all(a.startswith("08") for a in found)


def test_filter_by_kreis(world):
    found = _ags(SearchCriteria(kreis="05358"))
    assert {KREUZAU, ALDENHOVEN, NIDEGGEN} <= found
    assert all(a.startswith("05358") for a in found) and AACHEN not in found


def test_filter_by_type_of_the_profile(world):
    typ_b, typ_c = get_profile(world.b.id).typ, get_profile(world.c.id).typ
    assert typ_b and typ_c and typ_b != typ_c
    assert _ags(SearchCriteria(typ=typ_b)) == {ALDENHOVEN}
    assert _ags(SearchCriteria(typ=typ_c)) == {NIDEGGEN}


def test_filter_by_topic_as_strength_or_need(world):
    assert _ags(SearchCriteria(thema="digitallotsen", rolle="staerke")) == {ALDENHOVEN}
    assert _ags(SearchCriteria(thema="digitallotsen", rolle="bedarf")) == {NIDEGGEN}
    assert _ags(SearchCriteria(thema="digitallotsen")) == {ALDENHOVEN, NIDEGGEN}
    (hit,) = _all(SearchCriteria(thema="digitallotsen", rolle="bedarf"))
    assert (hit.staerke, hit.bedarf) == (None, 2)
    assert _ags(SearchCriteria(thema="e-akte")) == set()


def test_filter_by_size_band(world):
    small = _all(SearchCriteria(groesse="5000-20000"))
    assert small and all(5_000 <= h.kommune.population < 20_000 for h in small)
    assert KREUZAU in {h.kommune.ags for h in small} and AACHEN not in {h.kommune.ags for h in small}
    big = _all(SearchCriteria(groesse="ab-100000"))
    assert AACHEN in {h.kommune.ags for h in big} and all(h.kommune.population >= 100_000 for h in big)


def test_filter_by_distance_is_exact_and_sorted_by_distance(world):
    origin = world.a
    hits = _all(SearchCriteria(max_km=15, origin=origin))
    distances = [h.distance_km for h in hits]
    assert distances == sorted(distances) and all(d <= 15 for d in distances)
    assert NIDEGGEN in {h.kommune.ags for h in hits} and ALDENHOVEN not in {h.kommune.ags for h in hits}
    assert KREUZAU not in {h.kommune.ags for h in hits}
    # Nothing within 15 km was lost by the bounding box: compare with a brute-force scan.
    everyone = _all(SearchCriteria())
    expected = {
        h.kommune.ags
        for h in everyone
        if h.kommune.lat is not None
        and h.kommune.id != origin.id
        and haversine_km(origin.lat, origin.lon, h.kommune.lat, h.kommune.lon) <= 15
    }
    assert {h.kommune.ags for h in hits} == expected


def test_haversine_and_bounding_box_agree_with_known_distance():
    # Kreuzau → Aldenhoven: about 23 km as the crow flies.
    d = haversine_km(50.74596, 6.489241, 50.895696, 6.281953)
    assert 21 < d < 25
    lat_min, lat_max, lon_min, lon_max = bounding_box(50.74596, 6.489241, d + 0.01)
    assert lat_min <= 50.895696 <= lat_max and lon_min <= 6.281953 <= lon_max


def test_filters_combine(world):
    assert _ags(SearchCriteria(kreis="05358", thema="digitallotsen", groesse="5000-20000")) == {
        ALDENHOVEN,
        NIDEGGEN,
    }
    assert _ags(SearchCriteria(land="08", thema="digitallotsen")) == set()


def test_page_is_a_paged_accessible_table(client, world):
    first = client.get("/suche/")
    assert first.status_code == 200
    assert "<caption" in first.text and 'scope="col"' in first.text and 'scope="row"' in first.text
    total = int(re.search(r"(\d+) Kommunen gefunden", first.text).group(1))
    assert total > 25 and "Nächste Seite" in first.text
    second = client.get("/suche/?page=2").text
    first_rows = re.findall(
        r'scope="row" class="kern-table__cell"><a class="kern-link" href="([^"]+)"', first.text
    )
    second_rows = re.findall(
        r'scope="row" class="kern-table__cell"><a class="kern-link" href="([^"]+)"', second
    )
    assert len(first_rows) == 25 and second_rows and not set(first_rows) & set(second_rows)


def test_page_filters_by_topic_and_shows_the_level(client, world):
    text = client.get("/suche/?thema=digitallotsen&rolle=staerke").text
    assert "1 Kommune gefunden" in text and "Aldenhoven" in text and "Stärke 3 von 3" in text


def test_no_results_explains_what_to_try(client, world):
    text = client.get("/suche/?land=08&thema=digitallotsen").text
    assert "0 Kommunen gefunden" in text and "Lassen Sie einen Filter weg" in text


def test_distance_filter_for_officers_measured_from_their_kommune(client, login, world):
    anonymous = client.get("/suche/?max_km=10").text
    assert 'id="max_km"' not in anonymous and "sobald Sie für eine Kommune sprechen" in anonymous
    login(world.officer_a)
    text = client.get("/suche/?max_km=10").text
    assert "höchstens 10 km von Kreuzau" in text and "Nideggen" in text and ">Aldenhoven<" not in text


def test_invalid_distance_is_reported_next_to_the_field(client, login, world):
    login(world.officer_a)
    response = client.get("/suche/?max_km=-3")
    assert response.status_code == 422
    assert 'role="alert"' in response.text and "zwischen 1 und 1000" in response.text


def test_search_is_in_the_navigation_for_everyone(client, world):
    assert 'href="/suche/"' in client.get("/").text


def test_unknown_kreis_of_another_land_is_an_error_not_a_crash(client, world):
    response = client.get("/suche/?land=08&kreis=05358")
    assert response.status_code == 422
    assert get_by_ags("05358") is not None
