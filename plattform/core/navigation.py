"""Main navigation: domains register their entries; the base template shows those that apply.

The header's arrangement lives here, in one place: MENU_OF puts a registered link into a menu of the
header (coordination, administration, the account), every other link stands in the row. A menu with
a single visible link is shown as that link, so an administrator's lone "Administration" needs no
menu. The officer's main links (suggestions, requests, type test, search, networks) stay in the row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

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


@dataclass
class NavMenu:
    """A menu of the header: a disclosure button and its links."""

    key: str
    label: str
    items: list[NavItem] = field(default_factory=list)

    @property
    def current(self) -> bool:
        """Whether the page shown is one of the menu's links."""
        return any(item.current for item in self.items)


@dataclass
class Navigation:
    """The header of one request: the row (links and menus) and the account menu's links."""

    main: list[NavItem | NavMenu]
    account: list[NavItem]


NAV: list[NavEntry] = []

# Menu key → its label (German source text); the account menu carries the user's name instead.
MENUS = {
    "projekte": lazy_gettext("Projekte"),
    "koordination": lazy_gettext("Koordination"),
    "verwaltung": lazy_gettext("Verwaltung"),
}
ACCOUNT = "konto"
MENU_OF = {
    "projekte.liste": "projekte",
    "projekte.vorschlaege": "projekte",
    "projekte.doppelarbeit": "koordination",
    "verwaltung.freigaben": "koordination",
    "profile.import_page": "koordination",
    "auswertung.index": "koordination",
    "verwaltung.benutzer": "verwaltung",
    "accounts.konto": ACCOUNT,
    "digest.einstellungen": ACCOUNT,
}


def register_nav(endpoint: str, label: str, order: int, visible: Callable[[], bool] = lambda: True) -> None:
    """Add a link to the main navigation (label is German source text, translated at render time)."""
    NAV.append(NavEntry(endpoint, lazy_gettext(label), order, visible))


def _item(entry: NavEntry) -> NavItem:
    url = url_for(entry.endpoint)
    return NavItem(url, str(entry.label), request.path.startswith(url) and url != "/")


def nav_items() -> list[NavItem]:
    """The links for the current request, in order (flat, menus ignored)."""
    return [_item(entry) for entry in sorted(NAV, key=lambda e: e.order) if entry.visible()]


def navigation() -> Navigation:
    """The header for the current request: row links and menus in order, and the account links.

    A menu takes the place of its first link; a menu with one visible link becomes that link.
    """
    main: list[NavItem | NavMenu] = []
    menus: dict[str, NavMenu] = {}
    account: list[NavItem] = []
    for entry in sorted(NAV, key=lambda e: e.order):
        if not entry.visible():
            continue
        item = _item(entry)
        key = MENU_OF.get(entry.endpoint)
        if key == ACCOUNT:
            account.append(item)
        elif key in MENUS:
            if key not in menus:
                menus[key] = NavMenu(key, str(MENUS[key]))
                main.append(menus[key])
            menus[key].items.append(item)
        else:
            main.append(item)
    row = [node.items[0] if isinstance(node, NavMenu) and len(node.items) == 1 else node for node in main]
    return Navigation(row, account)


register_nav("kommunen.liste", "Verzeichnis", 10)
