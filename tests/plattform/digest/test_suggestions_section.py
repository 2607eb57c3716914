"""The suggestions section against the real suggestion models: only pairs not yet shown are announced."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from plattform.core.clock import utcnow
from plattform.digest.services import deliver_digest
from plattform.extensions import db
from plattform.vorschlaege.models import MatchingState, Suggestion, SuggestionRun
from plattform.vorschlaege.services import STATE_ID, _ensure_state, mark_not_interested
from tests.factories import KommuneFactory
from tests.plattform.digest.conftest import officer, parsed
from tests.plattform.kontakte.helpers import facts_code


def run_with(kommune, partners, minutes_ago: int, status: str = "fertig") -> None:
    """Store a run with these suggestions; a finished run becomes current, as the recompute's swap does."""
    finished = utcnow() - timedelta(minutes=minutes_ago)
    run = SuggestionRun(started_at=finished, finished_at=finished, status=status, size=len(partners) + 1)
    db.session.add(run)
    db.session.flush()
    for rank, partner in enumerate(partners, start=1):
        db.session.add(
            Suggestion(
                run_id=run.id,
                kommune_id=kommune.id,
                partner_id=partner.id,
                rank=rank,
                score=1.0 / rank,
                distance_km=14.2,
                facts=facts_code({"teaches_me": ["digitallotsen"], "distance_km": 14.2}),
            )
        )
    db.session.commit()
    if status == "fertig":
        _ensure_state()
        db.session.execute(
            sa.update(MatchingState).where(MatchingState.id == STATE_ID).values(current_run_id=run.id)
        )
        db.session.commit()


def test_only_pairs_the_user_has_not_been_shown_are_announced(app, smtp_server, kreuzau):
    aldenhoven = KommuneFactory(name="Aldenhoven", ags="05358004")
    langerwehe = KommuneFactory(name="Langerwehe", ags="05358032")
    niederzier = KommuneFactory(name="Niederzier", ags="05358040")
    user = officer(kreuzau)
    db.session.commit()

    run_with(kreuzau, [aldenhoven, langerwehe], minutes_ago=30)
    assert deliver_digest(user.id, "2026-W47") == "gesendet"
    first = parsed(smtp_server.messages[-1])
    assert first["Subject"] == "Kommunalmatch: 2 neue Vorschläge für Kreuzau (KW 47)"
    text = first.get_body(("plain",)).get_content()
    assert (
        "Für Kreuzau: Aldenhoven. Kreuzau kann von Aldenhoven im Thema „Digitallotsen“ lernen; "
        "14 km entfernt; ähnlich groß; im selben Kreis; unterschiedliche Typen (Die Bedächtigen und "
        "Die Optimierer) ergänzen sich." in text
    )
    assert "/kommunen/05358004" in text

    # A newer run keeps Langerwehe and adds Niederzier; an unfinished run does not count.
    run_with(kreuzau, [langerwehe, niederzier], minutes_ago=20)
    run_with(kreuzau, [kreuzau], minutes_ago=10, status="laeuft")
    assert deliver_digest(user.id, "2026-W48") == "gesendet"
    second = parsed(smtp_server.messages[-1])
    assert second["Subject"] == "Kommunalmatch: 1 neuer Vorschlag für Kreuzau (KW 48)"
    text = second.get_body(("plain",)).get_content()
    assert "Niederzier" in text and "Langerwehe" not in text and "Aldenhoven" not in text

    # Aldenhoven comes back: already shown in week 47, so nothing is new.
    run_with(kreuzau, [aldenhoven, niederzier], minutes_ago=5)
    assert deliver_digest(user.id, "2026-W49") == "leer"
    assert len(smtp_server.messages) == 2


def test_hidden_partners_are_not_announced(app, smtp_server, kreuzau):
    aldenhoven = KommuneFactory(name="Aldenhoven", ags="05358004")
    langerwehe = KommuneFactory(name="Langerwehe", ags="05358032")
    user = officer(kreuzau)
    db.session.commit()
    run_with(kreuzau, [aldenhoven, langerwehe], minutes_ago=30)
    mark_not_interested(kreuzau.id, aldenhoven.id)
    db.session.commit()
    assert deliver_digest(user.id, "2026-W47") == "gesendet"
    text = parsed(smtp_server.messages[-1]).get_body(("plain",)).get_content()
    assert "Langerwehe" in text and "Aldenhoven" not in text


def test_a_partner_already_contacted_is_not_suggested_in_the_digest(app, smtp_server, kreuzau):
    """A request either way (open or answered) ends the suggestion: the digest 13 minutes after a
    request must not suggest its recipient."""
    from tests.plattform.digest.conftest import contact_request

    aldenhoven = KommuneFactory(name="Aldenhoven", ags="05358004")
    langerwehe = KommuneFactory(name="Langerwehe", ags="05358032")
    niederzier = KommuneFactory(name="Niederzier", ags="05358040")
    user = officer(kreuzau)
    db.session.commit()
    run_with(kreuzau, [aldenhoven, langerwehe, niederzier], minutes_ago=30)
    contact_request(kreuzau, aldenhoven, created_at=utcnow() - timedelta(minutes=13))
    contact_request(niederzier, kreuzau, status="angenommen", answered_at=utcnow())
    db.session.commit()
    assert deliver_digest(user.id, "2026-W47") == "gesendet"
    text = parsed(smtp_server.messages[-1]).get_body(("plain",)).get_content()
    suggestions = text[text.index("Neue Partnervorschläge") :]
    suggestions = suggestions[
        : min(suggestions.find(end) % len(suggestions) for end in ("Kontaktanfragen", "Zur Plattform"))
    ]
    assert "Für Kreuzau: Langerwehe." in suggestions
    assert "Aldenhoven" not in suggestions and "Niederzier" not in suggestions
