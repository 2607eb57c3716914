"""Redis (broker and result backend) stopped and started again, with a private redis-server.

While Redis is down the web keeps serving: pages render, a profile save is stored (the suggestion
update cannot be queued; that is logged and the next full recompute catches up), a contact request
is stored, and ordering the digest stores the subscription and sends the confirmation directly.
After Redis is back, the running worker reconnects by itself and processes new work: a profile edit
updates the current suggestions in place, and the full recompute swaps in a run with the edits.
"""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from tests import services
from tests.conftest import DEMO_REGION
from tests.factories import PASSWORD
from tests.faults.conftest import OwnRedis, make_fault_app, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.worker, pytest.mark.postgres, pytest.mark.redis]

KREUZAU = "05358028"
NOERVENICH = "05358044"


def editor_data(strength: dict[str, str]) -> dict:
    """A complete editor submission: every topic 0 except the given strengths."""
    from matching.vocabulary import TOPIC_SLUGS
    from plattform.profile.forms import need_field_name, strength_field_name

    data: dict = {}
    for slug in TOPIC_SLUGS:
        data[strength_field_name(slug)] = strength.get(slug, "0")
        data[need_field_name(slug)] = "2" if slug == "e-akte" else "0"
    data.update({"offen_fuer": ["lernpartnerschaft"], "reichweite_km": "80"})
    return data


def updates_of_current_run() -> int:
    """How many in-place updates the current run has had (each profile edit the worker processed)."""
    from plattform.extensions import db
    from plattform.vorschlaege import services as vorschlaege

    db.session.remove()
    run = vorschlaege.current_run()
    count = int(run.params.get("updates", 0))
    db.session.remove()
    return count


class Records(logging.Handler):
    """Keep the log records of one logger (alembic's fileConfig removes pytest's root handler)."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_web_serves_while_redis_is_down_and_the_worker_resumes_after_the_restart(tmp_path, monkeypatch):
    from flask_migrate import upgrade

    from plattform.accounts.models import User
    from plattform.core.tasks import directory_counts_task
    from plattform.digest.models import DigestSubscription
    from plattform.extensions import db
    from plattform.kommunen.services import get_by_ags, import_gv_file
    from plattform.kontakte.models import ContactRequest
    from plattform.profile.services import get_profile
    from plattform.vorschlaege import services as vorschlaege
    from plattform.vorschlaege.tasks import recompute_all
    from tests.factories import MembershipFactory
    from tests.plattform.vorschlaege.helpers import seed_profiles

    reason = services.postgres_available()
    if reason:
        services.unavailable(reason)
    redis_server = OwnRedis(tmp_path / "redis.log")
    queue = "km-faults-redis"
    redis_server.start()
    try:
        with services.temporary_postgres_database() as url:
            env = {
                "DATABASE_URL": url,
                "CELERY_BROKER_URL": redis_server.url,
                "CELERY_RESULT_BACKEND": redis_server.url,
                "KOMMUNALMATCH_INSTANCE": str(tmp_path),
            }
            app = make_fault_app(monkeypatch, env, queue, PROPAGATE_EXCEPTIONS=False)
            with app.app_context():
                upgrade()
                import_gv_file(DEMO_REGION)
                seed_profiles(seed=5)
                first_run = vorschlaege.recompute_full().run_id
                user = MembershipFactory(kommune=get_by_ags(KREUZAU)).user
                db.session.commit()
                kreuzau_id, noervenich_id, user_id = (
                    get_by_ags(KREUZAU).id,
                    get_by_ags(NOERVENICH).id,
                    user.id,
                )
                db.session.remove()
            client = app.test_client()
            assert (
                client.post("/konto/anmelden", data={"email": user.email, "password": PASSWORD}).status_code
                == 302
            )
            outbox = tmp_path / "outbox"

            with services.celery_worker(env, queue, tmp_path / "worker.log"), app.app_context():
                assert directory_counts_task.apply_async(queue=queue).get(timeout=60)["gemeinde"] == 120
                redis_server.stop()
                assert not redis_server.ping()

                # ---- Redis is down: the web keeps serving.
                for path in ("/health", f"/kommunen/{KREUZAU}", "/vorschlaege/", "/suche/", "/kontakte/"):
                    assert client.get(path).status_code == 200, path
                records = Records()
                logging.getLogger("plattform.vorschlaege.tasks").addHandler(records)
                saved = client.post(f"/profil/{KREUZAU}/bearbeiten", data=editor_data({"fim": "3"}))
                assert saved.status_code == 302
                logging.getLogger("plattform.vorschlaege.tasks").removeHandler(records)
                assert records.messages == ["Aktualisierung der Vorschläge nicht eingereiht"]
                db.session.remove()
                assert get_profile(kreuzau_id).staerken == {"fim": 3}
                assert updates_of_current_run() == 0  # not updated: the task could not be queued

                asked = client.post(
                    f"/kontakte/anfrage/neu/{NOERVENICH}",
                    data={"absender": str(kreuzau_id), "nachricht": "Wollen wir uns austauschen?"},
                )
                assert asked.status_code == 302, asked.text[:300]
                db.session.remove()
                assert (
                    db.session.scalar(
                        sa.select(sa.func.count()).where(
                            ContactRequest.from_kommune_id == kreuzau_id,
                            ContactRequest.to_kommune_id == noervenich_id,
                        )
                    )
                    == 1
                )

                ordered = client.post(
                    "/digest/einstellungen", data={"aktion": "bestellen", "einwilligung": "y"}
                )
                assert ordered.status_code == 302, ordered.text[:300]
                db.session.remove()
                subscription = db.session.scalar(
                    sa.select(DigestSubscription).where(DigestSubscription.user_id == user_id)
                )
                assert subscription.status == "pending"
                email = db.session.get(User, user_id).email
                mails = (
                    [p.read_text(errors="replace") for p in outbox.glob("*.eml")] if outbox.exists() else []
                )
                assert any(email in m and "bestätigen" in m.lower() for m in mails), (
                    "Bestätigung nicht gesendet"
                )
                db.session.remove()

                # ---- Redis is back: the same worker reconnects; new work runs.
                redis_server.start()
                assert directory_counts_task.apply_async(queue=queue).get(timeout=120)["gemeinde"] == 120
                again = client.post(
                    f"/profil/{KREUZAU}/bearbeiten", data=editor_data({"fim": "3", "open-data": "2"})
                )
                assert again.status_code == 302
                wait_for(
                    lambda: updates_of_current_run() == 1, "Aktualisierung nach dem Neustart verarbeitet"
                )
                caught_up = recompute_all.apply_async(queue=queue).get(timeout=180)
                assert caught_up["current"] and caught_up["run_id"] > first_run
                assert vorschlaege.current_run_id() == caught_up["run_id"]
                db.session.remove()
                db.engine.dispose()
    finally:
        redis_server.stop()
