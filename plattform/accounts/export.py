"""Everything the platform stores about a person, as one JSON document (GDPR Art. 15 and 20).

Domains add their part with `register_personal_data_exporter(name, fn)`: `fn(user)` returns
something JSON-able. A later registration under the same name replaces the earlier one, so the
domain that owns the data can take over a section accounts provides by default.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from plattform.accounts.models import User
from plattform.core.clock import utcnow

_EXPORTERS: dict[str, Callable[[User], Any]] = {}

# Never exported: secrets and internal counters.
_HIDDEN_USER_FIELDS = {"password_hash", "session_version"}


def register_personal_data_exporter(name: str, fn: Callable[[User], Any]) -> None:
    """Add (or replace) one section of the personal data export."""
    _EXPORTERS[name] = fn


def jsonable(value: Any) -> Any:
    """Dates and times as ISO text; everything else as it is."""
    return _jsonable(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def export_user(user: User) -> dict:
    """The account's own fields, without the password hash."""
    return {
        column.key: _jsonable(getattr(user, column.key))
        for column in User.__table__.columns
        if column.key not in _HIDDEN_USER_FIELDS
    }


def export_memberships(user: User) -> list[dict]:
    """The user's memberships with their status."""
    return [
        {
            "kommune_ags": m.kommune.ags,
            "kommune_name": m.kommune.name,
            "role": m.role,
            "status": m.status,
            "message": m.message,
            "requested_at": _jsonable(m.requested_at),
            "decided_at": _jsonable(m.decided_at),
        }
        for m in user.memberships
    ]


def export_audit_events(user: User) -> list[dict]:
    """Audit events the user did or that concern their account."""
    from plattform.core.audit import event_to_data, events_about_user

    return [event_to_data(e) for e in events_about_user(user.id)]


def personal_data(user: User) -> dict:
    """The whole export: a header and one section per registered exporter."""
    data: dict[str, Any] = {
        "format": "kommunalmatch-personal-data/1",
        "exported_at": utcnow().isoformat(),
    }
    for name, fn in _EXPORTERS.items():
        data[name] = fn(user)
    return data


register_personal_data_exporter("konto", export_user)
register_personal_data_exporter("mitgliedschaften", export_memberships)
register_personal_data_exporter("protokoll", export_audit_events)
