"""One error page for every status, in the app's layout; the footer's language switch works on every page."""

from __future__ import annotations

import re

import pytest
from flask import abort

STATUSES = (400, 401, 403, 404, 405, 409, 410, 413, 415, 422, 429, 500, 503)


@pytest.fixture
def failing_app(app):
    """The app with a route that answers any status (as a view calling abort would)."""
    app.add_url_rule("/_test/status/<int:code>", "status_for_test", lambda code: abort(code))
    return app


def _heading(html: str) -> str:
    return re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S).group(1).strip()


@pytest.mark.parametrize("code", STATUSES)
def test_every_status_has_a_german_page_in_the_layout(failing_app, code):
    client = failing_app.test_client()
    response = client.get(f"/_test/status/{code}")
    assert response.status_code == code
    assert response.mimetype == "text/html"
    html = response.text
    assert 'class="km-header"' in html and 'class="km-footer"' in html  # header, footer, language link
    assert "/sprache/en?zurueck=" in html
    heading = _heading(html)
    assert heading and "Werkzeug" not in html and "Method Not Allowed" not in html
    assert re.search(rf"<title>\s*{re.escape(heading)} –", html)
    if code != 429:  # the rate limit has the accounts' own page (in the same layout)
        assert f"Fehlercode {code}" in html


def test_a_wrong_method_gets_the_405_page_with_its_allow_header(client):
    response = client.get("/konto/abmelden")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert "Diese Seite lässt sich so nicht aufrufen" in response.text
    assert 'class="km-header"' in response.text


def test_the_api_keeps_its_problem_documents(client):
    response = client.get("/api/v1/gibt-es-nicht")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_error_pages_speak_english_when_asked(failing_app):
    client = failing_app.test_client()
    client.get("/sprache/en")
    response = client.get("/_test/status/410")
    assert '<html lang="en">' in response.text
    assert "Fehlercode" not in response.text


def test_language_switch_returns_to_the_page(client):
    response = client.get("/sprache/en?zurueck=/kommunen/%3Fq%3DKreuzau")
    assert response.status_code == 302
    assert response.headers["Location"] == "/kommunen/?q=Kreuzau"
    assert '<html lang="en">' in client.get("/kommunen/").text
    back = client.get("/sprache/de?zurueck=/kommunen/")
    assert back.headers["Location"] == "/kommunen/"
    assert '<html lang="de">' in client.get("/kommunen/").text


@pytest.mark.parametrize(
    "target", ["//boese.example/", "https://boese.example", "/\\boese.example", "kommunen", "/konto/abmelden"]
)
def test_language_switch_never_leaves_the_site(client, target):
    response = client.get("/sprache/en", query_string={"zurueck": target})
    assert response.headers["Location"] == "/"


def test_language_switch_refuses_unknown_languages(client):
    assert client.get("/sprache/fr?zurueck=/kommunen/").status_code == 404


def test_language_link_on_a_page_rendered_for_a_post(client):
    page = client.post("/konto/anmelden", data={"email": "", "password": ""})
    assert page.status_code == 422
    link = re.search(r'href="(/sprache/en\?[^"]+)"', page.text).group(1).replace("&amp;", "&")
    assert link == "/sprache/en?zurueck=/konto/anmelden"
    response = client.get(link)
    assert response.status_code == 302 and response.headers["Location"] == "/konto/anmelden"
    assert client.get("/konto/anmelden").status_code == 200


def test_language_link_of_a_post_only_address_returns_to_the_start_page(app, client):
    with app.test_request_context("/konto/abmelden", method="POST"):
        from plattform.core.views import language_url

        assert language_url("en") == "/sprache/en?zurueck=/"


def test_language_link_keeps_the_query_but_not_an_old_lang(app):
    with app.test_request_context("/suche/?max_km=50&lang=de"):
        from plattform.core.views import language_url

        assert language_url("en") == "/sprache/en?zurueck=/suche/?max_km%3D50"
