"""Demo accounts for `flask demo seed`: an administrator, two officers and a Kreis coordinator."""

from __future__ import annotations

from flask import current_app

from plattform.accounts.models import KommuneMembership
from plattform.accounts.passwords import hash_password
from plattform.accounts.services import create_user, get_user_by_email, membership_of
from plattform.core.clock import utcnow
from plattform.core.demo import demo_step
from plattform.extensions import db
from plattform.kommunen.services import get_by_ags

DEMO_PASSWORD = "Demo-Passwort-2026"

# (address, name, Funktion, AGS or None, role, admin)
DEMO_ACCOUNTS = (
    ("admin@kommunalmatch.demo", "Demo-Administration", "Plattformbetrieb", None, None, True),
    (
        "kreuzau@kommunalmatch.demo",
        "Demo Kreuzau",
        "Digitalisierungsbeauftragte",
        "05358028",
        "mitglied",
        False,
    ),
    (
        "aldenhoven@kommunalmatch.demo",
        "Demo Aldenhoven",
        "Digitalisierungsbeauftragter",
        "05358004",
        "mitglied",
        False,
    ),
    (
        "kreis-dueren@kommunalmatch.demo",
        "Demo Kreis Düren",
        "Koordination Digitalisierung",
        "05358",
        "koordination",
        False,
    ),
)


def ensure_demo_accounts() -> list[tuple[str, str]]:
    """Create (or repair) the demo accounts; returns (address, what it may do) pairs."""
    created = []
    password_hash = hash_password(DEMO_PASSWORD)
    for email, name, funktion, ags, role, is_admin in DEMO_ACCOUNTS:
        user = get_user_by_email(email)
        if user is None:
            user = create_user(email, DEMO_PASSWORD, name, is_admin=is_admin, confirmed=True)
        user.password_hash = password_hash
        user.funktion = funktion
        user.is_admin = is_admin
        user.email_confirmed_at = user.email_confirmed_at or utcnow()
        user.privacy_accepted_at = user.privacy_accepted_at or utcnow()
        what = "Administration"
        if ags:
            kommune = get_by_ags(ags)
            if kommune is None:
                continue
            membership = membership_of(user.id, kommune.id)
            if membership is None:
                membership = KommuneMembership(user_id=user.id, kommune_id=kommune.id)
                db.session.add(membership)
            membership.role = role
            membership.status = "bestaetigt"
            membership.decided_at = membership.decided_at or utcnow()
            what = f"{'Koordination' if role == 'koordination' else 'Mitglied'} {kommune.name} ({ags})"
        created.append((email, what))
    db.session.commit()
    return created


@demo_step("Demo-Konten")
def demo_accounts_step() -> str:
    """Demo accounts with a published password; never in production."""
    if current_app.config.get("ENV_NAME") == "production":
        return "Demo-Konten: im Produktionsbetrieb nicht angelegt."
    accounts = ensure_demo_accounts()
    lines = [f"DEMO-KONTEN (nur zum Ausprobieren, Passwort für alle: {DEMO_PASSWORD}):"]
    lines += [f"  {email:<34} {what}" for email, what in accounts]
    return "\n".join(lines)
