"""Demo profiles: every Kommune of the demo region, repeatable, marked as demo data, the kdvz story
of Kreuzau and Aldenhoven, and own profiles left alone."""

from __future__ import annotations

import sqlalchemy as sa

from matching.profiles import ProfileData
from plattform.extensions import db
from plattform.kommunen.models import Kommune
from plattform.kommunen.services import get_by_ags, matchable_filter
from plattform.profile.demo import ALDENHOVEN, KREUZAU, seed_demo_profiles
from plattform.profile.models import Profile
from plattform.profile.services import all_profiles, get_profile, profile_to_data, save_profile
from tests.plattform.profile.html import text


def snapshot() -> dict[str, tuple]:
    """Everything a demo profile holds, by AGS, read fresh from the database."""
    db.session.expire_all()
    return {
        p.kommune.ags: (profile_to_data(p), p.typ, p.typ_mixed_with, p.is_demo, p.estimated)
        for p in all_profiles()
    }


def test_demo_step_gives_every_demo_kommune_a_profile_and_is_repeatable(app, demo_region):
    line = seed_demo_profiles()
    first = snapshot()
    matchable = db.session.scalar(sa.select(sa.func.count(Kommune.id)).where(matchable_filter()))
    assert len(first) == matchable > 100
    assert "Kreuzau und Aldenhoven nach dem kdvz-Bericht" in line
    assert all(is_demo for _data, _typ, _mixed, is_demo, _est in first.values())
    assert {typ for _data, typ, *_rest in first.values()} == {
        "bedaechtige",
        "optimierer",
        "serviceorientierte",
        "community-manager",
    }
    seed_demo_profiles()
    assert snapshot() == first
    assert db.session.scalar(sa.select(sa.func.count(Profile.id))) == matchable


def test_kreuzau_and_aldenhoven_tell_the_kdvz_story(app, demo_region):
    seed_demo_profiles()
    kreuzau = profile_to_data(get_profile(get_by_ags(KREUZAU).id))
    aldenhoven = profile_to_data(get_profile(get_by_ags(ALDENHOVEN).id))
    assert aldenhoven.staerken["digitallotsen"] == 3
    assert kreuzau.bedarfe["digitallotsen"] == 3
    # Both have a Digitalisierungsbeauftragte (role and governance) ...
    assert kreuzau.staerken["cdo-rolle"] >= 2 and aldenhoven.staerken["cdo-rolle"] >= 2
    # ... and Kreuzau can give something back: its digital strategy, which Aldenhoven needs.
    assert kreuzau.staerken["digitalisierungsstrategie"] == 3
    assert aldenhoven.bedarfe["digitalisierungsstrategie"] == 3


def test_demo_seed_keeps_profiles_a_person_saved(app, demo_region):
    own = ProfileData(ags=KREUZAU, staerken={"fim": 3})
    save_profile(get_by_ags(KREUZAU), own, user_id=None)
    db.session.commit()
    line = seed_demo_profiles()
    assert "1 eigene Profile unverändert" in line
    db.session.expire_all()
    profile = get_profile(get_by_ags(KREUZAU).id)
    assert profile.is_demo is False
    assert profile_to_data(profile) == own


def test_demo_seed_command_marks_demo_data_on_the_kommune_page(app, runner, client):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert "Demo-Profile:" in result.output
    page = text(client.get(f"/kommunen/{ALDENHOVEN}").text)
    assert "Demodaten" in page
    assert "Digitallotsen Stufe 3 – Expertise" in page
    assert "Inhouse-Ausbildung zu Digitallotsinnen und Digitallotsen" in page
