"""Numbers by locale (issue 14 item 10): pages that formatted decimals by hand in German style show
them in the page's language; German pages keep exactly their German form."""

from __future__ import annotations

import re

from tests.plattform.netzwerke.test_coordinator_view import path_net  # noqa: F401  (fixture)

ALDENHOVEN = "05358004"


def test_the_area_on_the_kommune_page_follows_the_language(client, demo_region):
    assert (
        '<dd class="kern-description-list-item__value">44,25 km²</dd>'
        in client.get(f"/kommunen/{ALDENHOVEN}?lang=de").text
    )
    english = client.get(f"/kommunen/{ALDENHOVEN}?lang=en").text
    assert '<dd class="kern-description-list-item__value">44.25 km²</dd>' in english
    assert "44,25" not in english


def test_the_source_line_is_english_with_the_german_source_marked(client, demo_region):
    german = client.get(f"/kommunen/{ALDENHOVEN}?lang=de").text
    source = "Quelle: Statistisches Bundesamt (Destatis), Gemeindeverzeichnis-Informationssystem GV-ISys"
    assert f'km-source">{source}' in german
    english = client.get(f"/kommunen/{ALDENHOVEN}?lang=en").text
    assert 'km-source">Source: <span lang="de">Statistisches Bundesamt (Destatis),' in english


def test_the_brokers_betweenness_follows_the_language(client, login, path_net):  # noqa: F811
    netzwerk, coordinator, _, _ = path_net
    login(coordinator)

    def brokers(lang: str) -> str:
        page = client.get(f"/netzwerke/{netzwerk.id}/graph?lang={lang}").text
        return page.split('id="netzwerk-daten"', 1)[0]

    german, english = brokers("de"), brokers("en")
    assert re.search(r"Bort \(0,\d\d\)", german) and not re.search(r"Bort \(0\.\d\d\)", german)
    assert re.search(r"Bort \(0\.\d\d\)", english) and not re.search(r"Bort \(0,\d\d\)", english)


def test_the_type_test_percentage_follows_the_language(client):
    query = "ziel=rechtliche-vorgaben&ziel=foerdermittel&ziel=effizienz"
    assert "zweitnächsten Typ: 50 %." in client.get(f"/profil/typtest/ergebnis?{query}&lang=de").text
    assert "second-nearest type: 50%." in client.get(f"/profil/typtest/ergebnis?{query}&lang=en").text


def test_the_territorial_status_date_follows_the_language(client, demo_region):
    from plattform.extensions import db
    from plattform.kommunen.services import get_by_ags

    get_by_ags(ALDENHOVEN).stand = "Gebietsstand 31.12.2020"
    db.session.commit()
    german = client.get(f"/kommunen/{ALDENHOVEN}?lang=de").text
    assert "GV-ISys, Gebietsstand 31.12.2020" in german
    english = client.get(f"/kommunen/{ALDENHOVEN}?lang=en").text
    assert "GV-ISys</span>, territorial status Dec 31, 2020" in english and "Gebietsstand" not in english
