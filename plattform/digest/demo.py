"""Demo digest subscribers for `flask demo seed`: the demo accounts get the weekly e-mail at once.

A demo subscription is marked as such (consent_text_version "demo": nobody read a consent text) and
is active without a confirmation mail. Its window starts a week back, so the first `digest send`
after seeding shows what the demo data holds. Never in production.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from plattform.accounts.services import get_user_by_email
from plattform.core.clock import utcnow
from plattform.core.demo import demo_step
from plattform.digest.models import DigestSubscription
from plattform.digest.services import get_subscription
from plattform.extensions import db

# Marks a subscription that no person consented to: created by `demo seed` for a demo account.
DEMO_CONSENT_VERSION = "demo"


def is_demo_subscription(subscription: DigestSubscription | None) -> bool:
    """Whether the subscription was created by `demo seed` (not by a person's double opt-in)."""
    return subscription is not None and subscription.consent_text_version == DEMO_CONSENT_VERSION


def ensure_demo_subscriptions() -> list[str]:
    """Subscribe every demo account (active, marked demo); a real or ended subscription stays as it is."""
    from plattform.accounts.demo import DEMO_ACCOUNTS

    subscribed = []
    start = (utcnow() - timedelta(days=7)).replace(microsecond=0)
    for email, *_rest in DEMO_ACCOUNTS:
        user = get_user_by_email(email)
        if user is None:
            continue
        subscription = get_subscription(user.id)
        if subscription is None:
            subscription = DigestSubscription(
                user_id=user.id,
                status="active",
                consent_text_version=DEMO_CONSENT_VERSION,
                requested_at=start,
                confirmed_at=start,
            )
            db.session.add(subscription)
        elif not is_demo_subscription(subscription):
            continue  # somebody subscribed or unsubscribed by hand: theirs to keep
        elif subscription.status == "pending":
            subscription.status, subscription.confirmed_at = "active", start
        if subscription.status == "active":
            subscribed.append(email)
    db.session.commit()
    return subscribed


# Open contact requests, so the first demo digest shows the requests section too: (from, to, message).
DEMO_REQUESTS = (
    (
        "aldenhoven@kommunalmatch.demo",
        "05358004",
        "05358028",
        "Wir würden gern von Ihrer Hundesteuer lernen.",
    ),
    (
        "kreuzau@kommunalmatch.demo",
        "05358028",
        "05358",
        "Können wir die Online-Beteiligung mit dem Kreis abstimmen?",
    ),
)


def ensure_demo_requests() -> int:
    """Open the demo contact requests through the contacts service (refused ones are skipped)."""
    from plattform.kommunen.services import get_by_ags
    from plattform.kontakte.services import ContactError, open_request, send_request

    made = 0
    for email, from_ags, to_ags, message in DEMO_REQUESTS:
        user, source, target = get_user_by_email(email), get_by_ags(from_ags), get_by_ags(to_ags)
        if user is None or source is None or target is None or open_request(source.id, target.id):
            continue
        try:
            with db.session.begin_nested():
                send_request(user, source.id, target.id, message)
        except ContactError:
            continue  # e.g. already partners, or declined before
        made += 1
    db.session.commit()
    return made


@demo_step("digest")
def demo_subscriptions_step() -> str:
    """The demo accounts receive the weekly e-mail (to the outbox when no mail server is set)."""
    if current_app.config.get("ENV_NAME") == "production":
        return "Wochen-E-Mail: im Produktionsbetrieb keine Demo-Abonnements."
    emails = ensure_demo_subscriptions()
    requests = ensure_demo_requests()
    return (
        f"Wochen-E-Mail: {len(emails)} Demo-Konten abonniert (als Demo markiert, ohne Bestätigungsmail), "
        f"{requests} offene Kontaktanfragen neu; `flask --app wsgi digest send` schreibt die E-Mails "
        "nach instance/outbox/."
    )
