"""Helpers for the digest tests: subscribed officers of real-looking Kommunen, contact requests."""

from __future__ import annotations

import email
from datetime import timedelta
from email import policy

import pytest

from plattform.core.clock import utcnow
from plattform.digest.consent import CURRENT_CONSENT_VERSION
from plattform.digest.models import DigestSubscription
from plattform.extensions import db
from plattform.kontakte.models import ContactRequest
from tests.factories import KommuneFactory, MembershipFactory, UserFactory


def subscribe(user, status: str = "active", days_ago: int = 10) -> DigestSubscription:
    """A subscription in the given state, consented `days_ago` days ago."""
    when = utcnow() - timedelta(days=days_ago)
    subscription = DigestSubscription(
        user_id=user.id,
        status=status,
        consent_text_version=CURRENT_CONSENT_VERSION,
        requested_at=when,
        confirmed_at=when if status in ("active", "unsubscribed") else None,
        unsubscribed_at=when + timedelta(days=1) if status == "unsubscribed" else None,
    )
    db.session.add(subscription)
    db.session.flush()
    return subscription


def officer(kommune, name: str = "Jürgen Müller", status: str | None = "active", **user_fields):
    """A user who acts for `kommune`, subscribed in `status` (None: no subscription)."""
    user = UserFactory(name=name, **user_fields)
    MembershipFactory(user=user, kommune=kommune, status="bestaetigt")
    if status is not None:
        subscribe(user, status)
    return user


def contact_request(from_kommune, to_kommune, **fields) -> ContactRequest:
    """A contact request (default: open, created now)."""
    request = ContactRequest(from_kommune_id=from_kommune.id, to_kommune_id=to_kommune.id, **fields)
    db.session.add(request)
    db.session.flush()
    return request


def parsed(message) -> email.message.EmailMessage:
    """Re-parse a message received by aiosmtpd with the modern policy (decoded headers, get_body)."""
    # compat32 would re-fold long headers at 78 characters; keep them as they arrived.
    raw = message.as_bytes(policy=message.policy.clone(max_line_length=0))
    return email.message_from_bytes(raw, policy=policy.default)


@pytest.fixture
def kreuzau(app):
    """Kreuzau, the Kommune our officers act for."""
    return KommuneFactory(name="Kreuzau", ags="05358028")


@pytest.fixture
def noervenich(app):
    """Nörvenich, a neighbour with an umlaut in its name."""
    return KommuneFactory(name="Nörvenich", ags="05358044")
