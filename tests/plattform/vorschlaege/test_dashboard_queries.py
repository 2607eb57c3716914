"""The dashboard's database work does not grow with the number of suggestions (no N+1), and it still
records what it showed (the ignore clock)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from plattform.extensions import db
from plattform.vorschlaege.models import SuggestionFeedback
from tests.plattform.vorschlaege.test_views import seeded, world  # noqa: F401 (fixtures)


@pytest.fixture
def statements(app):
    """Every SQL statement the app sends while the test runs."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many):
        seen.append(" ".join(statement.split()))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    sa.event.remove(db.engine, "before_cursor_execute", record)


def _selects_from(seen: list[str], table: str) -> list[str]:
    """Statements that load rows of `table` (their select list starts with its columns)."""
    return [s for s in seen if s.startswith(f"SELECT {table}.")]


def test_dashboard_loads_partners_kreise_and_feedback_in_bulk(client, login, seeded, statements):  # noqa: F811
    login(seeded.officer_a)
    for view in range(2):  # first view creates the feedback rows, the second finds them
        statements.clear()
        page = client.get("/vorschlaege/")
        assert page.status_code == 200
        assert page.text.index("Aldenhoven") < page.text.index("Nideggen") < page.text.index("Langerwehe")
        # one query for the list with types, open requests and the ignore clock: no reload after the
        # commit, no lookup per partner, no separate feedback query
        assert len(_selects_from(statements, "suggestion")) == 1
        assert _selects_from(statements, "suggestion_feedback") == []
        assert _selects_from(statements, "profile") == []
        per_row = [s for s in _selects_from(statements, "kommune") if re.search(r"kommune\.id = (\?|%)", s)]
        assert per_row == [], per_row  # partners and their Kreise come in bulk, not one by one
        writes = [s for s in statements if s.startswith(("INSERT", "UPDATE"))]
        # the first view starts the clocks; seeing the same list again within the week writes nothing
        assert (len(writes) > 0) == (view == 0), writes
    shown = db.session.scalars(
        sa.select(SuggestionFeedback.partner_id).where(
            SuggestionFeedback.kommune_id == seeded.a.id, SuggestionFeedback.kind == "ignoriert"
        )
    ).all()
    assert len(shown) == 3


def test_dashboard_list_carries_the_ignore_clock_for_record_shown(app, seeded):  # noqa: F811
    from datetime import timedelta

    from plattform.core.clock import utcnow
    from plattform.vorschlaege.services import dashboard_list, record_shown

    first = dashboard_list(seeded.a.id)
    assert set(first.last_shown.values()) == {None}
    now = utcnow()
    partners = [s.partner_id for s in first.suggestions]
    record_shown(seeded.a.id, partners, now=now, last_shown=first.last_shown)
    again = dashboard_list(seeded.a.id)
    assert all(at is not None for at in again.last_shown.values())
    record_shown(seeded.a.id, partners, now=now + timedelta(days=1), last_shown=again.last_shown)
    record_shown(seeded.a.id, partners, now=now + timedelta(days=8), last_shown=again.last_shown)
    counts = db.session.scalars(
        sa.select(SuggestionFeedback.count).where(
            SuggestionFeedback.kommune_id == seeded.a.id, SuggestionFeedback.kind == "ignoriert"
        )
    ).all()
    assert sorted(counts) == [1] * len(partners)  # a day later: nothing; a week later: one more ignore
