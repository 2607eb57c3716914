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
    for _view in range(2):  # first view creates the feedback rows, the second finds them
        statements.clear()
        page = client.get("/vorschlaege/")
        assert page.status_code == 200
        assert page.text.index("Aldenhoven") < page.text.index("Nideggen") < page.text.index("Langerwehe")
        assert len(_selects_from(statements, "suggestion")) == 1  # no reload of each row after the commit
        assert len(_selects_from(statements, "suggestion_feedback")) == 1  # not one per partner
        per_row = [s for s in _selects_from(statements, "kommune") if re.search(r"kommune\.id = (\?|%)", s)]
        assert per_row == [], per_row  # partners and their Kreise come in bulk (IN), not one by one
    shown = db.session.scalars(
        sa.select(SuggestionFeedback.partner_id).where(
            SuggestionFeedback.kommune_id == seeded.a.id, SuggestionFeedback.kind == "ignoriert"
        )
    ).all()
    assert len(shown) == 3
