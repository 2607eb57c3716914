"""A profile edit refreshes the project proposals of the topics it touches, not only overnight, and
leaves the other topics' stored proposals alone."""

from __future__ import annotations

import sqlalchemy as sa

from matching.profiles import ProfileData
from plattform.extensions import db
from plattform.profile.services import save_profile
from plattform.projekte.models import ProjectProposal
from plattform.projekte.proposals import proposals_for, recompute, topics_of
from tests.plattform.projekte.scenarios import HUND, kommune_at

PAY = "e-payment"


def test_a_profile_edit_recomputes_the_proposals_of_its_topics_only(app):
    a = kommune_at("05358011", "Adorf", 0, 0, bedarfe={HUND: 2})
    kommune_at("05358012", "Bestadt", 8, 0, bedarfe={HUND: 2})
    kommune_at("05358014", "Cedorf", 4, -6, bedarfe={HUND: 2})
    late = kommune_at("05358013", "Spätdorf", 4, 6)
    x = kommune_at("05358021", "Xdorf", 60, 60, bedarfe={PAY: 2})
    kommune_at("05358022", "Ystadt", 66, 60, bedarfe={PAY: 2})
    kommune_at("05358023", "Zedorf", 63, 66, bedarfe={PAY: 2})
    db.session.commit()
    recompute()
    (pay_before,) = proposals_for({x.id})
    assert [p.thema for p in proposals_for({a.id})] == [HUND]
    assert proposals_for({late.id}) == []
    assert topics_of({late.id}) == set()

    # Spätdorf's officer adds the dog-tax need in the profile editor's service and saves.
    save_profile(late, ProfileData(ags=late.ags, bedarfe={HUND: 3}, reichweite_km=40))
    db.session.commit()  # after the commit the trigger hands the recompute to the (eager) worker

    (hund,) = proposals_for({late.id})
    assert hund.thema == HUND and {k.name for k in hund.member_kommunen} >= {"Adorf", "Bestadt", "Spätdorf"}
    # The e-payment proposal is the same row as before: its topic was not recomputed.
    (pay_after,) = proposals_for({x.id})
    assert pay_after.id == pay_before.id

    # Dropping the need again removes Spätdorf from the dog-tax proposal (the old topic is refreshed).
    save_profile(late, ProfileData(ags=late.ags, bedarfe={}, reichweite_km=40))
    db.session.commit()
    assert proposals_for({late.id}) == []
    assert (
        db.session.scalar(sa.select(sa.func.count(ProjectProposal.id)).where(ProjectProposal.thema == PAY))
        == 1
    )


def test_a_rolled_back_edit_triggers_nothing(app):
    a = kommune_at("05358011", "Adorf", 0, 0, bedarfe={HUND: 2})
    kommune_at("05358012", "Bestadt", 8, 0, bedarfe={HUND: 2})
    kommune_at("05358014", "Cedorf", 4, -6, bedarfe={HUND: 2})
    db.session.commit()
    recompute()
    (before,) = proposals_for({a.id})
    save_profile(a, ProfileData(ags=a.ags, bedarfe={}, reichweite_km=40))
    db.session.rollback()
    db.session.commit()
    (after,) = proposals_for({a.id})
    assert after.id == before.id
