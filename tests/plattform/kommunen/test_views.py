"""Directory pages: search by name, AGS or PLZ, filters, paging, a page per Kommune."""

from __future__ import annotations

import re


def names(html: str) -> list[str]:
    return re.findall(r'<a class="kern-link" href="/kommunen/\d+">([^<]+)</a>', html)


def test_search_by_name_finds_kreuzau(client, demo_region):
    html = client.get("/kommunen/?q=kreuz").text
    assert names(html) == ["Kreuzau"]
    assert "1 Treffer" in html


def test_search_by_ags_prefix_and_plz(client, demo_region):
    assert names(client.get("/kommunen/?q=05358028").text) == ["Kreuzau"]
    assert "Kreuzau" in names(client.get("/kommunen/?q=52372").text)
    by_kreis_key = names(client.get("/kommunen/?q=05358").text)
    assert "Düren" in by_kreis_key and "Kreuzau" in by_kreis_key


def test_filter_by_land_and_kreis(client, demo_region):
    html = client.get("/kommunen/?land=05&kreis=05358").text
    found = names(html)
    assert "16 Treffer" in html  # the Kreis and its fifteen Gemeinden
    assert "Aldenhoven" in found and "Freiburg im Breisgau, Stadt" not in found
    assert "Mannheim" not in " ".join(names(client.get("/kommunen/?land=05&q=mann").text))


def test_directory_is_paged(client, demo_region):
    first = names(client.get("/kommunen/").text)
    second = names(client.get("/kommunen/?page=2").text)
    assert len(first) == 25 and len(second) == 25
    assert not set(first) & set(second)
    assert "Nächste Seite" in client.get("/kommunen/").text


def test_kommune_page_shows_facts_source_kreis_and_map(client, demo_region):
    html = client.get("/kommunen/05358028").text
    assert "<h1" in html and "Kreuzau" in html
    assert "17.444" in html
    kreis = '<a class="kern-link" href="/kommunen/05358">Kreis Düren</a>'
    assert f"Gemeinde im {kreis}, Nordrhein-Westfalen" in html
    assert "Quelle: Statistisches Bundesamt (Destatis)" in html
    assert "<svg" in html and 'role="img"' in html and "Lage von Kreuzau in Deutschland" in html


def test_kreis_page_lists_its_gemeinden(client, demo_region):
    html = client.get("/kommunen/05358").text
    assert "Kommunen in diesem Kreis</h2>" in html or "Kommunen in diesem Kreis (15)" in html
    assert "(15)" in html
    assert "Kreuzau" in html and "Aldenhoven" in html


def test_unknown_kommune_is_a_german_404(client, demo_region):
    response = client.get("/kommunen/99999999")
    assert response.status_code == 404
    assert "Seite nicht gefunden" in response.text


def test_start_page_says_what_the_platform_is_for(client, demo_region):
    html = client.get("/").text
    assert "Kommunen lernen voneinander" in html
    assert 'action="/kommunen/"' in html


def test_no_asset_is_loaded_from_another_host(client, demo_region):
    for url in ["/", "/kommunen/", "/kommunen/05358028"]:
        html = client.get(url).text
        sources = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert all(not s.startswith(("http://", "https://", "//")) for s in sources), sources


def test_health_checks_the_database(client):
    assert client.get("/health").json == {"status": "ok"}
