"""Main navigation: domains register their entries; the base template shows those that apply."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import request, url_for
from flask_babel import lazy_gettext


@dataclass(frozen=True)
class NavEntry:
    """One link of the main navigation."""

    endpoint: str
    label: object  # a lazy German string
    order: int
    visible: Callable[[], bool]


@dataclass(frozen=True)
class NavItem:
    """A rendered navigation link."""

    url: str
    label: str
    current: bool


NAV: list[NavEntry] = []


def register_nav(endpoint: str, label: str, order: int, visible: Callable[[], bool] = lambda: True) -> None:
    """Add a link to the main navigation (label is German source text, translated at render time)."""
    NAV.append(NavEntry(endpoint, lazy_gettext(label), order, visible))


def nav_items() -> list[NavItem]:
    """The links for the current request, in order."""
    items = []
    for entry in sorted(NAV, key=lambda e: e.order):
        if entry.visible():
            url = url_for(entry.endpoint)
            items.append(NavItem(url, str(entry.label), request.path.startswith(url) and url != "/"))
    return items


register_nav("kommunen.liste", "Verzeichnis", 10)
