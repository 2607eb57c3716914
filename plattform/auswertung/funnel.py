"""The funnel: from a partner suggestion shown to a shared project, per group of Kommunen and ISO week.

Stages (in order): a suggestion was shown (its first showing on the dashboard, recorded by the
suggestions as feedback "ignoriert" with count 0), a contact request was sent, it was accepted, a
partnership exists, and the two (or a group with them) run a shared project. Counts only: a week's
row says how many of each happened in it, for the Kommunen of the group on the asking side.
Pure reads; nothing here writes.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from plattform.core.clock import utcnow
from plattform.digest.services import BERLIN, aware, iso_week_of
from plattform.extensions import db
from plattform.i18n import N_
from plattform.kommunen.models import Kommune
from plattform.kontakte.models import ContactRequest, Partnership
from plattform.projekte.models import SharedProject, SharedProjectMember
from plattform.vorschlaege.models import SuggestionFeedback

STAGES = ("angezeigt", "angefragt", "angenommen", "partnerschaft", "projekt")
STAGE_LABELS_DE = {
    "angezeigt": N_("Vorschläge angezeigt"),
    "angefragt": N_("Kontaktanfragen"),
    "angenommen": N_("Angenommen"),
    "partnerschaft": N_("Partnerschaften"),
    "projekt": N_("Gemeinsame Projekte"),
}
# The suggestions record a pair's first showing as feedback of this kind (plattform/vorschlaege).
SHOWN_KIND = "ignoriert"


@dataclass
class WeekRow:
    """One ISO week of the funnel."""

    week: str  # "2026-W48"
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STAGES, 0))


@dataclass
class Funnel:
    """A group's funnel over the last weeks, oldest week first, with the totals."""

    weeks: list[WeekRow]

    @property
    def totals(self) -> dict[str, int]:
        """The sum of every stage over the weeks shown."""
        return {s: sum(w.counts[s] for w in self.weeks) for s in STAGES}

    @property
    def maximum(self) -> int:
        """The largest count of any stage in any week (the chart's scale)."""
        return max((max(w.counts.values()) for w in self.weeks), default=0)


