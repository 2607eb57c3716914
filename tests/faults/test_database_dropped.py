"""PostgreSQL drops the app's connections (restart, failover, idle kill): between requests and in the
middle of a write.

Between requests: pool_pre_ping notices the dead pooled connection and the next request succeeds.
During a write: the profile editor and the spreadsheet import pause at their first topic row (a
trigger waits for a lock the test holds); the test terminates that backend. The user gets the error
page, the old profiles are intact (the save and the import are one transaction each), and the same
request succeeds right afterwards.
"""

from __future__ import annotations

import io
import threading

import pytest

from tests import services
from tests.conftest import DEMO_REGION
from tests.factories import PASSWORD
from tests.faults.conftest import (
    admin_connection,
    backends_waiting_on_advisory_lock,
    database_name,
    make_fault_app,
    pause_on_insert,
    terminate_backends,
    wait_for,
)

pytestmark = [pytest.mark.faults, pytest.mark.postgres]

KREUZAU = "05358028"
ALDENHOVEN = "05358004"
KREIS_DUEREN = "05358"
LOCK_KEY = 7_101_003
EAGER = {"task_always_eager": True, "broker_url": "memory://", "result_backend": "cache+memory://"}


def editor_data(strength: dict[str, str]) -> dict:
    """A complete editor submission: every topic 0 except the given strengths."""
    from matching.vocabulary import TOPIC_SLUGS
    from plattform.profile.forms import need_field_name, strength_field_name

    data: dict = {}
    for slug in TOPIC_SLUGS:
        data[strength_field_name(slug)] = strength.get(slug, "0")
        data[need_field_name(slug)] = "0"
    data.update({"offen_fuer": ["lernpartnerschaft"], "reichweite_km": "50"})
    return data


def snapshot(ags_list) -> dict:
    """What is stored for these Kommunen: the profile data and when it was last saved."""
    from plattform.extensions import db
    from plattform.kommunen.services import get_by_ags
    from plattform.profile.services import get_profile, profile_to_data

    db.session.remove()
    out = {}
    for ags in ags_list:
        profile = get_profile(get_by_ags(ags).id)
        out[ags] = (profile_to_data(profile), profile.updated_at, len(profile.topics))
    db.session.remove()
    return out


def in_thread(call):
    """Run a request in a thread (it will wait in the pause); returns (thread, box for the response)."""
    box: dict = {}

    def run():
        try:
            box["response"] = call()
        except BaseException as exc:  # surfaced by the assertion on box
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, box


@pytest.fixture
def dropped_db_app(tmp_path, monkeypatch):
    """An app on its own temporary PostgreSQL database with the demo region and two profiles."""
    reason = services.postgres_available()
    if reason:
        services.unavailable(reason)
    from flask_migrate import upgrade

    from matching.profiles import ProfileData
    from plattform.extensions import db
    from plattform.kommunen.services import get_by_ags, import_gv_file
    from plattform.profile.services import save_profile
    from tests.factories import MembershipFactory

    with services.temporary_postgres_database() as url:
        env = {"DATABASE_URL": url, "KOMMUNALMATCH_INSTANCE": str(tmp_path)}
        app = make_fault_app(monkeypatch, env, "km-faults-db", CELERY=dict(EAGER), PROPAGATE_EXCEPTIONS=False)
        with app.app_context():
            upgrade()
            import_gv_file(DEMO_REGION)
            for ags, topic in ((KREUZAU, "digitallotsen"), (ALDENHOVEN, "e-akte")):
                save_profile(
                    get_by_ags(ags),
                    ProfileData(
                        ags=ags, staerken={topic: 3}, bedarfe={"fim": 2}, offen_fuer=("lernpartnerschaft",)
                    ),
                )
            coordinator = MembershipFactory(kommune=get_by_ags(KREIS_DUEREN), role="koordination").user
            db.session.commit()
            client = app.test_client()
            login = client.post("/konto/anmelden", data={"email": coordinator.email, "password": PASSWORD})
            assert login.status_code == 302
            db.session.remove()
            yield app, client, database_name(url)
            db.session.remove()
            db.engine.dispose()


def test_next_request_succeeds_after_the_connections_were_terminated(dropped_db_app):
    _app, client, dbname = dropped_db_app
    assert client.get(f"/kommunen/{KREUZAU}").status_code == 200
    with admin_connection() as admin:
        assert terminate_backends(admin, dbname) >= 1  # the connection waiting in the app's pool
    assert client.get(f"/kommunen/{KREUZAU}").status_code == 200
    assert client.get("/health").status_code == 200

    with admin_connection() as admin:
        assert terminate_backends(admin, dbname) >= 1
    saved = client.post(f"/profil/{KREUZAU}/bearbeiten", data=editor_data({"fim": "3"}))
    assert saved.status_code == 302
    assert snapshot([KREUZAU])[KREUZAU][0].staerken == {"fim": 3}


def test_a_profile_save_cut_off_midway_leaves_the_old_profile_and_the_retry_succeeds(dropped_db_app):
    _app, client, dbname = dropped_db_app
    before = snapshot([KREUZAU])
    post = lambda: client.post(  # noqa: E731
        f"/profil/{KREUZAU}/bearbeiten", data=editor_data({"fim": "3", "open-data": "2"})
    )
    with pause_on_insert(dbname, "profile_topic", "true", LOCK_KEY), admin_connection() as admin:
        thread, box = in_thread(post)
        (writer,) = wait_for(lambda: backends_waiting_on_advisory_lock(admin, dbname), "Speichern hält an")
        # The old topic rows are already deleted inside the writer's transaction; now it dies.
        admin.execute("SELECT pg_terminate_backend(%s)", (writer,))
        thread.join(60)
    assert "error" not in box, box.get("error")
    assert box["response"].status_code == 500
    assert "Kommunalmatch" in box["response"].text  # the German error page, not a traceback
    assert snapshot([KREUZAU]) == before

    again = post()
    assert again.status_code == 302
    after = snapshot([KREUZAU])[KREUZAU][0]
    assert after.staerken == {"fim": 3, "open-data": 2} and after.bedarfe == {}


def test_an_import_cut_off_midway_changes_no_profile(dropped_db_app):
    _app, client, dbname = dropped_db_app
    before = snapshot([KREUZAU, ALDENHOVEN])
    content = (
        "ags;ziel_1;staerke:digitallotsen;bedarf:e-akte\n"
        f"{KREUZAU};effizienz;;3\n{ALDENHOVEN};buergernaehe;3;\n"
    )

    def upload():
        return client.post(
            "/profil/import",
            data={"datei": (io.BytesIO(content.encode()), "mitglieder.csv")},
            content_type="multipart/form-data",
        )

    # Pause at the second Kommune's rows: the first one's new rows are already written.
    condition = "NEW.thema = 'digitallotsen'"
    with pause_on_insert(dbname, "profile_topic", condition, LOCK_KEY), admin_connection() as admin:
        thread, box = in_thread(upload)
        (writer,) = wait_for(lambda: backends_waiting_on_advisory_lock(admin, dbname), "Import hält an")
        admin.execute("SELECT pg_terminate_backend(%s)", (writer,))
        thread.join(60)
    assert "error" not in box, box.get("error")
    assert box["response"].status_code == 500
    assert snapshot([KREUZAU, ALDENHOVEN]) == before

    again = upload()
    assert again.status_code == 303  # to the import's result page
    after = snapshot([KREUZAU, ALDENHOVEN])
    assert after[KREUZAU][0].bedarfe == {"e-akte": 3} and after[ALDENHOVEN][0].staerken == {
        "digitallotsen": 3
    }
