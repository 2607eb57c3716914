"""The "Warum … vorgeschlagen wird" block on a Kommune's page, for officers whose list holds it."""

from __future__ import annotations

import sqlalchemy as sa
from flask_login import current_user

from plattform.accounts.permissions import acting_kommune_ids
from plattform.extensions import db
from plattform.kommunen.models import Kommune
from plattform.kommunen.sections import register_kommune_section
from plattform.vorschlaege.explain import details, sentence
from plattform.vorschlaege.models import MatchingState, Suggestion
from plattform.vorschlaege.services import STATE_ID, list_freshness


def kommune_suggestion_context(kommune: Kommune) -> dict | None:
    """Why this Kommune is in the lists of the Kommunen the reader acts for (current run only)."""
    if not current_user.is_authenticated:
        return None
    mine = acting_kommune_ids(current_user) - {kommune.id}
    if not mine:
        return None
    run_id = sa.select(MatchingState.current_run_id).where(MatchingState.id == STATE_ID).scalar_subquery()
    rows = db.session.scalars(
        sa.select(Suggestion)
        .where(Suggestion.run_id == run_id, Suggestion.partner_id == kommune.id)
        .where(Suggestion.kommune_id.in_(sorted(mine)))
        .order_by(Suggestion.kommune_id)
    ).all()
    if not rows:
        return None
    items = []
    for s in rows:
        me = s.kommune
        fresh = list_freshness(me.id, [kommune.id])
        if fresh.pending or kommune.id in fresh.stale_partners:
            # explained from facts older than a profile edit: not shown as current
            items.append({"me": me, "rank": s.rank, "sentence": None, "details": []})
            continue
        items.append(
            {
                "me": me,
                "rank": s.rank,
                "sentence": sentence(s.fact_sheet, me.display_name, kommune.display_name),
                "details": details(
                    s.fact_sheet, me.display_name, kommune.display_name, (me.population, kommune.population)
                ),
            }
        )
    return {"entries": items}


register_kommune_section("vorschlaege/_kommune_section.html", kommune_suggestion_context, 25)
