"""The data migration kommunen_1: what was made on a kreisfreie Stadt's Kreis row before the platform
refused it (memberships, network memberships, a type-tested profile) moves to the city's own row,
on SQLite and on PostgreSQL."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from tests.integration.test_backends import BACKENDS, backend_env, make_app

KARLSRUHE_KREIS, KARLSRUHE = "08212", "08212000"


@contextmanager
def karlsruhe_before_the_migration(kind, tmp_path, monkeypatch):
    """A database at the revision before kommunen_1 holding Karlsruhe twice: its Stadtkreis row and
    its city row. Yields (Kreis row, city row, db) inside the app context; cleans up afterwards."""
    from flask_migrate import upgrade

    from plattform.extensions import db
    from tests.factories import KommuneFactory, LandFactory

    with backend_env(kind, tmp_path) as (env, queue):
        app = make_app(monkeypatch, env, queue)
        with app.app_context():
            upgrade(revision="vorschlaege_3")
            land = LandFactory(schluessel="08", name="Baden-Württemberg")
            kreis_row = KommuneFactory(
                ags=KARLSRUHE_KREIS, ebene="kreis", kind="stadtkreis", name="Karlsruhe", land=land
            )
            city = KommuneFactory(ags=KARLSRUHE, kind="kreisfreie-stadt", name="Karlsruhe", land=land)
            try:
                yield kreis_row, city, db
            finally:
                db.session.remove()
                db.engine.dispose()


def _migrate(db) -> None:
    from flask_migrate import upgrade

    db.session.commit()
    db.session.remove()
    upgrade()


@pytest.mark.parametrize("kind", BACKENDS)
def test_kreis_row_memberships_and_profile_move_to_the_city_row(kind, tmp_path, monkeypatch):
    from plattform.accounts.models import KommuneMembership
    from plattform.netzwerke.models import Netzwerk, NetzwerkMitglied
    from plattform.profile.models import Profile
    from tests.factories import KommuneFactory, MembershipFactory, UserFactory

    with karlsruhe_before_the_migration(kind, tmp_path, monkeypatch) as (kreis_row, city, db):
        landkreis = KommuneFactory(
            ags="08215", ebene="kreis", kind="landkreis", name="Karlsruhe", land=city.land
        )
        alone, pending_on_city, both_confirmed = UserFactory(), UserFactory(), UserFactory()
        MembershipFactory(user=alone, kommune=kreis_row, status="beantragt")
        MembershipFactory(user=pending_on_city, kommune=kreis_row, status="bestaetigt", role="admin")
        MembershipFactory(user=pending_on_city, kommune=city, status="beantragt")
        MembershipFactory(user=both_confirmed, kommune=kreis_row)
        MembershipFactory(user=both_confirmed, kommune=city)
        MembershipFactory(user=alone, kommune=landkreis)  # a matchable Kreis stays untouched
        network, other_network = Netzwerk(name="Netz A"), Netzwerk(name="Netz B")
        db.session.add_all([network, other_network])
        db.session.flush()
        db.session.add_all(
            [
                NetzwerkMitglied(netzwerk=network, kommune=kreis_row),
                NetzwerkMitglied(netzwerk=other_network, kommune=kreis_row),
                NetzwerkMitglied(netzwerk=other_network, kommune=city),
            ]
        )
        db.session.add(Profile(kommune=kreis_row, typ="optimierer"))
        db.session.flush()
        ids = {"city": city.id, "landkreis": landkreis.id}
        users = {"alone": alone.id, "pending": pending_on_city.id, "both": both_confirmed.id}
        nets = {"a": network.id, "b": other_network.id}

        _migrate(db)

        memberships = {
            (m.user_id, m.kommune_id): (m.status, m.role)
            for m in db.session.scalars(db.select(KommuneMembership))
        }
        assert memberships == {
            (users["alone"], ids["city"]): ("beantragt", "mitglied"),
            (users["alone"], ids["landkreis"]): ("bestaetigt", "mitglied"),
            (users["pending"], ids["city"]): ("bestaetigt", "admin"),
            (users["both"], ids["city"]): ("bestaetigt", "mitglied"),
        }
        members = {(m.netzwerk_id, m.kommune_id) for m in db.session.scalars(db.select(NetzwerkMitglied))}
        assert members == {(nets["a"], ids["city"]), (nets["b"], ids["city"])}
        profiles = {p.kommune_id: p.typ for p in db.session.scalars(db.select(Profile))}
        assert profiles == {ids["city"]: "optimierer"}


@pytest.mark.parametrize("kind", BACKENDS[:1])
def test_a_city_row_profile_is_kept_and_the_kreis_row_profile_left_alone(kind, tmp_path, monkeypatch):
    from plattform.profile.models import Profile

    with karlsruhe_before_the_migration(kind, tmp_path, monkeypatch) as (kreis_row, city, db):
        db.session.add_all(
            [Profile(kommune=kreis_row, typ="optimierer"), Profile(kommune=city, typ="bedaechtige")]
        )
        db.session.flush()
        ids = {kreis_row.id: "kreis", city.id: "city"}

        _migrate(db)

        profiles = {ids[p.kommune_id]: p.typ for p in db.session.scalars(db.select(Profile))}
        assert profiles == {"kreis": "optimierer", "city": "bedaechtige"}