def week_start(moment: datetime) -> datetime:
    """Monday 00:00 (Berlin) of the moment's ISO week, in UTC."""
    local = aware(moment).astimezone(BERLIN)
    monday = (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    return monday.astimezone(aware(moment).tzinfo)


def last_weeks(count: int, now: datetime | None = None) -> list[str]:
    """The ISO weeks of the last `count` weeks, oldest first, the current one last."""
    now = now or utcnow()
    return [iso_week_of(now - timedelta(weeks=n)) for n in range(count - 1, -1, -1)]


def _events(kommune_ids: list[int], since: datetime, until: datetime) -> dict[str, list[datetime]]:
    """When each stage happened for the group (the asking side in the group), in [since, until)."""
    ids = kommune_ids
    shown = db.session.scalars(
        sa.select(SuggestionFeedback.created_at).where(
            SuggestionFeedback.kind == SHOWN_KIND,
            SuggestionFeedback.kommune_id.in_(ids),
            SuggestionFeedback.created_at >= since,
            SuggestionFeedback.created_at < until,
        )
    )
    asked = db.session.scalars(
        sa.select(ContactRequest.created_at).where(
            ContactRequest.from_kommune_id.in_(ids),
            ContactRequest.created_at >= since,
            ContactRequest.created_at < until,
        )
    )
    accepted = db.session.scalars(
        sa.select(ContactRequest.answered_at).where(
            ContactRequest.from_kommune_id.in_(ids),
            ContactRequest.status == "angenommen",
            ContactRequest.answered_at >= since,
            ContactRequest.answered_at < until,
        )
    )
    partnerships = db.session.scalars(
        sa.select(Partnership.created_at).where(
            sa.or_(Partnership.kommune_a_id.in_(ids), Partnership.kommune_b_id.in_(ids)),
            Partnership.created_at >= since,
            Partnership.created_at < until,
        )
    )
    involved = sa.select(SharedProjectMember.project_id).where(SharedProjectMember.kommune_id.in_(ids))
    projects = db.session.scalars(
        sa.select(SharedProject.created_at).where(
            sa.or_(SharedProject.lead_kommune_id.in_(ids), SharedProject.id.in_(involved)),
            SharedProject.created_at >= since,
            SharedProject.created_at < until,
        )
    )
    return {
        "angezeigt": list(shown),
        "angefragt": list(asked),
        "angenommen": list(accepted),
        "partnerschaft": list(partnerships),
        "projekt": list(projects),
    }


def weekly_funnel(kommune_ids: Collection[int], weeks: int = 12, now: datetime | None = None) -> Funnel:
    """Counts per stage and ISO week for the last `weeks` weeks (current week included)."""
    now = now or utcnow()
    labels = last_weeks(weeks, now)
    rows = {label: WeekRow(label) for label in labels}
    if kommune_ids:
        since = week_start(now - timedelta(weeks=weeks - 1))
        for stage, moments in _events(sorted(kommune_ids), since, now + timedelta(seconds=1)).items():
            for moment in moments:
                row = rows.get(iso_week_of(moment))
                if row is not None:
                    row.counts[stage] += 1
    return Funnel([rows[label] for label in labels])


def funnel_rows(funnel: Funnel) -> list[dict]:
    """The funnel as export rows (one per week; counts only)."""
    return [{"kalenderwoche": w.week, **w.counts} for w in funnel.weeks]


# --- groups ------------------------------------------------------------------------------------------


def kreis_kommune_ids(kreis: Kommune) -> set[int]:
    """The Kreis and its Gemeinden."""
    return {kreis.id} | set(db.session.scalars(sa.select(Kommune.id).where(Kommune.kreis_id == kreis.id)))


def land_kommune_ids(schluessel: str) -> set[int]:
    """Every Kommune of a Land."""
    return set(db.session.scalars(sa.select(Kommune.id).where(Kommune.land_schluessel == schluessel)))


# --- per pair (issue 12) -------------------------------------------------------------------------------


def pair_outcomes(since: datetime, kommune_ids: Collection[int]) -> dict[tuple[int, int], str]:
    """Per (kommune_id, partner_id) — kommune_id one of `kommune_ids` — the furthest stage reached by
    a pair that was shown or asked since `since` (one of STAGES).

    A pair counts as "projekt" when both joined the same shared project (or one leads it), as
    "partnerschaft" when they are partners, "angenommen" when a request between them was accepted,
    "angefragt" when one was sent from kommune_id to partner_id, else "angezeigt".
    """
    ids = sorted(set(kommune_ids))
    if not ids:
        return {}
    rank = {stage: n for n, stage in enumerate(STAGES)}
    result: dict[tuple[int, int], str] = {}

    def reach(pair: tuple[int, int], stage: str) -> None:
        if pair in result and rank[result[pair]] >= rank[stage]:
            return
        result[pair] = stage

    for k, p in db.session.execute(
        sa.select(SuggestionFeedback.kommune_id, SuggestionFeedback.partner_id).where(
            SuggestionFeedback.kind == SHOWN_KIND,
            SuggestionFeedback.kommune_id.in_(ids),
            SuggestionFeedback.created_at >= since,
        )
    ):
        reach((k, p), "angezeigt")
    for k, p, status in db.session.execute(
        sa.select(ContactRequest.from_kommune_id, ContactRequest.to_kommune_id, ContactRequest.status).where(
            ContactRequest.from_kommune_id.in_(ids), ContactRequest.created_at >= since
        )
    ):
        reach((k, p), "angenommen" if status == "angenommen" else "angefragt")
    if not result:
        return {}
    partners = {
        frozenset(pair)
        for pair in db.session.execute(sa.select(Partnership.kommune_a_id, Partnership.kommune_b_id))
    }
    together: set[frozenset[int]] = set()
    members: dict[int, set[int]] = {}
    for pid, kid in db.session.execute(
        sa.select(SharedProjectMember.project_id, SharedProjectMember.kommune_id).where(
            SharedProjectMember.status == "beigetreten"
        )
    ):
        members.setdefault(pid, set()).add(kid)
    for pid, lead in db.session.execute(sa.select(SharedProject.id, SharedProject.lead_kommune_id)):
        members.setdefault(pid, set()).add(lead)
    involved = {k for pair in result for k in pair}
    for group in members.values():
        group = group & involved
        for a in group:
            for b in group:
                if a < b:
                    together.add(frozenset((a, b)))
    for pair in list(result):
        key = frozenset(pair)
        if key in together:
            reach(pair, "projekt")
        elif key in partners:
            reach(pair, "partnerschaft")
    return result
