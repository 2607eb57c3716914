"""Paging: page/per_page (max 100), the body envelope and RFC 8288 Link headers that keep the filters."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from tests.plattform.api.test_errors import assert_problem

KREIS_DUEREN = "05358"


def links(response) -> dict[str, dict]:
    """rel -> query parameters of each link of the Link header."""
    found = {}
    for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers["Link"]):
        parts = urlsplit(url)
        assert parts.path == "/api/v1/kommunen"
        found[rel] = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return found


def test_first_middle_and_last_page_with_links(client, demo_region):
    first = client.get(f"/api/v1/kommunen?kreis={KREIS_DUEREN}&per_page=5")
    assert first.json["total"] == 16 and first.json["page"] == 1 and first.json["per_page"] == 5
    assert len(first.json["items"]) == 5
    rels = links(first)
    assert set(rels) == {"first", "next", "last"}
    assert rels["next"] == {"kreis": KREIS_DUEREN, "page": "2", "per_page": "5"}
    assert rels["last"]["page"] == "4"

    middle = client.get(f"/api/v1/kommunen?kreis={KREIS_DUEREN}&per_page=5&page=2")
    assert set(links(middle)) == {"first", "prev", "next", "last"}
    assert links(middle)["prev"]["page"] == "1"

    last = client.get(f"/api/v1/kommunen?kreis={KREIS_DUEREN}&per_page=5&page=4")
    assert len(last.json["items"]) == 1 and set(links(last)) == {"first", "prev", "last"}
    # Walking the next links visits every Kommune exactly once.
    seen, url = [], f"/api/v1/kommunen?kreis={KREIS_DUEREN}&per_page=5"
    while url:
        response = client.get(url)
        seen += [k["ags"] for k in response.json["items"]]
        nxt = links(response).get("next")
        url = (
            f"/api/v1/kommunen?kreis={nxt['kreis']}&per_page={nxt['per_page']}&page={nxt['page']}"
            if nxt
            else None
        )
    assert len(seen) == len(set(seen)) == 16


def test_beyond_the_last_page_is_empty_not_an_error(client, demo_region):
    response = client.get(f"/api/v1/kommunen?kreis={KREIS_DUEREN}&per_page=5&page=9")
    assert response.status_code == 200 and response.json["items"] == [] and response.json["total"] == 16
    assert links(response)["prev"]["page"] == "4"


def test_per_page_at_most_100_and_page_from_1(client, demo_region):
    assert len(client.get("/api/v1/kommunen?per_page=100").json["items"]) == 100
    for query in (
        "per_page=101",
        "per_page=0",
        "page=0",
        "page=-1",
        "page=1.5",
        "per_page=zehn",
        "page=%EF%BC%91",
    ):
        errors = assert_problem(client.get(f"/api/v1/kommunen?{query}"), 422)["errors"]
        assert errors[0]["field"] in ("page", "per_page")


def test_empty_result_has_one_page(client, demo_region):
    response = client.get("/api/v1/kommunen?q=Atlantis")
    assert response.json == {"items": [], "page": 1, "per_page": 25, "total": 0}
    assert set(links(response)) == {"first", "last"}
