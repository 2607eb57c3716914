"""Shared test data for the contact, dashboard, search and authorisation tests.

`make_world()` builds three real Kommunen of the demo region with their officers, a coordinator, an
administrator and an account without membership; `seed_suggestions()` stores a current suggestion
run directly through the vorschlaege models (what the nightly recompute would write).
"""

from __future__ import annotations

from dataclasses import dataclass

from plattform.accounts.models import User
from plattform.extensions import db
from plattform.kommunen.models import Kommune
from plattform.kommunen.services import get_by_ags
from tests.factories import MembershipFactory, UserFactory

KREUZAU, ALDENHOVEN, NIDEGGEN, KREIS_DUEREN = "05358028", "05358004", "05358044", "05358"


@dataclass
class World:
    """Kommunen A (Kreuzau), B (Aldenhoven), C (Nideggen) and the people who act for them."""

    a: Kommune
    b: Kommune
    c: Kommune
    kreis: Kommune
    officer_a: User
    officer_b: User
    officer_c: User
    pending_b: User  # asked to speak for B, not yet approved: never shown as a contact
    coordinator: User
    admin: User
    nobody: User


def make_world() -> World:
    """Create the people and memberships on top of the demo region and commit."""
    a, b, c, kreis = (get_by_ags(x) for x in (KREUZAU, ALDENHOVEN, NIDEGGEN, KREIS_DUEREN))
    officer_a = UserFactory(
        name="Anna Kreuzer",
        email="anna.kreuzer@kreuzau.de",
        funktion="Digitalisierungsbeauftragte",
        telefon="02422 507-100",
    )
    officer_b = UserFactory(
        name="Bernd Aldenhoff", email="bernd.aldenhoff@aldenhoven.de", funktion="CDO", telefon="02464 5860"
    )
    officer_c = UserFactory(name="Clara Nidegger", email="clara@nideggen.de")
    pending_b = UserFactory(name="Paul Wartend", email="paul.wartend@aldenhoven.de")
    coordinator = UserFactory(name="Kora Kreis", email="kora@kreis-dueren.de")
    admin = UserFactory(name="Ada Admin", email="ada@kommunalmatch.de", is_admin=True)
    nobody = UserFactory(name="Niko Niemand", email="niko@example.de")
    MembershipFactory(user=officer_a, kommune=a)
    MembershipFactory(user=officer_b, kommune=b)
    MembershipFactory(user=officer_c, kommune=c)
    MembershipFactory(user=pending_b, kommune=b, status="beantragt")
    MembershipFactory(user=coordinator, kommune=kreis, role="koordination")
    db.session.commit()
    return World(a, b, c, kreis, officer_a, officer_b, officer_c, pending_b, coordinator, admin, nobody)


def facts_code(row: dict) -> str:
    """A facts code for a seeded suggestion: the given topics (level 3, entered) and distance, the
    same Kreis, different types, the score's parts of a good match."""
    from matching.facts import encode
    from matching.vocabulary import TOPIC_INDEX

    def topics(slugs):
        return [(TOPIC_INDEX[s], 3, False) for s in slugs]

    return encode(
        topics(row.get("teaches_me", [])),
        topics(row.get("learns_from_me", [])),
        row.get("distance_km"),
        False,
        "similar",
        True,
        0,
        0,
        1,
        False,
        (0.6, 1.1, 1.0),
    )


def seed_suggestions(kommune: Kommune, rows: list[dict]) -> int:
    """Store a finished run as the current one with `rows` (partner, teaches_me, …) for `kommune`."""
    from plattform.vorschlaege.models import MatchingState, Suggestion, SuggestionRun

    run = SuggestionRun(status="fertig", size=len(rows) + 1, kind="voll")
    db.session.add(run)
    db.session.flush()
    for rank, row in enumerate(rows, start=1):
        partner = row["partner"]
        db.session.add(
            Suggestion(
                run_id=run.id,
                kommune_id=kommune.id,
                partner_id=partner.id,
                rank=rank,
                score=row.get("score", 1.0 / rank),
                distance_km=row.get("distance_km"),
                facts=row.get("facts", facts_code(row)),
            )
        )
    state = db.session.get(MatchingState, 1)
    if state is None:
        db.session.add(MatchingState(id=1, current_run_id=run.id))
    else:
        state.current_run_id = run.id
    db.session.commit()
    return run.id
