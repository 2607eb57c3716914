"""The audit log: `record(action, target=..., details=...)` notes a sensitive action in the caller's
transaction, so the entry is written exactly when the action itself is committed (never half).

Actions are dotted codes (`membership.approved`); domains add German labels with `register_action`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from plattform.core.models import AuditEvent
from plattform.extensions import db

# Action code -> German label (lazy, translated when shown).
ACTION_LABELS: dict[str, object] = {
    "account.registered": _l("Konto registriert"),
    "account.registration_repeated": _l("Erneute Registrierung mit bestehender Adresse"),
    "account.email_confirmed": _l("E-Mail-Adresse bestätigt"),
    "account.password_changed": _l("Passwort geändert"),
    "account.password_reset": _l("Passwort zurückgesetzt"),
    "account.email_changed": _l("E-Mail-Adresse geändert"),
    "account.exported": _l("Eigene Daten heruntergeladen"),
    "account.deleted": _l("Konto gelöscht"),
    "account.sessions_revoked": _l("Alle Sitzungen beendet"),
    "membership.requested": _l("Mitgliedschaft beantragt"),
    "membership.approved": _l("Mitgliedschaft bestätigt"),
    "membership.declined": _l("Mitgliedschaft abgelehnt"),
    "admin.granted": _l("Administrationsrecht erteilt"),
    "admin.revoked": _l("Administrationsrecht entzogen"),
}


def register_action(code: str, label_de: str) -> None:
    """Let another domain log its own sensitive actions (e.g. API token creation) with a label."""
    ACTION_LABELS[code] = _l(label_de)


def action_label(code: str) -> str:
    """The German label of an action, or the code itself when no label is registered."""
    return str(ACTION_LABELS.get(code, code))


def _target_of(target: Any) -> tuple[str | None, str | None]:
    if target is None:
        return None, None
    if isinstance(target, tuple):
        kind, ident = target
        return kind, None if ident is None else str(ident)
    return target.__tablename__, str(target.id)


def record(
    action: str,
    target: Any = None,
    details: dict | None = None,
    actor: Any = None,
) -> AuditEvent:
    """Add an audit event to the current session (the caller commits with the action itself).

    `target` is a model instance or a `(type, id)` pair; `actor` defaults to the logged-in user.
    """
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    target_type, target_id = _target_of(target)
    event = AuditEvent(
        actor_user_id=getattr(actor, "id", actor),
        action=action,
        target_type=target_type,
        target_id=target_id,
        details=details or {},
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event


def events_query(action: str | None = None) -> sa.Select:
    """Newest first, optionally only one action (the administrators' log page)."""
    stmt = sa.select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    return stmt


def known_actions() -> list[str]:
    """Action codes present in the log or registered, for the filter."""
    present = set(db.session.scalars(sa.select(AuditEvent.action).distinct()))
    return sorted(present | set(ACTION_LABELS))


def events_about_user(user_id: int) -> Iterable[AuditEvent]:
    """Events a user did or that were done to their account (for their data export)."""
    return db.session.scalars(
        sa.select(AuditEvent)
        .where(
            sa.or_(
                AuditEvent.actor_user_id == user_id,
                sa.and_(AuditEvent.target_type == "user_account", AuditEvent.target_id == str(user_id)),
            )
        )
        .order_by(AuditEvent.at, AuditEvent.id)
    )


def event_to_data(event: AuditEvent) -> dict:
    """A JSON-able view of one event."""
    return {
        "at": event.at.isoformat() if event.at else None,
        "actor_user_id": event.actor_user_id,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "details": event.details or {},
        "ip": event.ip,
    }
