"""The suggestions section against a stand-in of plattform.vorschlaege with the agreed model shape.

The real suggestion models live on another branch; after the merge the lead runs this section against
them. Until then a stand-in module with the same columns checks the logic: only pairs the user has not
been shown are announced, across several runs and weeks.
"""

from __future__ import annotations

import sys
import types
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from plattform.digest import registry
from plattform.digest.sections import SUGGESTIONS, suggestions_section
from plattform.digest.services import deliver_digest
from plattform.extensions import db
from plattform.kommunen.models import utcnow
from tests.factories import KommuneFactory
from tests.plattform.digest.conftest import officer, parsed


class StandInBase(DeclarativeBase):
    pass


class SuggestionRun(StandInBase):
    __tablename__ = "standin_suggestion_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    status: Mapped[str] = mapped_column(sa.String(20))


class Suggestion(StandInBase):
    __tablename__ = "standin_suggestion"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int]
    kommune_id: Mapped[int]
    partner_id: Mapped[int]
    rank: Mapped[int]
    score: Mapped[float]
    teaches_me: Mapped[list] = mapped_column(sa.JSON, default=list)
    learns_from_me: Mapped[list] = mapped_column(sa.JSON, default=list)
    distance_km: Mapped[float | None]
    explanation_de: Mapped[str]


@pytest.fixture
def vorschlaege(app, monkeypatch):
    """Install the stand-in package and register the section, as sections.py does when it exists."""
    package = types.ModuleType("plattform.vorschlaege")
    models = types.ModuleType("plattform.vorschlaege.models")
    models.Suggestion, models.SuggestionRun = Suggestion, SuggestionRun
    monkeypatch.setitem(sys.modules, "plattform.vorschlaege", package)
    monkeypatch.setitem(sys.modules, "plattform.vorschlaege.models", models)
    monkeypatch.setitem(
        registry._SECTIONS, SUGGESTIONS, registry._Registration(SUGGESTIONS, 10, suggestions_section)
    )
    StandInBase.metadata.create_all(db.engine)
    yield
    db.session.rollback()
    StandInBase.metadata.drop_all(db.engine)


def run_with(kommune, partners, minutes_ago: int, status: str = "fertig") -> None:
    finished = utcnow() - timedelta(minutes=minutes_ago)
    run = SuggestionRun(started_at=finished, finished_at=finished, status=status)
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
                explanation_de=f"{partner.name} hat Erfahrung mit Digitallotsen, die {kommune.name} will.",
            )
        )
    db.session.commit()


def test_only_pairs_the_user_has_not_been_shown_are_announced(app, smtp_server, vorschlaege, kreuzau):
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
        "Für Kreuzau: Aldenhoven (14 km). Aldenhoven hat Erfahrung mit Digitallotsen, die Kreuzau will."
        in text
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
