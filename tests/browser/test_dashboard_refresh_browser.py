"""The dashboard while the worker recomputes (issue 14 item 4): after a profile edit it says "wird neu
berechnet"; once the worker has answered, the status box says so by itself (no reload of its own)
and its link shows the new list. Accessible in both states."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from plattform.extensions import db
from plattform.profile.services import save_profile
from plattform.vorschlaege.services import recompute_kommunen
from tests.a11y import assert_accessible
from tests.browser.layout import clipped, page_overflows, set_width
from tests.plattform.vorschlaege.test_freshness import _kreuzau, worker_stopped, world  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 390])
def test_the_status_box_tells_when_the_new_list_is_ready(page, sign_in, world, worker_stopped, width):  # noqa: F811
    set_width(page, width)
    save_profile(world.a, _kreuzau({"open-data": 2}), user_id=world.officer_a.id)
    db.session.commit()
    sign_in(page, world.officer_a)
    page.goto("/vorschlaege/")
    box = page.locator("#neu-berechnet")
    working, ready = box.locator(".km-pending-text"), box.locator(".km-pending-done")
    expect(working).to_be_visible()
    expect(ready).to_be_hidden()
    expect(page.locator(".km-stand").last).to_contain_text("wird neu berechnet", use_inner_text=True)
    assert_accessible(page)

    recompute_kommunen([world.a.id])  # the worker answers
    expect(ready).to_be_visible()
    expect(ready).to_have_text("Die Vorschläge sind neu berechnet.")
    expect(working).to_be_hidden()
    expect(page.locator(".km-stand").last).not_to_contain_text("wird neu berechnet", use_inner_text=True)
    assert "/vorschlaege/" in page.url and page.locator(".km-stale").count() > 0  # not reloaded by itself
    assert_accessible(page)
    assert not page_overflows(page) and clipped(page, "#neu-berechnet a, #neu-berechnet p") == []

    page.get_by_role("link", name="Neue Vorschläge anzeigen").click()
    expect(page.locator(".km-reason").first).to_contain_text("im Thema „Open Data“")
    expect(page.locator("#neu-berechnet")).to_have_count(0)
