"""The error pages render without the database (issue 16, finding 11): with the database gone, a
logged-in person got gunicorn's bare English 500 page without security headers, because the error
page itself loaded the user (and the navigation) from the database."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import IsolatedClient, _base_config
from tests.factories import PASSWORD


@pytest.fixture
def own_database_app(tmp_path):
    """An app on its own SQLite file (so the test can take the database away), errors as in production."""
    from plattform import create_app
    from plattform.extensions import db
    from plattform.models import import_all_models

    config = _base_config(tmp_path, f"sqlite:///{tmp_path / 'eigene.db'}")
    config["TESTING"] = False  # the 500 handler runs instead of the exception propagating
    app = create_app(config)
    app.test_client_class = IsolatedClient
    with app.app_context():
        import_all_models()
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


def _database_gone(app, tmp_path) -> None:
    """What a dead database server looks like to SQLite: the file cannot be opened any more."""
    from plattform.extensions import db

    with app.app_context():
        db.engine.dispose()
    shutil.move(tmp_path / "eigene.db", tmp_path / "weg.db")
    (tmp_path / "eigene.db").mkdir()


def test_a_logged_in_person_gets_the_german_500_page_when_the_database_is_gone(own_database_app, tmp_path):
    from plattform.extensions import db
    from tests.factories import UserFactory

    app = own_database_app
    with app.app_context():
        UserFactory(email="anna@kreuzau.de", name="Anna Kreuzer")
        db.session.commit()
    client = app.test_client()
    assert (
        client.post("/konto/anmelden", data={"email": "anna@kreuzau.de", "password": PASSWORD}).status_code
        == 302
    )
    assert "Anna Kreuzer" in client.get("/").text

    _database_gone(app, tmp_path)
    response = client.get("/")
    assert response.status_code == 500
    assert "Ein Fehler ist aufgetreten" in response.text
    assert '<html lang="de">' in response.text
    assert "Anna Kreuzer" not in response.text  # the page does not try to load the user
    assert "Content-Security-Policy" in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"  # a logged-in session's page


def test_an_anonymous_visitor_gets_it_in_english_when_asked(own_database_app, tmp_path):
    app = own_database_app
    client = app.test_client()
    _database_gone(app, tmp_path)
    response = client.get("/", headers={"Accept-Language": "en"})
    assert response.status_code == 500
    assert '<html lang="en">' in response.text
