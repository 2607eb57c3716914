"""Fixtures of the suggestion tests."""

from __future__ import annotations

import pytest
from flask_babel import force_locale


@pytest.fixture(params=["de", "en"])
def language(request, app):
    """Each test once in German and once in English, inside a request in that language (the
    explanations are rendered as the pages render them)."""
    with app.test_request_context(), force_locale(request.param):
        yield request.param
