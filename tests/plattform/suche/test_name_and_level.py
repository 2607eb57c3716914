"""/suche/ with a name field (the README tour finds Kreuzau there), Kreise and Gemeinden told apart
(an "Ebene" filter and an "Art" column), and every kind said once (issue 14 item 9)."""

from __future__ import annotations

import re

from plattform.suche.services import SearchCriteria, search
from tests.plattform.profile.html import text

KREUZAU = "05358028"


def _ags(criteria: SearchCriteria) -> set[str]:
    return {hit.kommune.ags for hit in search(criteria, per_page=1000).items}


def test_by_name_ags_prefix_and_plz(demo_region):
    assert _ags(SearchCriteria(query="Kreuzau")) == {KREUZAU}
    assert _ags(SearchCriteria(query="kreuz")) == {KREUZAU}
    assert KREUZAU in _ags(SearchCriteria(query=KREUZAU)) and KREUZAU in _ags(SearchCriteria(query="053580"))
    found = _ags(SearchCriteria(query="05358"))  # a Kreisschlüssel: the Kreis and its Gemeinden
    assert "05358" in found and KREUZAU in found and all(a.startswith("05358") for a in found)
    assert _ags(SearchCriteria(query="100%_")) == set()  # LIKE characters are plain text


def test_the_exact_name_comes_first(demo_region):
    hits = search(SearchCriteria(query="düren"), per_page=10).items
    assert [h.kommune.name_search for h in hits[:2]] == ["düren", "düren, stadt"]  # Kreis, then the town
    assert {h.kommune.ebene for h in hits[:2]} == {"kreis", "gemeinde"}


def test_by_level(demo_region):
    kreise = search(SearchCriteria(ebene="kreis"), per_page=1000).items
    assert kreise and all(h.kommune.ebene == "kreis" for h in kreise)
    assert "05358" in {h.kommune.ags for h in kreise} and "08212" not in {h.kommune.ags for h in kreise}
    gemeinden = search(SearchCriteria(ebene="gemeinde", query="düren"), per_page=1000).items
    assert {h.kommune.ags for h in gemeinden} == {"05358008"}


def test_page_has_the_name_field_and_finds_kreuzau(client, demo_region):
    first = client.get("/suche/").text
    assert re.search(
        r'<label class="kern-label" for="q">Name, Gemeindeschlüssel \(AGS\) oder Postleitzahl', first
    )
    assert 'id="ebene"' in first
    page = client.get("/suche/?q=Kreuzau").text
    assert "1 Kommune gefunden" in page and f'href="/kommunen/{KREUZAU}"' in page
    assert 'value="Kreuzau"' in page  # the query stays in the field


def test_page_tells_kreise_and_gemeinden_apart_and_says_each_kind_once(client, demo_region):
    page = client.get("/suche/?q=düren").text
    assert re.search(r'scope="col"[^>]*>\s*Art\s*<', page)
    rows = re.findall(r'<tr class="kern-table__row">(.*?)</tr>', page, re.S)
    cells = [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S) for row in rows]
    by_name = {text(c[0]): [text(x) for x in c[1:3]] for c in cells if c}
    assert by_name["Kreis Düren"] == ["Kreis", "–"]
    assert by_name["Düren, Stadt"] == ["Stadt", "Kreis Düren"]
    everything = text(client.get("/suche/?ebene=gemeinde").text)
    assert not re.search(r", Stadt \(Stadt\)|\(Gemeinde\) \(Gemeinde\)", everything)
    assert "(Stadt)" not in everything and "(Gemeinde)" not in everything


def test_page_filters_by_level(client, demo_region):
    kreise = client.get("/suche/?ebene=kreis").text
    assert 'href="/kommunen/05358"' in kreise and f'href="/kommunen/{KREUZAU}"' not in kreise
    bad = client.get("/suche/?ebene=bund")
    assert bad.status_code == 422
