"""Profile services: round trip, type test with cold start, all-or-nothing bulk import, change signal."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from matching.profiles import ProfileData, ProjectEntry
from plattform.extensions import db
from plattform.profile.bulk import import_profiles
from plattform.profile.models import Profile
from plattform.profile.services import (
    UnknownKommuneError,
    apply_type_test,
    get_profile,
    profile_saved,
    profile_to_data,
    save_profile,
)
from tests.factories import KommuneFactory

KREUZAU = ProfileData(
    ags="05358028",
    ziele=("rechtliche-vorgaben", "foerdermittel", "effizienz"),
    handlungsfelder=("verwaltungshandeln",),
    staerken={"ozg-umsetzung": 3, "it-sicherheit": 2},
    bedarfe={"glasfaserausbau": 3, "ozg-umsetzung": 1},
    projekte=(ProjectEntry("hundesteuer-digital", "laufend", "Hundesteuer online"),),
    offen_fuer=("lernpartnerschaft",),
    reichweite_km=60,
)


def test_save_and_read_back_the_same_profile(app):
    kommune = KommuneFactory(ags="05358028")
    save_profile(kommune, KREUZAU)
    db.session.commit()
    db.session.expire_all()
    profile = get_profile(kommune.id)
    assert profile_to_data(profile) == KREUZAU
    assert profile.typ == "bedaechtige"
    assert profile.estimated is False


def test_type_test_alone_gives_an_estimated_profile_until_edited(app):
    kommune = KommuneFactory()
    result = apply_type_test(kommune, ["buergernaehe", "attraktivitaet", "effizienz"])
    assert result.typ == "serviceorientierte"
    profile = get_profile(kommune.id)
    assert profile.estimated is True
    assert profile.staerken and profile.bedarfe
    save_profile(kommune, ProfileData(ags=kommune.ags, staerken={"fim": 2}))
    assert get_profile(kommune.id).estimated is False
    # A later type test keeps the Kommune's own strengths.
    apply_type_test(kommune, ["daseinsvorsorge", "wirtschaft", "innovation"])
    assert get_profile(kommune.id).staerken == {"fim": 2}
    assert get_profile(kommune.id).typ == "community-manager"


def test_bulk_import_with_an_unknown_ags_writes_nothing(app):
    KommuneFactory(ags="05358028")
    with pytest.raises(UnknownKommuneError, match="Datensatz 2"):
        import_profiles([KREUZAU, ProfileData(ags="09999999")])
    assert db.session.scalar(sa.select(sa.func.count(Profile.id))) == 0


def test_saving_announces_the_changed_kommune(app):
    kommune = KommuneFactory()
    seen = []

    def receiver(_sender, kommune_ids):
        seen.extend(kommune_ids)

    profile_saved.connect(receiver)
    try:
        save_profile(kommune, ProfileData(ags=kommune.ags, bedarfe={"fim": 1}))
    finally:
        profile_saved.disconnect(receiver)
    assert seen == [kommune.id]
