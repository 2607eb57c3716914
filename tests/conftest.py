"""Shared fixtures: an app on SQLite (default) or PostgreSQL (TEST_DATABASE=postgres), clients,
a live server with Chromium, and helpers for real Celery workers."""

from __future__ import annotations

import contextvars
import os
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from tests import services

ROOT = Path(__file__).resolve().parent.parent
DEMO_REGION = ROOT / "plattform" / "kommunen" / "data" / "demo-region-gv-isys.csv"
# Test data lives in the repository (tests/data/README.md names source and licence): a fresh clone
# skips nothing for missing data.
TEST_DATA = Path(__file__).resolve().parent / "data"
FULL_DIRECTORY = TEST_DATA / "gv-isys-auszug-2020q4.csv"
STUDY_TABLES = TEST_DATA / "kgst-oefit-typen.json"
BROWSER_TIMEOUT_MS = 30_000


def _base_config(tmp_dir: Path, database_url: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_DIR": str(tmp_dir),
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "MAIL_OUTBOX_DIR": str(tmp_dir / "outbox"),
        "BASE_URL": "http://localhost",
        "CELERY": {"task_always_eager": True, "broker_url": "memory://", "result_backend": "cache+memory://"},
    }


@pytest.fixture(scope="session", autouse=True)
def _compiled_translations():
    """Compile the English catalogue when its .mo is missing or older than the .po (it is gitignored
    and built by `make install`), so `pytest` alone serves English pages."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (ROOT / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=po.parent.parent.name)
        partial = mo.with_name(f"{mo.name}.{os.getpid()}.tmp")
        with partial.open("wb") as fh:
            write_mo(fh, catalog)  # like `pybabel compile`: fuzzy entries are left out
        partial.replace(mo)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """One database for the whole run: a SQLite file, or a fresh PostgreSQL database that is dropped."""
    if os.environ.get("TEST_DATABASE", "sqlite") == "postgres":
        reason = services.postgres_available()
        if reason:
            services.unavailable(reason)
        with services.temporary_postgres_database() as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def _schema(database_url, tmp_path_factory):
    """Create the schema once, from the models (the migrations are tested on their own)."""
    from plattform import create_app
    from plattform.extensions import db
    from plattform.models import import_all_models

    app = create_app(_base_config(tmp_path_factory.mktemp("schema"), database_url))
    with app.app_context():
        import_all_models()
        db.create_all()
    return database_url


def _truncate_all(app) -> None:
    from plattform.extensions import db

    with app.app_context():
        tables = list(reversed(db.metadata.sorted_tables))
        with db.engine.begin() as conn:
            # DELETE, children first: on PostgreSQL a TRUNCATE of the 36 tables costs 0.7-1.5 s (new
            # files, fsync at commit) against ~15 ms, and it ran after every test.
            for table in tables:
                conn.execute(table.delete())
            if db.engine.dialect.name == "postgresql":
                # what TRUNCATE's RESTART IDENTITY did: every test's ids start at 1 again
                conn.execute(sa.text("SELECT setval(c.oid, 1, false) FROM pg_class c WHERE c.relkind = 'S'"))
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app_config(tmp_path, _schema) -> dict:
    """The configuration of the `app` fixture; override keys in a test module's own fixture."""
    return _base_config(tmp_path, _schema)


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in a fresh app context, as in production.

    Without this, Flask reuses the test's app context: requests would share `g` and the test's
    database session, hiding a view that forgets to commit. Test code must therefore commit rows
    before it makes a request.
    """

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def app(app_config):
    """A fresh app on the shared test database; every table is emptied afterwards."""
    from plattform import create_app

    app = create_app(app_config)
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
    _truncate_all(app)


@pytest.fixture
def client(app):
    """A test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for `flask --app wsgi …` commands."""
    return app.test_cli_runner()


@pytest.fixture
def demo_region(app):
    """The demo region (Kreis Düren, neighbours, ANDI cities) imported into the test database."""
    from plattform.kommunen.services import import_gv_file

    return import_gv_file(DEMO_REGION)


@pytest.fixture(scope="session")
def full_directory_path():
    """The official directory (tests/data, Destatis, dl-de/by-2-0; the product never reads it)."""
    assert FULL_DIRECTORY.is_file(), f"{FULL_DIRECTORY} fehlt im Repository"
    return FULL_DIRECTORY


# --- accounts ----------------------------------------------------------------------------------


@pytest.fixture
def login(client):
    """Log a user in through the real login form: `login(user)`."""
    from tests.factories import PASSWORD

    def do_login(user, password: str = PASSWORD):
        response = client.post("/konto/anmelden", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.text
        return user

    return do_login


# --- mail ----------------------------------------------------------------------------------------


class SmtpRecorder:
    """A real SMTP server (aiosmtpd) in the test process that keeps what it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller
        from aiosmtpd.handlers import Message

        self.messages: list = []
        self.fail_next = 0  # answer that many DATA commands with an error (fail_code)
        self.fail_code = "451 Requested action aborted: try again later"
        recorder = self

        class Handler(Message):
            async def handle_DATA(self, server, session, envelope):
                if recorder.fail_next > 0:
                    recorder.fail_next -= 1
                    return recorder.fail_code
                return await super().handle_DATA(server, session, envelope)

            def handle_message(self, message):
                recorder.messages.append(message)

        self.port = services.free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)


@pytest.fixture
def smtp_server(app):
    """Start a real SMTP server and point the app's mail settings at it."""
    recorder = SmtpRecorder()
    recorder.controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=recorder.port, MAIL_USE_TLS=False)
    yield recorder
    recorder.controller.stop()


# --- live server and browser -------------------------------------------------------------------


@pytest.fixture
def live_server(app):
    """Serve the app on a free localhost port in a thread; yields its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    """Headless system Chromium driven by Playwright."""
    path = services.chromium_path()
    if not path:
        services.unavailable("Chromium ist nicht installiert (make test installiert es als root mit apt).")
    from playwright.sync_api import expect, sync_playwright

    # Waiting assertions (expect) and actions wait up to BROWSER_TIMEOUT_MS: on a loaded 2-core machine
    # a page can take longer than Playwright's 5 s default, and a wait costs nothing when it is quick.
    expect.set_options(timeout=BROWSER_TIMEOUT_MS)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=path,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser page (own cookies) whose requests may only go to the live server."""
    from tests.browser.guard import allow_only

    context = browser.new_context(locale="de-DE", base_url=live_server)
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    foreign = allow_only(context, live_server)
    page = context.new_page()
    page.foreign_requests = foreign
    yield page
    context.close()
    assert not foreign, f"Anfragen an fremde Hosts: {foreign}"
