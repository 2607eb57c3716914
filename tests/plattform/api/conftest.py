"""API tests: the demo region with three officers, a coordinator, an administrator, and their tokens."""

from __future__ import annotations

import pytest

from plattform.api.services import create_token
from plattform.extensions import db
from tests.plattform.kontakte.helpers import make_world


def bearer(secret: str) -> dict:
    """The Authorization header for a token."""
    return {"Authorization": f"Bearer {secret}"}


def token_for(user, scope: str = "lesen", name: str | None = None, days: int | None = None) -> str:
    """Create a token for the user, commit, and return its secret."""
    _token, secret = create_token(user, name or f"Test {scope}", scope, days)
    db.session.commit()
    return secret


@pytest.fixture
def world(demo_region):
    """Kreuzau (a), Aldenhoven (b), Nideggen (c) and Kreis Düren with their people (see make_world)."""
    return make_world()
