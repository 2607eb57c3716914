"""Every error below /api/ is application/problem+json (RFC 9457), never an HTML page; rate limits per
token answer 429 as a problem too; API responses carry the security headers."""

from __future__ import annotations

import pytest

from plattform.api.spec import openapi_document
from tests.plattform.api.conftest import bearer, token_for


def assert_problem(response, status: int) -> dict:
    """The response is a complete RFC 9457 problem with this status."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    body = response.json
    assert set(body) >= {"type", "title", "status", "detail", "instance"}
    assert body["status"] == status
    assert body["type"].startswith("http://localhost/api/v1/docs#problem-")
    assert body["instance"] == response.request.path
    assert body["title"] and body["detail"]
    assert "<html" not in response.get_data(as_text=True)
    return body


def test_unknown_api_paths_are_404_problems_while_web_pages_stay_html(client):
    for path in ("/api/v1/gibt-es-nicht", "/api/v2/kommunen", "/api/", "/api/v1/kommunen/05358028/unbekannt"):
        assert_problem(client.get(path), 404)
    html = client.get("/gibt-es-nicht")
    assert html.status_code == 404 and html.content_type.startswith("text/html")


def test_unknown_kommune_and_ids_are_404_problems(client, world):
    assert_problem(client.get("/api/v1/kommunen/09999999"), 404)
    assert_problem(client.get("/api/v1/kommunen/kein-ags"), 404)
    assert_problem(client.get("/api/v1/projekte/999999"), 404)
    secret = token_for(world.officer_a)
    assert_problem(client.get("/api/v1/kontaktanfragen/999999", headers=bearer(secret)), 404)


def test_wrong_method_is_405_problem_with_allow_header(client):
    response = client.delete("/api/v1/kommunen")
    assert_problem(response, 405)
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert_problem(client.patch("/api/v1/kommunen/05358028/profil"), 405)


def test_401_and_403_are_problems(client, world):
    body = assert_problem(client.get("/api/v1/netzwerke"), 401)
    assert body["detail"].startswith("Bitte senden Sie ein gültiges API-Token")
    secret = token_for(world.officer_a)
    body = assert_problem(client.get("/api/v1/kommunen/05358004/vorschlaege", headers=bearer(secret)), 403)
    assert body["detail"] == "Sie handeln nicht für Aldenhoven."


def test_validation_errors_are_422_with_german_field_messages(client, world):
    body = assert_problem(client.get("/api/v1/kommunen?page=0&per_page=500&land=NRW"), 422)
    fields = {e["field"]: e["message"] for e in body["errors"]}
    assert fields == {
        "page": "page muss zwischen 1 und 100000 liegen.",
        "per_page": "per_page muss zwischen 1 und 100 liegen.",
        "land": "land hat nicht die erwartete Form.",
    }
    secret = token_for(world.officer_a, "schreiben")
    body = assert_problem(
        client.post(
            "/api/v1/kontaktanfragen", json={"from_kommune": "05358028", "message": 5}, headers=bearer(secret)
        ),
        422,
    )
    assert {"field": "to_kommune", "message": "Pflichtfeld fehlt."} in body["errors"]
    assert {"field": "message", "message": "Falscher Datentyp."} in body["errors"]


def test_malformed_json_is_400_and_other_media_types_415(client, world):
    secret = token_for(world.officer_a, "schreiben")
    headers = {**bearer(secret), "Content-Type": "application/json"}
    assert_problem(client.put("/api/v1/kommunen/05358028/profil", data="{kaputt", headers=headers), 400)
    assert_problem(client.put("/api/v1/kommunen/05358028/profil", data="[" * 5000, headers=headers), 400)
    assert_problem(
        client.put("/api/v1/kommunen/05358028/profil", data="ags=05358028", headers=bearer(secret)), 415
    )


def test_body_larger_than_the_api_limit_is_413_problem(client, world):
    secret = token_for(world.officer_a, "schreiben")
    huge = {"name": "x" * (70 * 1024)}
    body = assert_problem(
        client.put("/api/v1/kommunen/05358028/profil", json=huge, headers=bearer(secret)), 413
    )
    assert body["title"] == "Anfrage zu groß"


def test_unexpected_exception_is_500_problem_and_rolled_back(client, world, monkeypatch, caplog):
    import plattform.api.views as views

    def broken(*_args, **_kwargs):
        raise RuntimeError("Datenbank weg")

    monkeypatch.setattr(views, "search_kommunen", broken)
    body = assert_problem(client.get("/api/v1/kommunen?q=Kreuzau"), 500)
    assert "Datenbank weg" not in body["detail"]  # no internals to the client …
    assert "Datenbank weg" in caplog.text  # … but in the log


def test_error_statuses_of_the_description_all_have_the_problem_schema():
    document = openapi_document()
    for code, response in document["components"]["responses"].items():
        assert int(code) >= 400
        assert list(response["content"]) == ["application/problem+json"]


@pytest.mark.parametrize(
    "path", ["/api/v1/kommunen", "/api/v1/gibt-es-nicht", "/api/v1/openapi.json", "/api/v1/docs"]
)
def test_api_responses_carry_strict_security_headers(client, path):
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"


def test_answers_for_a_token_are_never_cached_and_vary_by_authorization(client, world):
    secret = token_for(world.officer_a)
    response = client.get("/api/v1/kommunen?q=Kreuzau", headers=bearer(secret))
    assert response.headers["Cache-Control"] == "no-store"
    assert "Authorization" in response.headers["Vary"]
    assert "Set-Cookie" not in response.headers


# --- rate limits -------------------------------------------------------------------------------


@pytest.fixture
def limited(app):
    """The limiter on with small limits, fresh counters."""
    from plattform.extensions import limiter

    app.config.update(
        RATELIMIT_ENABLED=True,
        API_RATE_LIMIT_READ="5/minute",
        API_RATE_LIMIT_WRITE="2/minute",
        API_RATE_LIMIT_ANONYMOUS="3/minute",
    )
    limiter.reset()
    yield
    limiter.reset()


@pytest.fixture
def app_config(app_config):
    """The limiter is switched on per app; its limits are read per request from the config."""
    return {
        **app_config,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "API_RATE_LIMIT_READ": "1000/minute",
        "API_RATE_LIMIT_WRITE": "1000/minute",
        "API_RATE_LIMIT_ANONYMOUS": "1000/minute",
    }


def test_read_limit_per_token_answers_429_problem_with_retry_after(client, world, limited):
    a, b = token_for(world.officer_a), token_for(world.officer_b)
    codes = [client.get("/api/v1/ich", headers=bearer(a)).status_code for _ in range(5)]
    assert codes == [200] * 5
    blocked = client.get("/api/v1/kommunen", headers=bearer(a))  # the bucket spans the whole API
    body = assert_problem(blocked, 429)
    assert body["title"] == "Zu viele Anfragen"
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    # Another token has its own bucket, even from the same address.
    assert client.get("/api/v1/ich", headers=bearer(b)).status_code == 200


def test_write_limit_is_separate_and_stricter(client, world, limited):
    secret = token_for(world.officer_a, "schreiben")
    body = {"ziele": ["effizienz"]}
    codes = [
        client.put("/api/v1/kommunen/05358028/profil", json=body, headers=bearer(secret)).status_code
        for _ in range(3)
    ]
    assert codes == [200, 200, 429]
    # Reading still works: its bucket is separate.
    assert client.get("/api/v1/kommunen/05358028/profil", headers=bearer(secret)).status_code == 200


def test_anonymous_callers_are_limited_per_address(client, world, limited):
    codes = [client.get("/api/v1/kommunen").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    other = client.get("/api/v1/kommunen", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 200
