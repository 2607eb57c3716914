"""German labels for membership roles and statuses (shown as text, never as colour alone)."""

from flask_babel import lazy_gettext as _l

STATUS_LABELS = {
    "beantragt": _l("beantragt – wartet auf Freigabe"),
    "bestaetigt": _l("bestätigt"),
    "abgelehnt": _l("abgelehnt"),
}
STATUS_BADGES = {"beantragt": "info", "bestaetigt": "success", "abgelehnt": "danger"}
ROLE_LABELS = {"mitglied": _l("Mitglied"), "koordination": _l("Koordination")}


def status_label(status: str) -> str:
    """German label of a membership status."""
    return str(STATUS_LABELS.get(status, status))


def status_badge(status: str) -> str:
    """KERN badge variant of a membership status."""
    return STATUS_BADGES.get(status, "info")


def role_label(role: str) -> str:
    """German label of a membership role."""
    return str(ROLE_LABELS.get(role, role))
