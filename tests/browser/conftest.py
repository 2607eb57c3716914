"""Fixtures of the browser tests: the demo data set and logging in through the real login form.

The app, the live server, the session-wide Chromium and the guarded `page` come from tests/conftest.py.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from plattform.core.demo import seed_demo
from plattform.extensions import db
from plattform.kommunen.services import get_by_ags
from plattform.netzwerke.demo import KDVZ_NAME
from plattform.netzwerke.services import get_by_name
from tests.factories import PASSWORD, MembershipFactory

KREUZAU = "05358028"


@pytest.fixture
def demo(app):
    """The full demo data set, as `flask demo seed` builds it; returns the Kreis Düren network (kdvz)."""
    for _line in seed_demo():
        pass
    db.session.commit()
    return get_by_name(KDVZ_NAME)


@pytest.fixture
def kreuzau_officer(demo):
    """An officer of Kreuzau (a member of the demo's Kreis Düren network)."""
    user = MembershipFactory(kommune=get_by_ags(KREUZAU)).user
    db.session.commit()
    return user


def _sign_in(page, who, password: str = PASSWORD, *, lands_on: str = r".*/$") -> None:
    email = who if isinstance(who, str) else who.email
    page.goto("/konto/anmelden")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort", exact=True).fill(password)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(re.compile(lands_on))
    if not isinstance(who, str):
        expect(page.get_by_text(who.name).first).to_be_attached()  # the name sits in the header menu


@pytest.fixture
def sign_in():
    """Log in through the login form of a browser page: `sign_in(page, email_or_user[, password])`.
    Waits until the page has left the form for one whose URL matches `lands_on` (a regular
    expression); given a user, also until the header carries the user's name."""
    return _sign_in
